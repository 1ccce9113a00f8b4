import type { DingTalkResponse } from '../http/request'
import type {
  CursorPage,
  LegacyUser,
  LegacyUserCreateInput,
  LegacyUserListInput,
  LegacyUsersApi,
  SimpleUser,
  User,
  UserCreateInput,
  UserListInput,
  UsersApi,
} from './contacts-types'
import {
  type ApiContext,
  asArray,
  asBool,
  asNumber,
  asRecord,
  asString,
  compact,
  envelopeCalls,
  paginate,
} from './context'

function toUser(raw: unknown): User {
  const r = asRecord(raw)
  return {
    userId: asString(r.userid),
    unionId: asString(r.unionid),
    name: asString(r.name),
    avatar: asString(r.avatar),
    stateCode: asString(r.state_code),
    mobile: asString(r.mobile),
    hideMobile: asBool(r.hide_mobile),
    telephone: asString(r.telephone),
    jobNumber: asString(r.job_number),
    title: asString(r.title),
    email: asString(r.email),
    orgEmail: asString(r.org_email),
    workPlace: asString(r.work_place),
    remark: asString(r.remark),
    deptIdList: asArray(r.dept_id_list).map(Number),
    deptOrderList: asArray(r.dept_order_list).map((item) => {
      const o = asRecord(item)
      return { deptId: asNumber(o.dept_id) ?? 0, order: asNumber(o.order) ?? 0 }
    }),
    leaderInDept: asArray(r.leader_in_dept).map((item) => {
      const o = asRecord(item)
      return { deptId: asNumber(o.dept_id) ?? 0, leader: asBool(o.leader) }
    }),
    active: asBool(r.active),
    admin: asBool(r.admin),
    boss: asBool(r.boss),
    senior: asBool(r.senior),
    realAuthed: asBool(r.real_authed),
    hiredDate: asNumber(r.hired_date),
  }
}

function userWire(
  input: Partial<UserCreateInput> & { userId?: string; language?: string },
): Record<string, unknown> {
  return compact({
    userid: input.userId,
    name: input.name,
    mobile: input.mobile,
    // §6.3: dept_id_list is a comma-separated string.
    dept_id_list: input.deptIds?.join(','),
    title: input.title,
    email: input.email,
    org_email: input.orgEmail,
    job_number: input.jobNumber,
    telephone: input.telephone,
    work_place: input.workPlace,
    remark: input.remark,
    hide_mobile: input.hideMobile,
    manager_userid: input.managerUserId,
    hired_date: input.hiredDate,
    dept_order_list: input.deptOrders?.map((d) => ({ dept_id: d.deptId, order: d.order })),
    dept_title_list: input.deptTitles?.map((d) => ({ dept_id: d.deptId, title: d.title })),
    extension: input.extension === undefined ? undefined : JSON.stringify(input.extension),
    senior_mode: input.seniorMode,
    language: input.language,
  })
}

function toLegacyUser(raw: unknown): LegacyUser {
  const r = asRecord(raw)
  return {
    userId: asString(r.userid),
    unionId: asString(r.unionid),
    name: asString(r.name),
    tel: asString(r.tel),
    workPlace: asString(r.workPlace),
    remark: asString(r.remark),
    mobile: asString(r.mobile),
    email: asString(r.email),
    active: asBool(r.active),
    orderInDepts: asString(r.orderInDepts),
    isAdmin: asBool(r.isAdmin),
    isBoss: asBool(r.isBoss),
    isLeaderInDepts: asString(r.isLeaderInDepts),
    isHide: asBool(r.isHide),
    department: asArray(r.department).map(Number),
    position: asString(r.position),
    avatar: asString(r.avatar),
    jobNumber: asString(r.jobnumber),
    extattr: asRecord(r.extattr),
  }
}

function legacyUserWire(
  input: Partial<LegacyUserCreateInput> & { userId?: string },
): Record<string, unknown> {
  return compact({
    userid: input.userId,
    name: input.name,
    mobile: input.mobile,
    department: input.department,
    position: input.position,
    tel: input.tel,
    workPlace: input.workPlace,
    remark: input.remark,
    email: input.email,
    orgEmail: input.orgEmail,
    jobnumber: input.jobNumber,
    isHide: input.isHide,
    isSenior: input.isSenior,
    extattr: input.extattr,
    orderInDepts: input.orderInDepts,
  })
}

