import {
  type ApiContext,
  asArray,
  asBool,
  asNumber,
  asRecord,
  asString,
  envelopeCalls,
  paginate,
} from './context'
import { checkList, checkPageSize, requireNonEmpty } from './limits'

/** A role (角色). */
export interface Role {
  roleId: number
  name: string
}

/** A role group (角色组) and its roles. */
export interface RoleGroup {
  groupId: number
  name: string
  roles: Role[]
}

/** A member holding a role, from `topapi/role/simplelist`. */
export interface RoleMember {
  userId: string
  name: string
  /** The departments the role applies to for this member (empty: the whole corp). */
  manageScopes: { deptId: number; name: string }[]
}

/** One offset page. */
export interface OffsetPage<T> {
  list: T[]
  hasMore: boolean
}

/**
 * Which roles go to (or leave) which members: at most 20 roles, and 20 (add) or 100 (remove) members.
 *
 * @example
 * ```ts
 * const assignment: RoleAssignment = { roleIds: [1000011], userIds: ['lisi', 'wangwu'] }
 * ```
 */
export interface RoleAssignment {
  roleIds: readonly number[]
  userIds: readonly string[]
}

/**
 * Roles (角色, also called labels in events): role groups, role members, and granting or revoking roles.
 * Granting and revoking push `label_user_change` to the corp's callback.
 *
 * @example
 * ```ts
 * for await (const group of client.roles.iterateGroups()) console.log(group.name, group.roles.length)
 * await client.roles.addToUsers({ roleIds: [1000011], userIds: ['lisi'] })
 * ```
 */
export interface RolesApi {
  /**
   * `topapi/role/list`: one page of role groups with their roles (`size` ≤ 200, default 20).
   *
   * @example
   * ```ts
   * const { list, hasMore } = await client.roles.listGroups({ offset: 0, size: 50 })
   * ```
   */
  listGroups(options?: { offset?: number; size?: number }): Promise<OffsetPage<RoleGroup>>
  /**
   * Every role group, page by page over `topapi/role/list`.
   *
   * @example
   * ```ts
   * for await (const group of client.roles.iterateGroups()) console.log(group.groupId, group.name)
   * ```
   */
  iterateGroups(options?: { size?: number }): AsyncGenerator<RoleGroup, void, undefined>
  /**
   * `topapi/role/getrolegroup`: one role group and its roles.
   *
   * @example
   * ```ts
   * const group = await client.roles.getGroup(1000010)
   * ```
   */
  getGroup(groupId: number): Promise<RoleGroup>
  /**
   * `topapi/role/getrole`: a role's name and group (33011 for an unknown role).
   *
   * @example
   * ```ts
   * const { name, groupId } = await client.roles.get(1000011)
   * ```
   */
  get(roleId: number): Promise<Role & { groupId: number }>
  /**
   * `topapi/role/simplelist`: one page of a role's members (`size` ≤ 100, default 20).
   *
   * @example
   * ```ts
   * const { list } = await client.roles.listMembers({ roleId: 1000011 })
   * ```
   */
  listMembers(input: { roleId: number; offset?: number; size?: number }): Promise<OffsetPage<RoleMember>>
  /**
   * Every member of a role, page by page.
   *
   * @example
   * ```ts
   * for await (const member of client.roles.iterateMembers(1000011)) console.log(member.userId)
   * ```
   */
  iterateMembers(roleId: number, options?: { size?: number }): AsyncGenerator<RoleMember, void, undefined>
  /**
   * `topapi/role/addrolesforemps`: grants roles to members (≤ 20 roles, ≤ 20 members, checked locally). The
   * roles of the default group (负责人, 主管, 主管理员, 子管理员) cannot be granted this way.
   *
   * @example
   * ```ts
   * await client.roles.addToUsers({ roleIds: [1000011, 1000012], userIds: ['lisi', 'wangwu'] })
   * ```
   */
  addToUsers(input: RoleAssignment): Promise<void>
  /**
   * `topapi/role/removerolesforemps`: revokes roles from members (≤ 20 roles, ≤ 100 members, checked locally).
   *
   * @example
   * ```ts
   * await client.roles.removeFromUsers({ roleIds: [1000011], userIds: ['lisi'] })
   * ```
   */
  removeFromUsers(input: RoleAssignment): Promise<void>
}

