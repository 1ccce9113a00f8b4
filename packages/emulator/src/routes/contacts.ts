import { ApiError, bool, type Ctx, invalidParam, num, type Routes, randomId, str, strList } from '../context'
import { type DepartmentRecord, department as newDepartment, type OrgState, type UserRecord } from '../state'

export function orgOf(ctx: Ctx): OrgState {
  const org = ctx.emu.state.orgs.get(ctx.token?.corpId ?? '')
  if (!org) throw new ApiError(40013, '不合法的corpid')
  return org
}

function userNotFound(userid: string): ApiError {
  return new ApiError(60121, `找不到该用户: ${userid}`)
}

function deptNotFound(id: number | string): ApiError {
  return new ApiError(60003, `部门不存在: ${id}`)
}

function getUser(org: OrgState, userid: string | undefined): UserRecord {
  if (!userid) throw new ApiError(40035, '不合法的参数: userid is required')
  const user = org.users.get(userid)
  if (!user) throw userNotFound(userid)
  return user
}

function getDept(org: OrgState, id: number | undefined): DepartmentRecord {
  if (id === undefined) throw invalidParam('department id is required')
  const dept = org.departments.get(id)
  if (!dept) throw deptNotFound(id)
  return dept
}

function children(org: OrgState, id: number): DepartmentRecord[] {
  return [...org.departments.values()]
    .filter((d) => d.parentid === id)
    .sort((a, b) => a.order - b.order || a.id - b.id)
}

function descendants(org: OrgState, id: number): DepartmentRecord[] {
  return children(org, id).flatMap((d) => [d, ...descendants(org, d.id)])
}

function members(org: OrgState, deptId: number): UserRecord[] {
  return [...org.users.values()].filter((u) => u.department.includes(deptId))
}

export function ancestors(org: OrgState, id: number): number[] {
  const chain: number[] = []
  let current = org.departments.get(id)
  while (current && !chain.includes(current.id)) {
    chain.push(current.id)
    current = current.parentid === undefined ? undefined : org.departments.get(current.parentid)
  }
  return chain
}

// --- shared mutations (both API generations), each pushing its contact event (§2.2) ---

interface UserFields {
  userid?: string
  name?: string
  mobile?: string
  department?: number[]
  position?: string
  email?: string
  jobnumber?: string
  tel?: string
  workPlace?: string
  remark?: string
  extattr?: Record<string, unknown>
}

function checkDepartments(org: OrgState, ids: number[]): void {
  if (ids.length === 0) throw invalidParam('at least one department is required')
  for (const id of ids) if (!org.departments.has(id)) throw deptNotFound(id)
}

function checkMobile(org: OrgState, mobile: string, except?: string): void {
  if (!/^(\+\d{1,4}-)?\d{5,20}$/.test(mobile)) throw new ApiError(60103, '手机号码不合法')
  for (const u of org.users.values()) {
    if (u.mobile === mobile && u.userid !== except) throw new ApiError(60104, '手机号码在公司中已注册')
  }
}

function createUser(ctx: Ctx, org: OrgState, fields: UserFields): UserRecord {
  const name = fields.name?.trim()
  if (!name || name.length > 64) throw invalidParam('name must be 1–64 characters')
  if (!fields.mobile) throw new ApiError(60103, '手机号码不合法: mobile is required')
  checkMobile(org, fields.mobile)
  const department = fields.department ?? []
  checkDepartments(org, department)
  const userid = fields.userid || `emu${randomId(6)}`
  if (userid.length > 64) throw invalidParam('userid must be 1–64 characters')
  if (org.users.has(userid)) throw new ApiError(60102, `UserID在公司中已存在: ${userid}`)
  const t = ctx.emu.now()
  const user: UserRecord = {
    userid,
    name,
    mobile: fields.mobile,
    department,
    createdAt: t,
    modifiedAt: t,
    active: false,
  }
  for (const key of ['position', 'email', 'jobnumber', 'tel', 'workPlace', 'remark', 'extattr'] as const) {
    if (fields[key] !== undefined) Object.assign(user, { [key]: fields[key] })
  }
  org.users.set(userid, user)
  ctx.emu.emitCorpEvent(org.corpId, 'user_add_org', { UserId: [userid] })
  return user
}

