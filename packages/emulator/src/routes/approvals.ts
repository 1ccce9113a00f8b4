import { startInstance, terminateInstance } from '../approvals'
import { ApiError, type Ctx, num, type Routes } from '../context'
import type { ApprovalInstanceRecord } from '../office-state'
import type { OrgState } from '../state'
import { cst, DAY_MS, invalid, list, memberOf, orgOf, post, text } from './office-common'

function instanceOf(ctx: Ctx, id: string | undefined): ApprovalInstanceRecord {
  const instance = id === undefined ? undefined : ctx.emu.state.office.instances.get(id)
  // 820004 流程不存在 is documented for terminate and get_by_name; for get and comments it is unverified.
  if (!instance || instance.corpId !== ctx.token?.corpId) throw new ApiError(820004, '流程不存在')
  return instance
}

function wireValue(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value)
}

function steps(ctx: Ctx, org: OrgState): { action: 'AND' | 'OR' | 'NONE'; userIds: string[] }[] | undefined {
  const v2 = ctx.input.approvers_v2
  if (Array.isArray(v2) && v2.length > 0) {
    if (v2.length > 20) throw invalid('approvers_v2 holds at most 20 steps')
    return v2.map((raw) => {
      const step = (raw ?? {}) as Record<string, unknown>
      const action = step.task_action_type ?? 'NONE'
      const userIds = list(step, 'user_ids') ?? []
      if (action !== 'AND' && action !== 'OR' && action !== 'NONE') throw invalid('task_action_type')
      if (action === 'NONE' ? userIds.length !== 1 : userIds.length < 2) {
        throw invalid(`a ${action} step needs ${action === 'NONE' ? 'one user' : 'two or more users'}`)
      }
      for (const userid of userIds) memberOf(org, userid)
      return { action, userIds }
    })
  }
  const approvers = list(ctx.input, 'approvers')
  if (approvers && approvers.length > 0) {
    if (approvers.length > 20) throw invalid('approvers holds at most 20 userids')
    for (const userid of approvers) memberOf(org, userid)
    return approvers.map((userid) => ({ action: 'NONE', userIds: [userid] }))
  }
  return undefined
}

function create(ctx: Ctx): Record<string, unknown> {
  const org = orgOf(ctx)
  const processCode = text(ctx.input, 'process_code')
  if (!processCode) throw invalid('process_code is required')
  const process = ctx.emu.state.office.processes.get(`${org.corpId}:${processCode}`)
  if (!process) {
    throw new ApiError(820001, '发起审批实例失败，错误原因为【系统错误:Could not convert xml to bpmnModel.】')
  }
  const originator = memberOf(org, text(ctx.input, 'originator_user_id'))
  const deptId = num(ctx.input, 'dept_id')
  if (deptId === undefined) throw invalid('dept_id is required')
  if (deptId !== -1 && !originator.department.includes(deptId)) {
    throw invalid(`the originator is not in department ${deptId}`)
  }
  const values = ctx.input.form_component_values
  if (!Array.isArray(values) || values.length === 0) throw invalid('form_component_values is required')
  if (values.length > 200) throw invalid('form_component_values holds at most 200 fields')
  const form = values.map((raw) => {
    const field = (raw ?? {}) as Record<string, unknown>
    const name = text(field, 'name')
    if (!name || field.value === undefined) throw invalid('every form field needs name and value')
    return {
      name,
      value: wireValue(field.value),
      ...(field.ext_value === undefined ? {} : { ext_value: wireValue(field.ext_value) }),
    }
  })
  const ccList = list(ctx.input, 'cc_list') ?? []
  if (ccList.length > 20) throw invalid('cc_list holds at most 20 userids')
  for (const userid of ccList) memberOf(org, userid)
  const position = text(ctx.input, 'cc_position')
  if (position !== undefined && !['START', 'FINISH', 'START_FINISH'].includes(position)) {
    throw invalid('cc_position')
  }
  const given = steps(ctx, org)
  const instance = startInstance(ctx.emu, {
    corpId: org.corpId,
    process,
    originator: originator.userid,
    deptId,
    form,
    steps:
      given ??
      process.steps.map((step) =>
        typeof step === 'string'
          ? { action: 'NONE' as const, userIds: [step] }
          : { action: step.action, userIds: step.userIds },
      ),
    // Copied users only count together with explicit approvers (as documented).
    cc: given ? ccList : [],
    ccPosition:
      (position as ApprovalInstanceRecord['ccPosition']) ?? (ccList.length > 0 ? 'START' : undefined),
  })
  return { process_instance_id: instance.processInstanceId }
}

