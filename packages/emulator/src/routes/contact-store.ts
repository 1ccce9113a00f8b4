import { ApiError, bool, type Ctx, invalidParam, num, randomId, str } from '../context'
import { type DepartmentRecord, department as newDepartment, type OrgState, type UserRecord } from '../state'

// The contacts of an emulated org: lookups, and the mutations both API generations share.

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

export function getUser(org: OrgState, userid: string | undefined): UserRecord {
  if (!userid) throw new ApiError(40035, '不合法的参数: userid is required')
  const user = org.users.get(userid)
  if (!user) throw userNotFound(userid)
  return user
}

export function getDept(org: OrgState, id: number | undefined): DepartmentRecord {
  if (id === undefined) throw invalidParam('department id is required')
  const dept = org.departments.get(id)
  if (!dept) throw deptNotFound(id)
  return dept
}

export function children(org: OrgState, id: number): DepartmentRecord[] {
  return [...org.departments.values()]
    .filter((d) => d.parentid === id)
    .sort((a, b) => a.order - b.order || a.id - b.id)
}

export function descendants(org: OrgState, id: number): DepartmentRecord[] {
  return children(org, id).flatMap((d) => [d, ...descendants(org, d.id)])
}

export function members(org: OrgState, deptId: number): UserRecord[] {
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

export interface UserFields {
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

/** The user fields that are plain optional text, the same in both API generations' records. */
export const USER_TEXT_FIELDS = ['position', 'email', 'jobnumber', 'tel', 'workPlace', 'remark'] as const

type UserTextField = 'userid' | 'name' | 'mobile' | (typeof USER_TEXT_FIELDS)[number]

/** Reads the text fields of a request body, by wire name → field name. */
export function readUserText(
  input: Record<string, unknown>,
  wire: Record<string, UserTextField>,
): UserFields {
  const fields: UserFields = {}
  for (const [name, key] of Object.entries(wire)) {
    const value = str(input, name)
    if (value !== undefined) fields[key] = value
  }
  return fields
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

export function createUser(ctx: Ctx, org: OrgState, fields: UserFields): UserRecord {
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
  for (const key of [...USER_TEXT_FIELDS, 'extattr'] as const) {
    if (fields[key] !== undefined) Object.assign(user, { [key]: fields[key] })
  }
  org.users.set(userid, user)
  ctx.emu.emitCorpEvent(org.corpId, 'user_add_org', { UserId: [userid] })
  return user
}

export function updateUser(ctx: Ctx, org: OrgState, fields: UserFields): UserRecord {
  const user = getUser(org, fields.userid)
  if (fields.name !== undefined && (fields.name.trim() === '' || fields.name.length > 64)) {
    throw invalidParam('name must be 1–64 characters')
  }
  if (fields.mobile !== undefined) checkMobile(org, fields.mobile, user.userid)
  if (fields.department !== undefined) checkDepartments(org, fields.department)
  for (const key of ['name', 'mobile', 'department', ...USER_TEXT_FIELDS, 'extattr'] as const) {
    if (fields[key] !== undefined) Object.assign(user, { [key]: fields[key] })
  }
  user.modifiedAt = ctx.emu.now()
  ctx.emu.emitCorpEvent(org.corpId, 'user_modify_org', { UserId: [user.userid] })
  return user
}

export function deleteUsers(ctx: Ctx, org: OrgState, userids: string[]): void {
  for (const userid of userids) getUser(org, userid)
  for (const userid of userids) org.users.delete(userid)
  ctx.emu.emitCorpEvent(org.corpId, 'user_leave_org', { UserId: userids })
}

export interface DeptFields {
  id?: number
  name?: string
  parentid?: number
  order?: number
  createDeptGroup?: boolean
  sourceIdentifier?: string
}

/** Wire names of the department fields that differ between the two API generations. */
export interface DeptWireNames {
  id: string
  parentid: string
  createDeptGroup: string
  sourceIdentifier: string
}

export function readDeptFields(input: Record<string, unknown>, wire: DeptWireNames): DeptFields {
  const fields: DeptFields = {}
  const id = num(input, wire.id)
  if (id !== undefined) fields.id = id
  const name = str(input, 'name')
  if (name !== undefined) fields.name = name
  const parentid = num(input, wire.parentid)
  if (parentid !== undefined) fields.parentid = parentid
  const order = num(input, 'order')
  if (order !== undefined) fields.order = order
  const group = bool(input, wire.createDeptGroup)
  if (group !== undefined) fields.createDeptGroup = group
  const source = str(input, wire.sourceIdentifier)
  if (source !== undefined) fields.sourceIdentifier = source
  return fields
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

export function createDept(ctx: Ctx, org: OrgState, fields: DeptFields): DepartmentRecord {
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

export function updateDept(ctx: Ctx, org: OrgState, fields: DeptFields): DepartmentRecord {
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

export function deleteDept(ctx: Ctx, org: OrgState, id: number | undefined): void {
  const dept = getDept(org, id)
  if (dept.id === 1) throw new ApiError(60007, '不允许删除根部门')
  if (children(org, dept.id).length > 0) throw new ApiError(60006, '部门下存在子部门, 不允许删除')
  if (members(org, dept.id).length > 0) throw new ApiError(60005, '部门下存在员工, 不允许删除')
  org.departments.delete(dept.id)
  ctx.emu.emitCorpEvent(org.corpId, 'org_dept_remove', { DeptId: [dept.id] })
}

export function page<T>(items: T[], offset: number, size: number): { slice: T[]; hasMore: boolean } {
  if (size < 1 || size > 100) throw invalidParam('size must be 1–100')
  if (offset < 0) throw invalidParam('offset must not be negative')
  return { slice: items.slice(offset, offset + size), hasMore: offset + size < items.length }
}