function updateUser(ctx: Ctx, org: OrgState, fields: UserFields): UserRecord {
  const user = getUser(org, fields.userid)
  if (fields.name !== undefined && (fields.name.trim() === '' || fields.name.length > 64)) {
    throw invalidParam('name must be 1–64 characters')
  }
  if (fields.mobile !== undefined) checkMobile(org, fields.mobile, user.userid)
  if (fields.department !== undefined) checkDepartments(org, fields.department)
  for (const key of [
    'name',
    'mobile',
    'department',
    'position',
    'email',
    'jobnumber',
    'tel',
    'workPlace',
    'remark',
    'extattr',
  ] as const) {
    if (fields[key] !== undefined) Object.assign(user, { [key]: fields[key] })
  }
  user.modifiedAt = ctx.emu.now()
  ctx.emu.emitCorpEvent(org.corpId, 'user_modify_org', { UserId: [user.userid] })
  return user
}

function deleteUsers(ctx: Ctx, org: OrgState, userids: string[]): void {
  for (const userid of userids) getUser(org, userid)
  for (const userid of userids) org.users.delete(userid)
  ctx.emu.emitCorpEvent(org.corpId, 'user_leave_org', { UserId: userids })
}

interface DeptFields {
  id?: number
  name?: string
  parentid?: number
  order?: number
  createDeptGroup?: boolean
  sourceIdentifier?: string
}

function checkDeptName(org: OrgState, name: string | undefined, parentid: number, except?: number): string {
  const trimmed = name?.trim()
  if (!trimmed || trimmed.length > 64)
    throw new ApiError(60001, '部门名称不合法: name must be 1–64 characters')
  for (const d of org.departments.values()) {
    if (d.parentid === parentid && d.name === trimmed && d.id !== except) {
      throw new ApiError(60008, `父部门下该部门名称已存在: ${trimmed}`)
    }
  }
  return trimmed
}

function createDept(ctx: Ctx, org: OrgState, fields: DeptFields): DepartmentRecord {
  const parentid = fields.parentid ?? 1
  getDept(org, parentid)
  const name = checkDeptName(org, fields.name, parentid)
  const id = Math.max(...org.departments.keys()) + 1
  const dept = newDepartment(id, name, parentid, fields.order)
  if (fields.createDeptGroup !== undefined) dept.createDeptGroup = fields.createDeptGroup
  if (fields.sourceIdentifier !== undefined) dept.sourceIdentifier = fields.sourceIdentifier
  org.departments.set(id, dept)
  ctx.emu.emitCorpEvent(org.corpId, 'org_dept_create', { DeptId: [id] })
  return dept
}

function updateDept(ctx: Ctx, org: OrgState, fields: DeptFields): DepartmentRecord {
  const dept = getDept(org, fields.id)
  if (fields.parentid !== undefined && fields.parentid !== dept.parentid) {
    if (dept.id === 1) throw invalidParam('the root department has no parent')
    getDept(org, fields.parentid)
    if (ancestors(org, fields.parentid).includes(dept.id)) {
      throw invalidParam('a department cannot move under itself')
    }
    dept.parentid = fields.parentid
  }
  if (fields.name !== undefined) dept.name = checkDeptName(org, fields.name, dept.parentid ?? 0, dept.id)
  if (fields.order !== undefined) dept.order = fields.order
  if (fields.createDeptGroup !== undefined) dept.createDeptGroup = fields.createDeptGroup
  if (fields.sourceIdentifier !== undefined) dept.sourceIdentifier = fields.sourceIdentifier
  ctx.emu.emitCorpEvent(org.corpId, 'org_dept_modify', { DeptId: [dept.id] })
  return dept
}