function view(ctx: Ctx, instance: ApprovalInstanceRecord): Record<string, unknown> {
  const org = orgOf(ctx)
  const dept = instance.deptId === -1 ? org.departments.get(1) : org.departments.get(instance.deptId)
  return {
    title: instance.title,
    create_time: cst(instance.createdAt),
    ...(instance.finishedAt === undefined ? {} : { finish_time: cst(instance.finishedAt) }),
    originator_userid: instance.originator,
    originator_dept_id: String(instance.deptId),
    originator_dept_name: dept?.name ?? '',
    status: instance.status,
    ...(instance.result ? { result: instance.result } : {}),
    business_id: instance.businessId,
    cc_userids: instance.cc,
    biz_action: 'NONE',
    attached_process_instance_ids: [],
    form_component_values: instance.form.map((f, i) => ({
      component_type: 'TextField',
      id: `TextField_EMU${i}`,
      name: f.name,
      value: f.value,
      ...(f.ext_value === undefined ? {} : { ext_value: f.ext_value }),
    })),
    tasks: instance.steps.flatMap((step) =>
      step.tasks
        .filter((t) => t.createdAt !== undefined || t.status !== 'NEW')
        .map((t) => ({
          taskid: t.taskId,
          userid: t.userid,
          task_status: t.status,
          ...(t.result ? { task_result: t.result } : {}),
          ...(t.createdAt === undefined ? {} : { create_time: cst(t.createdAt) }),
          ...(t.finishedAt === undefined ? {} : { finish_time: cst(t.finishedAt) }),
          url: `https://aflow.dingtalk.com/dingtalk/mobile/homepage.htm?procInstId=${instance.processInstanceId}&taskId=${t.taskId}`,
        })),
    ),
    operation_records: instance.operations.map((o) => ({
      userid: o.userid,
      date: cst(o.date),
      operation_type: o.type,
      operation_result: o.result,
      ...(o.remark ? { remark: o.remark } : {}),
    })),
  }
}

function listIds(ctx: Ctx): Record<string, unknown> {
  const org = orgOf(ctx)
  const processCode = text(ctx.input, 'process_code')
  if (!processCode) throw invalid('process_code is required')
  // The errcode for an unknown process code here is unverified.
  if (!ctx.emu.state.office.processes.has(`${org.corpId}:${processCode}`))
    throw new ApiError(830001, '审批模板不存在')
  const start = num(ctx.input, 'start_time')
  if (start === undefined) throw invalid('start_time is required')
  const end = num(ctx.input, 'end_time') ?? ctx.emu.now()
  if (end < start || end - start > 120 * DAY_MS) throw invalid('the time range must be at most 120 days')
  const size = num(ctx.input, 'size') ?? 10
  const cursor = num(ctx.input, 'cursor') ?? 0
  if (size < 1 || size > 20) throw new ApiError(40069, '不合法的分页大小')
  if (cursor < 0) throw new ApiError(40068, '不合法的偏移量')
  const originators = list(ctx.input, 'userid_list')
  if (originators && originators.length > 10) throw invalid('userid_list holds at most 10 userids')
  const ids = [...ctx.emu.state.office.instances.values()]
    .filter(
      (i) =>
        i.corpId === org.corpId &&
        i.processCode === processCode &&
        i.createdAt >= start &&
        i.createdAt <= end &&
        (originators === undefined || originators.includes(i.originator)),
    )
    .sort((a, b) => a.createdAt - b.createdAt)
    .map((i) => i.processInstanceId)
  const page = ids.slice(cursor, cursor + size)
  return { result: { list: page, ...(cursor + size < ids.length ? { next_cursor: cursor + size } : {}) } }
}

function request(ctx: Ctx): Record<string, unknown> {
  const value = ctx.input.request
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw invalid('request is required')
  return value as Record<string, unknown>
}

export const approvalRoutes: Routes = {
  '/topapi/processinstance/create': post(create),
  '/topapi/processinstance/get': post((ctx) => ({
    process_instance: view(ctx, instanceOf(ctx, text(ctx.input, 'process_instance_id'))),
  })),
  '/topapi/processinstance/listids': post(listIds),
  '/topapi/process/get_by_name': post((ctx) => {
    const org = orgOf(ctx)
    const name = text(ctx.input, 'name')
    if (!name) throw invalid('name is required')
    const process = [...ctx.emu.state.office.processes.values()].find(
      (p) => p.corpId === org.corpId && p.name === name,
    )
    if (!process) throw new ApiError(820004, '模板不存在')
    return { process_code: process.processCode }
  }),
  '/topapi/process/instance/comment/add': post((ctx) => {
    const req = request(ctx)
    const instance = instanceOf(ctx, text(req, 'process_instance_id'))
    const user = memberOf(orgOf(ctx), text(req, 'comment_userid'))
    const remark = text(req, 'text')
    if (!remark) throw invalid('text is required')
    instance.operations.push({
      userid: user.userid,
      date: ctx.emu.now(),
      type: 'ADD_REMARK',
      result: 'NONE',
      remark,
    })
    return { result: true, success: true }
  }),
  '/topapi/process/instance/terminate': post((ctx) => {
    const req = request(ctx)
    const instance = instanceOf(ctx, text(req, 'process_instance_id'))
    const system = req.is_system === true || req.is_system === 'true'
    const operator = text(req, 'operating_userid')
    if (!system && !operator) throw invalid('operating_userid is required unless is_system')
    if (operator) memberOf(orgOf(ctx), operator)
    terminateInstance(ctx.emu, instance, operator ?? '', text(req, 'remark'))
    return { result: true, success: true }
  }),
}
