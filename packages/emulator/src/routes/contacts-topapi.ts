import { type Ctx, invalidParam, num, type Routes, str, strList } from '../context'
import type { DepartmentRecord, UserRecord } from '../state'
import {
  children,
  createDept,
  createUser,
  type DeptFields,
  deleteDept,
  deleteUsers,
  getDept,
  getUser,
  members,
  orgOf,
  page,
  readDeptFields,
  readUserText,
  type UserFields,
  updateDept,
  updateUser,
} from './contact-store'

// topapi (v2) contact endpoints and their answer shapes (§6.3).

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

const V2_USER_TEXT = {
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

function v2UserFields(input: Record<string, unknown>): UserFields {
  const fields = readUserText(input, V2_USER_TEXT)
  const depts = strList(input, 'dept_id_list')
  if (depts !== undefined) {
    if (depts.some((d) => !/^\d+$/.test(d.trim())))
      throw invalidParam('dept_id_list must be ids separated by ","')
    fields.department = depts.map((d) => Number(d.trim()))
  }
  return fields
}

const v2DeptFields = (input: Record<string, unknown>): DeptFields =>
  readDeptFields(input, {
    id: 'dept_id',
    parentid: 'parent_id',
    createDeptGroup: 'create_dept_group',
    sourceIdentifier: 'source_identifier',
  })

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

export const topapiContactRoutes: Routes = {
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