function deleteDept(ctx: Ctx, org: OrgState, id: number | undefined): void {
  const dept = getDept(org, id)
  if (dept.id === 1) throw new ApiError(60007, '不允许删除根部门')
  if (children(org, dept.id).length > 0) throw new ApiError(60006, '部门下存在子部门, 不允许删除')
  if (members(org, dept.id).length > 0) throw new ApiError(60005, '部门下存在员工, 不允许删除')
  org.departments.delete(dept.id)
  ctx.emu.emitCorpEvent(org.corpId, 'org_dept_remove', { DeptId: [dept.id] })
}

function page<T>(items: T[], offset: number, size: number): { slice: T[]; hasMore: boolean } {
  if (size < 1 || size > 100) throw invalidParam('size must be 1–100')
  if (offset < 0) throw invalidParam('offset must not be negative')
  return { slice: items.slice(offset, offset + size), hasMore: offset + size < items.length }
}

// --- legacy shapes (§6.1, §6.2) ---

function legacyUser(user: UserRecord): Record<string, unknown> {
  const orders = user.department.map((d) => `${d}:${user.createdAt % 1000}`).join(',')
  return {
    userid: user.userid,
    unionid: user.unionid ?? `union${user.userid}`,
    name: user.name,
    tel: user.tel ?? '',
    workPlace: user.workPlace ?? '',
    remark: user.remark ?? '',
    mobile: user.mobile,
    email: user.email ?? '',
    active: user.active ?? true,
    orderInDepts: `{${orders}}`,
    isAdmin: user.isAdmin === true,
    isBoss: user.isBoss === true,
    isLeaderInDepts: `{${user.department.map((d) => `${d}:false`).join(',')}}`,
    isHide: false,
    department: user.department,
    position: user.position ?? '',
    avatar: user.avatar ?? '',
    jobnumber: user.jobnumber ?? '',
    extattr: user.extattr ?? {},
    isSenior: false,
    roles: [],
  }
}

function legacyDept(dept: DepartmentRecord): Record<string, unknown> {
  return {
    id: dept.id,
    name: dept.name,
    ...(dept.parentid === undefined ? {} : { parentid: dept.parentid }),
    createDeptGroup: dept.createDeptGroup,
    autoAddUser: dept.autoAddUser,
  }
}

function legacyUserFields(input: Record<string, unknown>): UserFields {
  const fields: UserFields = {}
  for (const key of [
    'userid',
    'name',
    'mobile',
    'position',
    'email',
    'jobnumber',
    'tel',
    'workPlace',
    'remark',
  ] as const) {
    const value = str(input, key)
    if (value !== undefined) fields[key] = value
  }
  const department = input.department
  if (department !== undefined) {
    if (!Array.isArray(department) || department.some((d) => !Number.isInteger(Number(d)))) {
      throw new ApiError(40025, '不合法的部门JSONArray: department must be an array of ids')
    }
    fields.department = department.map(Number)
  }
  if (input.extattr && typeof input.extattr === 'object')
    fields.extattr = input.extattr as Record<string, unknown>
  return fields
}

function legacyDeptFields(input: Record<string, unknown>): DeptFields {
  const fields: DeptFields = {}
  const id = num(input, 'id')
  if (id !== undefined) fields.id = id
  const name = str(input, 'name')
  if (name !== undefined) fields.name = name
  const parentid = num(input, 'parentid')
  if (parentid !== undefined) fields.parentid = parentid
  const order = num(input, 'order')
  if (order !== undefined) fields.order = order
  const group = bool(input, 'createDeptGroup')
  if (group !== undefined) fields.createDeptGroup = group
  const source = str(input, 'sourceIdentifier')
  if (source !== undefined) fields.sourceIdentifier = source
  return fields
}

function listUsersLegacy(ctx: Ctx, full: boolean): Record<string, unknown> {
  const org = orgOf(ctx)
  const dept = getDept(org, num(ctx.input, 'department_id'))
  let users = members(org, dept.id)
  const order = str(ctx.input, 'order')
  if (order === 'entry_desc' || order === 'modify_desc') users = users.reverse()
  const offset = num(ctx.input, 'offset')
  const size = num(ctx.input, 'size')
  // §6.2: paging only applies when both offset and size are given.
  const { slice, hasMore } =
    offset !== undefined && size !== undefined ? page(users, offset, size) : { slice: users, hasMore: false }
  return {
    hasMore,
    userlist: slice.map((u) =>
      full ? { ...legacyUser(u), order: 0, isLeader: false } : { userid: u.userid, name: u.name },
    ),
  }
}