const toRole = (raw: unknown): Role => {
  const r = asRecord(raw)
  // `topapi/role/list` spells them id/name, `getrolegroup` role_id/role_name.
  return { roleId: asNumber(r.id ?? r.role_id) ?? 0, name: asString(r.name ?? r.role_name) }
}

function checkAssignment(api: string, input: RoleAssignment, maxUsers: number): void {
  requireNonEmpty(api, 'roleIds', input.roleIds)
  requireNonEmpty(api, 'userIds', input.userIds)
  checkList(api, 'roleIds', input.roleIds, 20)
  checkList(api, 'userIds', input.userIds, maxUsers)
}

export function createRolesApi(ctx: ApiContext): RolesApi {
  const { post, read } = envelopeCalls(ctx)

  const roles: RolesApi = {
    async listGroups(options = {}) {
      const size = options.size ?? 20
      checkPageSize('/topapi/role/list', 'size', size, 200)
      const r = asRecord((await read('/topapi/role/list', { offset: options.offset ?? 0, size })).result)
      return {
        hasMore: asBool(r.hasMore),
        list: asArray(r.list).map((raw) => {
          const g = asRecord(raw)
          return {
            groupId: asNumber(g.groupId) ?? 0,
            name: asString(g.name),
            roles: asArray(g.roles).map(toRole),
          }
        }),
      }
    },
    iterateGroups(options = {}) {
      const size = options.size ?? 200
      return paginate(0, async (offset) => {
        const page = await roles.listGroups({ offset, size })
        return { items: page.list, hasMore: page.hasMore, next: offset + size }
      })
    },
    async getGroup(groupId) {
      const g = asRecord((await read('/topapi/role/getrolegroup', { group_id: groupId })).role_group)
      return { groupId, name: asString(g.group_name), roles: asArray(g.roles).map(toRole) }
    },
    async get(roleId) {
      // This one endpoint spells its parameter in camelCase.
      const r = asRecord((await read('/topapi/role/getrole', { roleId })).role)
      return { roleId, name: asString(r.name), groupId: asNumber(r.groupId) ?? 0 }
    },
    async listMembers(input) {
      const size = input.size ?? 20
      checkPageSize('/topapi/role/simplelist', 'size', size, 100)
      const r = asRecord(
        (await read('/topapi/role/simplelist', { role_id: input.roleId, offset: input.offset ?? 0, size }))
          .result,
      )
      return {
        hasMore: asBool(r.hasMore),
        list: asArray(r.list).map((raw) => {
          const m = asRecord(raw)
          return {
            userId: asString(m.userid),
            name: asString(m.name),
            manageScopes: asArray(m.manageScopes).map((s) => {
              const d = asRecord(s)
              return { deptId: asNumber(d.dept_id) ?? 0, name: asString(d.name) }
            }),
          }
        }),
      }
    },
    iterateMembers(roleId, options = {}) {
      const size = options.size ?? 100
      return paginate(0, async (offset) => {
        const page = await roles.listMembers({ roleId, offset, size })
        return { items: page.list, hasMore: page.hasMore, next: offset + size }
      })
    },
    async addToUsers(input) {
      checkAssignment('/topapi/role/addrolesforemps', input, 20)
      await post('/topapi/role/addrolesforemps', {
        roleIds: input.roleIds.join(','),
        userIds: input.userIds.join(','),
      })
    },
    async removeFromUsers(input) {
      checkAssignment('/topapi/role/removerolesforemps', input, 100)
      await post('/topapi/role/removerolesforemps', {
        roleIds: input.roleIds.join(','),
        userIds: input.userIds.join(','),
      })
    },
  }
  return roles
}
