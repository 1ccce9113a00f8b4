import { ApiError, bool, type Ctx, invalidParam, num, type Routes, str, strList } from '../context'
import type { DepartmentRecord, UserRecord } from '../state'
import {
  ancestors,
  children,
  createDept,
  createUser,
  type DeptFields,
  deleteDept,
  deleteUsers,
  descendants,
  getDept,
  getUser,
  members,
  orgOf,
  page,
  readDeptFields,
  readUserText,
  USER_TEXT_FIELDS,
  type UserFields,
  updateDept,
  updateUser,
} from './contact-store'

// Legacy contact endpoints and their answer shapes (§6.1, §6.2).

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

const LEGACY_USER_TEXT = Object.fromEntries(
  (['userid', 'name', 'mobile', ...USER_TEXT_FIELDS] as const).map((key) => [key, key]),
)

function legacyUserFields(input: Record<string, unknown>): UserFields {
  const fields = readUserText(input, LEGACY_USER_TEXT)
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

const legacyDeptFields = (input: Record<string, unknown>): DeptFields =>
  readDeptFields(input, {
    id: 'id',
    parentid: 'parentid',
    createDeptGroup: 'createDeptGroup',
    sourceIdentifier: 'sourceIdentifier',
  })

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

export const legacyContactRoutes: Routes = {
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
}