// --- topapi shapes (§6.3) ---

function v2User(user: UserRecord): Record<string, unknown> {
  return {
    userid: user.userid,
    unionid: user.unionid ?? `union${user.userid}`,
    name: user.name,
    avatar: user.avatar ?? '',
    state_code: '86',
    mobile: user.mobile,
    hide_mobile: false,
    telephone: user.tel ?? '',
    job_number: user.jobnumber ?? '',
    title: user.position ?? '',
    email: user.email ?? '',
    work_place: user.workPlace ?? '',
    remark: user.remark ?? '',
    dept_id_list: user.department,
    dept_order_list: user.department.map((dept_id) => ({ dept_id, order: 0 })),
    leader_in_dept: user.department.map((dept_id) => ({ dept_id, leader: false })),
    active: user.active ?? true,
    admin: user.isAdmin === true,
    boss: user.isBoss === true,
    senior: false,
    real_authed: true,
    role_list: [],
  }
}

function v2Dept(dept: DepartmentRecord): Record<string, unknown> {
  return {
    dept_id: dept.id,
    name: dept.name,
    ...(dept.parentid === undefined ? {} : { parent_id: dept.parentid }),
    order: dept.order,
    source_identifier: dept.sourceIdentifier ?? '',
    create_dept_group: dept.createDeptGroup,
    auto_add_user: dept.autoAddUser,
  }
}

function v2UserFields(input: Record<string, unknown>): UserFields {
  const fields: UserFields = {}
  const map = {
    userid: 'userid',
    name: 'name',
    mobile: 'mobile',
    title: 'position',
    email: 'email',
    job_number: 'jobnumber',
    telephone: 'tel',
    work_place: 'workPlace',
    remark: 'remark',
  } as const
  for (const [wire, key] of Object.entries(map)) {
    const value = str(input, wire)
    if (value !== undefined) fields[key] = value
  }
  const depts = strList(input, 'dept_id_list')
  if (depts !== undefined) {
    if (depts.some((d) => !/^\d+$/.test(d.trim())))
      throw invalidParam('dept_id_list must be ids separated by ","')
    fields.department = depts.map((d) => Number(d.trim()))
  }
  return fields
}

function v2DeptFields(input: Record<string, unknown>): DeptFields {
  const fields: DeptFields = {}
  const id = num(input, 'dept_id')
  if (id !== undefined) fields.id = id
  const name = str(input, 'name')
  if (name !== undefined) fields.name = name
  const parentid = num(input, 'parent_id')
  if (parentid !== undefined) fields.parentid = parentid
  const order = num(input, 'order')
  if (order !== undefined) fields.order = order
  const group = bool(input, 'create_dept_group')
  if (group !== undefined) fields.createDeptGroup = group
  const source = str(input, 'source_identifier')
  if (source !== undefined) fields.sourceIdentifier = source
  return fields
}

function cursorPage(ctx: Ctx, map: (u: UserRecord) => unknown): Record<string, unknown> {
  const org = orgOf(ctx)
  const dept = getDept(org, num(ctx.input, 'dept_id'))
  const cursor = num(ctx.input, 'cursor') ?? 0
  const size = num(ctx.input, 'size')
  if (size === undefined) throw invalidParam('size is required')
  const { slice, hasMore } = page(members(org, dept.id), cursor, size)
  return {
    result: { has_more: hasMore, ...(hasMore ? { next_cursor: cursor + size } : {}), list: slice.map(map) },
  }
}

