import type {
  Department,
  DepartmentsApi,
  DepartmentUpdateInput,
  LegacyDepartment,
  LegacyDepartmentsApi,
  LegacyDepartmentUpdateInput,
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
} from './context'

function toDepartment(raw: unknown): Department {
  const r = asRecord(raw)
  return {
    deptId: asNumber(r.dept_id) ?? 0,
    name: asString(r.name),
    parentId: asNumber(r.parent_id),
    order: asNumber(r.order),
    sourceIdentifier: asString(r.source_identifier),
    createDeptGroup: asBool(r.create_dept_group),
    autoAddUser: asBool(r.auto_add_user),
  }
}

function departmentWire(input: Partial<DepartmentUpdateInput>): Record<string, unknown> {
  return compact({
    dept_id: input.deptId,
    name: input.name,
    parent_id: input.parentId,
    order: input.order,
    source_identifier: input.sourceIdentifier,
    create_dept_group: input.createDeptGroup,
    auto_add_user: input.autoAddUser,
    hide_dept: input.hideDept,
    language: input.language,
  })
}

function toLegacyDepartment(raw: unknown): LegacyDepartment {
  const r = asRecord(raw)
  const managers = asString(r.deptManagerUseridList)
  return {
    id: asNumber(r.id) ?? 0,
    name: asString(r.name),
    parentId: asNumber(r.parentid),
    order: asNumber(r.order),
    createDeptGroup: asBool(r.createDeptGroup),
    autoAddUser: asBool(r.autoAddUser),
    sourceIdentifier: asString(r.sourceIdentifier),
    // §6.1: "a|b".
    deptManagerUserIds: managers === '' ? [] : managers.split('|'),
  }
}

function legacyDepartmentWire(input: Partial<LegacyDepartmentUpdateInput>): Record<string, unknown> {
  return compact({
    id: input.id,
    name: input.name,
    parentid: input.parentId,
    order: input.order,
    createDeptGroup: input.createDeptGroup,
    deptHiding: input.deptHiding,
    sourceIdentifier: input.sourceIdentifier,
  })
}

/** Departments of the `topapi/v2` generation (§6.3). */
export function createDepartmentsApi(ctx: ApiContext): DepartmentsApi {
  const { post, read } = envelopeCalls(ctx)
  const departments: DepartmentsApi = {
    async get(deptId, options = {}) {
      const body = await read(
        '/topapi/v2/department/get',
        compact({ dept_id: deptId, language: options.language }),
      )
      return toDepartment(body.result)
    },
    async create(input) {
      const body = await post('/topapi/v2/department/create', departmentWire(input))
      return { deptId: asNumber(asRecord(body.result).dept_id) ?? 0 }
    },
    async update(input) {
      await post('/topapi/v2/department/update', departmentWire(input))
    },
    async delete(deptId) {
      await post('/topapi/v2/department/delete', { dept_id: deptId })
    },
    async listSub(deptId = 1, options = {}) {
      const body = await read(
        '/topapi/v2/department/listsub',
        compact({ dept_id: deptId, language: options.language }),
      )
      return asArray(body.result).map(toDepartment)
    },
    async listSubIds(deptId = 1) {
      const body = await read('/topapi/v2/department/listsubid', { dept_id: deptId })
      return asArray(asRecord(body.result).dept_id_list).map(Number)
    },
    async *iterate(deptId = 1, options = {}) {
      const queue = [deptId]
      const seen = new Set(queue)
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
        for (const dept of await departments.listSub(id, options)) {
          if (seen.has(dept.deptId)) continue
          seen.add(dept.deptId)
          queue.push(dept.deptId)
          yield dept
        }
      }
    },
  }
  return departments
}

/** The legacy department endpoints (§6.1). */
export function createLegacyDepartmentsApi(ctx: ApiContext): LegacyDepartmentsApi {
  const { post, get, change } = envelopeCalls(ctx)
  const legacyDepartments: LegacyDepartmentsApi = {
    async list(options = {}) {
      const body = await get('/department/list', {
        id: options.id ?? 1,
        fetch_child: options.fetchChild,
        lang: options.lang,
      })
      return asArray(body.department).map(toLegacyDepartment)
    },
    async get(id, options = {}) {
      return toLegacyDepartment(await get('/department/get', { id, lang: options.lang }))
    },
    async create(input) {
      const body = await post('/department/create', legacyDepartmentWire(input))
      return { id: asNumber(body.id) ?? 0 }
    },
    async update(input) {
      await post('/department/update', legacyDepartmentWire(input))
    },
    async delete(id) {
      await change('/department/delete', { id })
    },
    async listIds(id) {
      return asArray((await get('/department/list_ids', { id })).sub_dept_id_list).map(Number)
    },
    async parentIds(id) {
      return asArray((await get('/department/list_parent_depts_by_dept', { id })).parentIds).map(Number)
    },
  }
  return legacyDepartments
}