function listWire(input: UserListInput): Record<string, unknown> {
  return compact({
    dept_id: input.deptId,
    cursor: input.cursor ?? 0,
    size: input.size ?? 100,
    order_field: input.orderField,
    contain_access_limit: input.containAccessLimit,
    language: input.language,
  })
}

function cursorPage<T>(body: DingTalkResponse, map: (raw: unknown) => T): CursorPage<T> {
  const r = asRecord(body.result)
  return { list: asArray(r.list).map(map), hasMore: asBool(r.has_more), nextCursor: asNumber(r.next_cursor) }
}

const toSimple = (raw: unknown): SimpleUser => {
  const r = asRecord(raw)
  return { userId: asString(r.userid), name: asString(r.name) }
}

function legacyListQuery(input: LegacyUserListInput): Record<string, string | number | undefined> {
  // §6.2: paging only applies when both offset and size are set.
  return {
    department_id: input.departmentId,
    offset: input.offset ?? 0,
    size: input.size ?? 100,
    order: input.order,
    lang: input.lang,
  }
}

/** Users of the `topapi/v2` generation (§6.3). */
export function createUsersApi(ctx: ApiContext): UsersApi {
  const { post, read } = envelopeCalls(ctx)
  const users: UsersApi = {
    async get(userId, options = {}) {
      const body = await read('/topapi/v2/user/get', compact({ userid: userId, language: options.language }))
      return toUser(body.result)
    },
    async create(input) {
      const body = await post('/topapi/v2/user/create', userWire(input))
      const r = asRecord(body.result)
      return { userId: asString(r.userid), unionId: asString(r.unionId ?? r.unionid) }
    },
    async update(input) {
      await post('/topapi/v2/user/update', userWire(input))
    },
    async delete(userId) {
      await post('/topapi/v2/user/delete', { userid: userId })
    },
    list: async (input) => cursorPage(await read('/topapi/v2/user/list', listWire(input)), toUser),
    listSimple: async (input) => cursorPage(await read('/topapi/user/listsimple', listWire(input)), toSimple),
    async listIds(deptId) {
      const body = await read('/topapi/user/listid', { dept_id: deptId })
      return asArray(asRecord(body.result).userid_list).map(String)
    },
    iterate: (input) =>
      paginate(0, async (cursor) => {
        const page = await users.list({ ...input, cursor })
        return { items: page.list, hasMore: page.hasMore, next: page.nextCursor }
      }),
    iterateSimple: (input) =>
      paginate(0, async (cursor) => {
        const page = await users.listSimple({ ...input, cursor })
        return { items: page.list, hasMore: page.hasMore, next: page.nextCursor }
      }),
  }
  return users
}

/** The legacy user endpoints (§6.2). */
export function createLegacyUsersApi(ctx: ApiContext): LegacyUsersApi {
  const { post, get, change } = envelopeCalls(ctx)
  const legacyUsers: LegacyUsersApi = {
    async get(userId, options = {}) {
      return toLegacyUser(await get('/user/get', { userid: userId, lang: options.lang }))
    },
    async create(input) {
      const body = await post('/user/create', legacyUserWire(input))
      return { userId: asString(body.userid) }
    },
    async update(input) {
      await post('/user/update', legacyUserWire(input))
    },
    async delete(userId) {
      await change('/user/delete', { userid: userId })
    },
    async batchDelete(userIds) {
      await post('/user/batchdelete', { useridlist: userIds })
    },
    async simpleList(input) {
      const body = await get('/user/simplelist', legacyListQuery(input))
      return { list: asArray(body.userlist).map(toSimple), hasMore: asBool(body.hasMore) }
    },
    async list(input) {
      const body = await get('/user/list', legacyListQuery(input))
      return { list: asArray(body.userlist).map(toLegacyUser), hasMore: asBool(body.hasMore) }
    },
    iterate: (input) => {
      const size = input.size ?? 100
      return paginate(0, async (offset) => {
        const page = await legacyUsers.list({ ...input, offset, size })
        return { items: page.list, hasMore: page.hasMore, next: offset + size }
      })
    },
    async deptMemberIds(deptId) {
      const body = await get('/user/getDeptMember', { deptId })
      return asArray(body.userIds).map(String)
    },
    async count(options = {}) {
      const body = await get('/user/get_org_user_count', { onlyActive: options.onlyActive ? 1 : 0 })
      return asNumber(body.count) ?? 0
    },
  }
  return legacyUsers
}