export const contactRoutes: Routes = {
  '/user/get': {
    method: 'GET',
    auth: 'access',
    handle: (ctx) => legacyUser(getUser(orgOf(ctx), str(ctx.input, 'userid'))),
  },
  '/user/create': {
    method: 'POST',
    auth: 'access',
    body: 'json',
    handle: (ctx) => ({
      errmsg: 'created',
      userid: createUser(ctx, orgOf(ctx), legacyUserFields(ctx.input)).userid,
    }),
  },
  '/user/update': {
    method: 'POST',
    auth: 'access',
    body: 'json',
    handle: (ctx) => {
      updateUser(ctx, orgOf(ctx), legacyUserFields(ctx.input))
      return { errmsg: 'updated' }
    },
  },
  '/user/delete': {
    method: 'GET',
    auth: 'access',
    handle: (ctx) => {
      deleteUsers(ctx, orgOf(ctx), [str(ctx.input, 'userid') ?? ''])
      return { errmsg: 'deleted' }
    },
  },
  '/user/batchdelete': {
    method: 'POST',
    auth: 'access',
    body: 'json',
    handle: (ctx) => {
      const ids = strList(ctx.input, 'useridlist') ?? []
      if (ids.length < 1 || ids.length > 20) throw invalidParam('useridlist must hold 1–20 userids')
      deleteUsers(ctx, orgOf(ctx), ids)
      return { errmsg: 'deleted' }
    },
  },
  '/user/simplelist': { method: 'GET', auth: 'access', handle: (ctx) => listUsersLegacy(ctx, false) },
  '/user/list': { method: 'GET', auth: 'access', handle: (ctx) => listUsersLegacy(ctx, true) },
  '/user/listbypage': { method: 'GET', auth: 'access', handle: (ctx) => listUsersLegacy(ctx, true) },
  '/user/getDeptMember': {
    method: 'GET',
    auth: 'access',
    handle: (ctx) => {
      const org = orgOf(ctx)
      return { userIds: members(org, getDept(org, num(ctx.input, 'deptId')).id).map((u) => u.userid) }
    },
  },
  '/user/get_org_user_count': {
    method: 'GET',
    auth: 'access',
    handle: (ctx) => {
      const users = [...orgOf(ctx).users.values()]
      const onlyActive = num(ctx.input, 'onlyActive') === 1
      return { count: onlyActive ? users.filter((u) => u.active !== false).length : users.length }
    },
  },
  '/department/list': {
    method: 'GET',
    auth: 'access',
    handle: (ctx) => {
      const org = orgOf(ctx)
      const root = getDept(org, num(ctx.input, 'id') ?? 1)
      const recursive = bool(ctx.input, 'fetch_child') ?? true
      const list = recursive ? descendants(org, root.id) : children(org, root.id)
      return { department: list.map(legacyDept) }
    },
  },
  '/department/get': {
    method: 'GET',
    auth: 'access',
    handle: (ctx) => {
      const dept = getDept(orgOf(ctx), num(ctx.input, 'id'))
      return {
        ...legacyDept(dept),
        order: dept.order,
        deptHiding: false,
        deptPerimits: '',
        userPerimits: '',
        outerDept: false,
        outerPermitDepts: '',
        outerPermitUsers: '',
        orgDeptOwner: '',
        deptManagerUseridList: '',
        sourceIdentifier: dept.sourceIdentifier ?? '',
      }
    },
  },
  '/department/create': {
    method: 'POST',
    auth: 'access',
    body: 'json',
    handle: (ctx) => ({ errmsg: 'created', id: createDept(ctx, orgOf(ctx), legacyDeptFields(ctx.input)).id }),
  },
  '/department/update': {
    method: 'POST',
    auth: 'access',
    body: 'json',
    handle: (ctx) => ({ errmsg: 'updated', id: updateDept(ctx, orgOf(ctx), legacyDeptFields(ctx.input)).id }),
  },
  '/department/delete': {
    method: 'GET',
    auth: 'access',
    handle: (ctx) => {
      deleteDept(ctx, orgOf(ctx), num(ctx.input, 'id'))
      return { errmsg: 'deleted' }
    },
  },
  '/department/list_ids': {
    method: 'GET',
    auth: 'access',
    handle: (ctx) => {
      const org = orgOf(ctx)
      return { sub_dept_id_list: children(org, getDept(org, num(ctx.input, 'id')).id).map((d) => d.id) }
    },
  },
  '/department/list_parent_depts_by_dept': {
    method: 'GET',
    auth: 'access',
    handle: (ctx) => {
      const org = orgOf(ctx)
      return { parentIds: ancestors(org, getDept(org, num(ctx.input, 'id')).id) }
    },
  },
  '/topapi/v2/user/get': {
    method: 'POST',
    auth: 'access',
    body: 'json',
    handle: (ctx) => ({ result: v2User(getUser(orgOf(ctx), str(ctx.input, 'userid'))) }),
  },
  '/topapi/v2/user/create': {
    method: 'POST',
    auth: 'access',
    body: 'json',
    handle: (ctx) => {
      const user = createUser(ctx, orgOf(ctx), v2UserFields(ctx.input))
      return { result: { userid: user.userid, unionId: user.unionid ?? `union${user.userid}` } }
    },
  },
  '/topapi/v2/user/update': {
    method: 'POST',
    auth: 'access',
    body: 'json',
    handle: (ctx) => {
      updateUser(ctx, orgOf(ctx), v2UserFields(ctx.input))
      return {}
    },
  },
  '/topapi/v2/user/delete': {
    method: 'POST',
    auth: 'access',
    body: 'json',
    handle: (ctx) => {
      deleteUsers(ctx, orgOf(ctx), [str(ctx.input, 'userid') ?? ''])
      return {}
    },
  },
  '/topapi/v2/user/list': {
    method: 'POST',
    auth: 'access',
    body: 'json',
    handle: (ctx) => cursorPage(ctx, v2User),
  },
  '/topapi/user/listsimple': {
    method: 'POST',
    auth: 'access',
    body: 'json',
    handle: (ctx) => cursorPage(ctx, (u) => ({ userid: u.userid, name: u.name })),
  },
  '/topapi/user/listid': {
    method: 'POST',
    auth: 'access',
    body: 'json',
    handle: (ctx) => {
      const org = orgOf(ctx)
      const dept = getDept(org, num(ctx.input, 'dept_id'))
      return { result: { userid_list: members(org, dept.id).map((u) => u.userid) } }
    },
  },
  '/topapi/v2/department/get': {
    method: 'POST',
    auth: 'access',
    body: 'json',
    handle: (ctx) => ({ result: v2Dept(getDept(orgOf(ctx), num(ctx.input, 'dept_id'))) }),
  },
  '/topapi/v2/department/create': {
    method: 'POST',
    auth: 'access',
    body: 'json',
    handle: (ctx) => ({ result: { dept_id: createDept(ctx, orgOf(ctx), v2DeptFields(ctx.input)).id } }),
  },
  '/topapi/v2/department/update': {
    method: 'POST',
    auth: 'access',
    body: 'json',
    handle: (ctx) => {
      updateDept(ctx, orgOf(ctx), v2DeptFields(ctx.input))
      return {}
    },
  },
  '/topapi/v2/department/delete': {
    method: 'POST',
    auth: 'access',
    body: 'json',
    handle: (ctx) => {
      deleteDept(ctx, orgOf(ctx), num(ctx.input, 'dept_id'))
      return {}
    },
  },
  '/topapi/v2/department/listsub': {
    method: 'POST',
    auth: 'access',
    body: 'json',
    handle: (ctx) => {
      const org = orgOf(ctx)
      return { result: children(org, getDept(org, num(ctx.input, 'dept_id') ?? 1).id).map(v2Dept) }
    },
  },
  '/topapi/v2/department/listsubid': {
    method: 'POST',
    auth: 'access',
    body: 'json',
    handle: (ctx) => {
      const org = orgOf(ctx)
      const dept = getDept(org, num(ctx.input, 'dept_id') ?? 1)
      return { result: { dept_id_list: children(org, dept.id).map((d) => d.id) } }
    },
  },
}
