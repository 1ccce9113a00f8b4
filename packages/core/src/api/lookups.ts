import { type ApiContext, asArray, asBool, asNumber, asRecord, asString, envelopeCalls } from './context'
import { requireText } from './limits'

/** An administrator, from `topapi/user/listadmin`. */
export interface Admin {
  userId: string
  /** 1 main administrator, 2 sub-administrator. */
  sysLevel: number
}

/** Who a unionid belongs to, from `topapi/user/getbyunionid`. */
export interface UnionIdOwner {
  userId: string
  /** `true` for an external contact (`contact_type` 1) rather than a member of the corp. */
  external: boolean
}

/**
 * Contact lookups (通讯录查询): find a member by mobile or unionid, the administrators and their scope, the
 * parent chain of a department or user, and the member count — all `topapi`, all POST.
 *
 * @example
 * ```ts
 * const userId = await client.lookups.getUserIdByMobile('13800000001')
 * const chain = await client.lookups.listParentDepartments(4) // [4, 2, 1]
 * ```
 */
export interface LookupsApi {
  /**
   * `topapi/v2/user/getbymobile`: the userid of the active member with this mobile (60121 when none; former
   * members are not found).
   *
   * @example
   * ```ts
   * const userId = await client.lookups.getUserIdByMobile('13800000001')
   * ```
   */
  getUserIdByMobile(mobile: string): Promise<string>
  /**
   * `topapi/user/getbyunionid`: the userid behind a unionid, e.g. after a web login (60121 when none).
   *
   * @example
   * ```ts
   * const { userId, external } = await client.lookups.getUserIdByUnionId(unionId)
   * ```
   */
  getUserIdByUnionId(unionId: string): Promise<UnionIdOwner>
  /**
   * `topapi/user/listadmin`: every administrator and its level.
   *
   * @example
   * ```ts
   * const main = (await client.lookups.listAdmins()).find((a) => a.sysLevel === 1)
   * ```
   */
  listAdmins(): Promise<Admin[]>
  /**
   * `topapi/user/get_admin_scope`: the departments an administrator may manage.
   *
   * @example
   * ```ts
   * const deptIds = await client.lookups.getAdminScope('zhangsan')
   * ```
   */
  getAdminScope(userId: string): Promise<number[]>
  /**
   * `topapi/v2/department/listparentbydept`: the department and its ancestors, the department first, the
   * root (1) last.
   *
   * @example
   * ```ts
   * const chain = await client.lookups.listParentDepartments(4) // [4, 2, 1]
   * ```
   */
  listParentDepartments(deptId: number): Promise<number[]>
  /**
   * `topapi/v2/department/listparentbyuser`: one chain per department the user belongs to, each from the
   * user's department up to the root.
   *
   * @example
   * ```ts
   * const chains = await client.lookups.listUserParentDepartments('lisi') // [[2, 1], [4, 2, 1]]
   * ```
   */
  listUserParentDepartments(userId: string): Promise<number[][]>
  /**
   * `topapi/user/count`: members of the corp; `onlyActive` counts only those who activated DingTalk.
   *
   * @example
   * ```ts
   * const active = await client.lookups.countUsers({ onlyActive: true })
   * ```
   */
  countUsers(options?: { onlyActive?: boolean }): Promise<number>
}

export function createLookupsApi(ctx: ApiContext): LookupsApi {
  const { read } = envelopeCalls(ctx)

  return {
    async getUserIdByMobile(mobile) {
      requireText('/topapi/v2/user/getbymobile', 'mobile', mobile)
      const body = await read('/topapi/v2/user/getbymobile', { mobile })
      return asString(asRecord(body.result).userid)
    },
    async getUserIdByUnionId(unionId) {
      requireText('/topapi/user/getbyunionid', 'unionId', unionId)
      const r = asRecord((await read('/topapi/user/getbyunionid', { unionid: unionId })).result)
      return { userId: asString(r.userid), external: asNumber(r.contact_type) === 1 }
    },
    async listAdmins() {
      const body = await read('/topapi/user/listadmin', {})
      return asArray(body.result).map((raw) => {
        const r = asRecord(raw)
        return { userId: asString(r.userid), sysLevel: asNumber(r.sys_level) ?? 0 }
      })
    },
    async getAdminScope(userId) {
      requireText('/topapi/user/get_admin_scope', 'userId', userId)
      // The scope sits beside errcode, not inside `result`.
      const body = await read('/topapi/user/get_admin_scope', { userid: userId })
      return asArray(body.dept_ids).map(Number)
    },
    async listParentDepartments(deptId) {
      const body = await read('/topapi/v2/department/listparentbydept', { dept_id: deptId })
      return asArray(asRecord(body.result).parent_id_list).map(Number)
    },
    async listUserParentDepartments(userId) {
      requireText('/topapi/v2/department/listparentbyuser', 'userId', userId)
      const body = await read('/topapi/v2/department/listparentbyuser', { userid: userId })
      return asArray(asRecord(body.result).parent_list).map((raw) =>
        asArray(asRecord(raw).parent_dept_id_list).map(Number),
      )
    },
    async countUsers(options = {}) {
      const body = await read('/topapi/user/count', { only_active: asBool(options.onlyActive) })
      return asNumber(asRecord(body.result).count) ?? 0
    },
  }
}
