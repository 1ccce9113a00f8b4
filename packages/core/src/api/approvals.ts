import { DingTalkLimitError } from '../errors/limit'
import {
  type ApiContext,
  asArray,
  asNumber,
  asRecord,
  asString,
  compact,
  envelopeCalls,
  paginate,
} from './context'
import {
  checkList,
  checkPageSize,
  checkWindow,
  type DingTalkTime,
  requireNonEmpty,
  requireText,
} from './limits'

/**
 * A form value: text, a number, or a JSON array (pictures, attachments, linked instances, detail tables).
 * Multi-select and contact fields take a JSON *string* such as `'["a","b"]'`, as DingTalk documents.
 */
export type ApprovalFormValue = string | number | readonly unknown[]

/**
 * One field of an approval form, by its label as designed in the template.
 *
 * @example
 * ```ts
 * const fields: ApprovalFormField[] = [{ name: '请假类型', value: '年假' }, { name: '天数', value: 2, extValue: '总天数:2' }]
 * ```
 */
export interface ApprovalFormField {
  name: string
  value: ApprovalFormValue
  extValue?: string
}

/**
 * One approval step: `AND` (会签, everyone), `OR` (或签, anyone) with ≥ 2 users, `NONE` with exactly one.
 *
 * @example
 * ```ts
 * const steps: ApprovalStep[] = [{ action: 'AND', userIds: ['zhangsan', 'zhaoliu'] }, { action: 'NONE', userIds: ['lisi'] }]
 * ```
 */
export interface ApprovalStep {
  action: 'AND' | 'OR' | 'NONE'
  userIds: readonly string[]
}

/**
 * Input of {@link ApprovalsApi.create} (`topapi/processinstance/create`).
 *
 * @example
 * ```ts
 * const input: ApprovalCreateInput = { processCode: 'PROC-EMU-LEAVE', originatorUserId: 'lisi', deptId: -1, form: [{ name: '事由', value: '年假' }] }
 * ```
 */
export interface ApprovalCreateInput {
  processCode: string
  originatorUserId: string
  /** The originator's department; `-1` for the root department. */
  deptId: number
  /** At most 200 fields. */
  form: readonly ApprovalFormField[]
  /** Approvers one after the other (≤ 20). Without approvers/steps the template's own flow is used. */
  approvers?: readonly string[]
  /** Approval steps with 会签/或签 (≤ 20); takes precedence over `approvers`. */
  steps?: readonly ApprovalStep[]
  /** Copied users (≤ 20); DingTalk only honours them together with `approvers` or `steps`. */
  ccUserIds?: readonly string[]
  ccPosition?: 'START' | 'FINISH' | 'START_FINISH'
  /** Required for ISV apps; default: the client's agentId when it has one. */
  agentId?: string | number
}

/** `NEW`, `RUNNING`, `TERMINATED`, `COMPLETED` or `CANCELED`. */
export type ApprovalStatus = 'NEW' | 'RUNNING' | 'TERMINATED' | 'COMPLETED' | 'CANCELED' | (string & {})

/** A task of an approval instance (one approver at one step). */
export interface ApprovalTask {
  taskId: string
  userId: string
  /** `NEW`, `RUNNING`, `PAUSED`, `CANCELED`, `COMPLETED`, `TERMINATED`. */
  status: string
  /** `AGREE`, `REFUSE`, `REDIRECTED`, or empty while open. */
  result: string
  /** `yyyy-MM-dd HH:mm:ss` (China time), as DingTalk sends it. */
  createTime: string
  finishTime: string
  url: string
}

/** One line of an instance's history. */
export interface ApprovalOperation {
  userId: string
  /** `yyyy-MM-dd HH:mm:ss` (China time). */
  date: string
  /** e.g. `START_PROCESS_INSTANCE`, `EXECUTE_TASK_NORMAL`, `ADD_REMARK`, `TERMINATE_PROCESS_INSTANCE`. */
  type: string
  /** `AGREE`, `REFUSE` or `NONE`. */
  result: string
  remark: string
}

/** An approval instance (审批实例), from `topapi/processinstance/get`. */
export interface ApprovalInstance {
  processInstanceId: string
  title: string
  status: ApprovalStatus
  /** `agree` or `refuse` once finished, else empty. */
  result: string
  /** `status` is `COMPLETED` and `result` is `agree`: the request was approved. */
  approved: boolean
  businessId: string
  originatorUserId: string
  /** `-1` for the root department. */
  originatorDeptId: string
  originatorDeptName: string
  /** `yyyy-MM-dd HH:mm:ss` (China time). */
  createTime: string
  finishTime: string
  ccUserIds: string[]
  form: { name: string; value: string; extValue: string; id: string; componentType: string }[]
  tasks: ApprovalTask[]
  operations: ApprovalOperation[]
  /** `NONE`, `MODIFY` or `REVOKE`. */
  bizAction: string
  attachedProcessInstanceIds: string[]
}

/**
 * Input of {@link ApprovalsApi.listIds}: instances started in a window of at most 120 days.
 *
 * @example
 * ```ts
 * const input: ApprovalListIdsInput = { processCode: 'PROC-EMU-LEAVE', startTime: '2026-11-01', userIds: ['lisi'] }
 * ```
 */
export interface ApprovalListIdsInput {
  processCode: string
  startTime: DingTalkTime
  /** Default: now. */
  endTime?: DingTalkTime
  /** Only these originators (≤ 10). */
  userIds?: readonly string[]
  /** 0 for the first page. */
  cursor?: number
  /** ≤ 20. Default 20. */
  size?: number
}

/**
 * OA approvals (OA审批, `topapi/processinstance/*`, `topapi/process/*`). DingTalk pushes `bpms_instance_change`
 * and `bpms_task_change` to the corp callback as an instance moves through its tasks.
 *
 * @example
 * ```ts
 * const { processInstanceId } = await client.approvals.create({
 *   processCode: 'PROC-EMU-LEAVE',
 *   originatorUserId: 'lisi',
 *   deptId: 2,
 *   form: [{ name: '请假类型', value: '年假' }, { name: '天数', value: 2 }],
 * })
 * // … on bpms_instance_change with type "finish":
 * const instance = await client.approvals.get(processInstanceId)
 * if (instance.approved) grantLeave(instance)
 * ```
 */
export interface ApprovalsApi {
  /**
   * `topapi/processinstance/create`: starts an instance. Lists are checked locally (≤ 200 form fields,
   * ≤ 20 approvers, steps and cc users).
   *
   * @example
   * ```ts
   * const { processInstanceId } = await client.approvals.create({
   *   processCode,
   *   originatorUserId: 'lisi',
   *   deptId: -1,
   *   form: [{ name: '事由', value: '出差' }],
   *   steps: [{ action: 'OR', userIds: ['zhangsan', 'zhaoliu'] }],
   * })
   * ```
   */
  create(input: ApprovalCreateInput): Promise<{ processInstanceId: string }>
  /**
   * `topapi/processinstance/get`: the instance with its form, tasks and history.
   *
   * @example
   * ```ts
   * const { status, result, tasks } = await client.approvals.get(processInstanceId)
   * ```
   */
  get(processInstanceId: string): Promise<ApprovalInstance>
  /**
   * `topapi/processinstance/listids`: one page of instance ids (window ≤ 120 days, ≤ 10 originators,
   * `size` ≤ 20 — checked locally). `nextCursor` is absent on the last page.
   *
   * @example
   * ```ts
   * const { list, nextCursor } = await client.approvals.listIds({ processCode, startTime: '2026-11-01' })
   * ```
   */
  listIds(input: ApprovalListIdsInput): Promise<{ list: string[]; nextCursor: number | undefined }>
  /**
   * Every instance id of the window, following `next_cursor`.
   *
   * @example
   * ```ts
   * for await (const id of client.approvals.iterateIds({ processCode, startTime: Date.now() - 7 * 86_400_000 })) {
   *   console.log((await client.approvals.get(id)).status)
   * }
   * ```
   */
  iterateIds(input: Omit<ApprovalListIdsInput, 'cursor'>): AsyncGenerator<string, void, undefined>
  /**
   * `topapi/process/get_by_name`: the process code of a template, by its name.
   *
   * @example
   * ```ts
   * const processCode = await client.approvals.getProcessCode('请假')
   * ```
   */
  getProcessCode(name: string): Promise<string>
  /**
   * `topapi/process/instance/comment/add`: comments on an instance as a member.
   *
   * @example
   * ```ts
   * await client.approvals.addComment({ processInstanceId, userId: 'zhangsan', text: '请补充行程单' })
   * ```
   */
  addComment(input: {
    processInstanceId: string
    userId: string
    text: string
    /** Picture URLs. */
    photos?: readonly string[]
  }): Promise<void>
  /**
   * `topapi/process/instance/terminate` (撤销): ends a running instance, as `operatingUserId` or as the
   * system (`system: true`).
   *
   * @example
   * ```ts
   * await client.approvals.terminate({ processInstanceId, operatingUserId: 'lisi', remark: '行程取消' })
   * ```
   */
  terminate(input: {
    processInstanceId: string
    operatingUserId?: string
    system?: boolean
    remark?: string
  }): Promise<void>
}

const strings = (value: unknown): string[] => asArray(value).map(String)

function toInstance(processInstanceId: string, raw: unknown): ApprovalInstance {
  const r = asRecord(raw)
  const status = asString(r.status)
  const result = asString(r.result)
  return {
    processInstanceId,
    title: asString(r.title),
    status,
    result,
    approved: status === 'COMPLETED' && result === 'agree',
    businessId: asString(r.business_id),
    originatorUserId: asString(r.originator_userid),
    originatorDeptId: asString(r.originator_dept_id),
    originatorDeptName: asString(r.originator_dept_name),
    createTime: asString(r.create_time),
    finishTime: asString(r.finish_time),
    ccUserIds: strings(r.cc_userids),
    form: asArray(r.form_component_values).map((item) => {
      const f = asRecord(item)
      return {
        name: asString(f.name),
        value: asString(f.value),
        extValue: asString(f.ext_value),
        id: asString(f.id),
        componentType: asString(f.component_type),
      }
    }),
    tasks: asArray(r.tasks).map((item) => {
      const t = asRecord(item)
      return {
        taskId: asString(t.taskid),
        userId: asString(t.userid),
        status: asString(t.task_status),
        result: asString(t.task_result),
        createTime: asString(t.create_time),
        finishTime: asString(t.finish_time),
        url: asString(t.url),
      }
    }),
    operations: asArray(r.operation_records).map((item) => {
      const o = asRecord(item)
      return {
        userId: asString(o.userid),
        date: asString(o.date),
        type: asString(o.operation_type),
        result: asString(o.operation_result),
        remark: asString(o.remark),
      }
    }),
    bizAction: asString(r.biz_action),
    attachedProcessInstanceIds: strings(r.attached_process_instance_ids),
  }
}

const CREATE = '/topapi/processinstance/create'
const LIST_IDS = '/topapi/processinstance/listids'

function checkCreate(input: ApprovalCreateInput): void {
  requireText(CREATE, 'processCode', input.processCode)
  requireText(CREATE, 'originatorUserId', input.originatorUserId)
  requireNonEmpty(CREATE, 'form', input.form)
  checkList(CREATE, 'form', input.form, 200)
  if (input.approvers) checkList(CREATE, 'approvers', input.approvers, 20)
  if (input.ccUserIds) checkList(CREATE, 'ccUserIds', input.ccUserIds, 20)
  if (input.steps) {
    checkList(CREATE, 'steps', input.steps, 20)
    for (const step of input.steps) {
      checkList(CREATE, 'steps[].userIds', step.userIds, 20)
      const single = step.action === 'NONE'
      if (single ? step.userIds.length !== 1 : step.userIds.length < 2) {
        throw new DingTalkLimitError(
          'INVALID_ARGUMENT',
          `${CREATE}: a ${step.action} step needs ${single ? 'exactly one user' : 'at least two users'}.`,
          { api: CREATE, parameter: 'steps[].userIds' },
        )
      }
    }
  }
}

export function createApprovalsApi(ctx: ApiContext): ApprovalsApi {
  const { post, read } = envelopeCalls(ctx)

  const approvals: ApprovalsApi = {
    async create(input) {
      checkCreate(input)
      const agentId = input.agentId ?? (await ctx.agentId())
      const body = await post(
        CREATE,
        compact({
          process_code: input.processCode,
          originator_user_id: input.originatorUserId,
          dept_id: input.deptId,
          agent_id: agentId === undefined ? undefined : asNumber(agentId),
          form_component_values: input.form.map((field) =>
            compact({
              name: field.name,
              value: typeof field.value === 'number' ? String(field.value) : field.value,
              ext_value: field.extValue,
            }),
          ),
          // Comma-separated userids, approved one after the other.
          approvers: input.approvers?.join(','),
          approvers_v2: input.steps?.map((step) => ({
            task_action_type: step.action,
            user_ids: step.userIds,
          })),
          cc_list: input.ccUserIds?.join(','),
          cc_position: input.ccPosition,
        }),
      )
      return { processInstanceId: asString(body.process_instance_id) }
    },
    async get(processInstanceId) {
      requireText('/topapi/processinstance/get', 'processInstanceId', processInstanceId)
      const body = await read('/topapi/processinstance/get', { process_instance_id: processInstanceId })
      return toInstance(processInstanceId, body.process_instance)
    },
    async listIds(input) {
      requireText(LIST_IDS, 'processCode', input.processCode)
      const size = input.size ?? 20
      checkPageSize(LIST_IDS, 'size', size, 20)
      if (input.userIds) checkList(LIST_IDS, 'userIds', input.userIds, 10)
      const window = checkWindow(
        LIST_IDS,
        ['startTime', 'endTime'],
        input.startTime,
        input.endTime ?? Date.now(),
        120,
      )
      const body = await read(
        LIST_IDS,
        compact({
          process_code: input.processCode,
          start_time: window.from,
          end_time: input.endTime === undefined ? undefined : window.to,
          size,
          cursor: input.cursor ?? 0,
          userid_list: input.userIds?.join(','),
        }),
      )
      const r = asRecord(body.result)
      return { list: strings(r.list), nextCursor: asNumber(r.next_cursor) }
    },
    iterateIds(input) {
      return paginate(0, async (cursor) => {
        const page = await approvals.listIds({ ...input, cursor })
        return { items: page.list, hasMore: page.nextCursor !== undefined, next: page.nextCursor }
      })
    },
    async getProcessCode(name) {
      requireText('/topapi/process/get_by_name', 'name', name)
      return asString((await read('/topapi/process/get_by_name', { name })).process_code)
    },
    async addComment(input) {
      const api = '/topapi/process/instance/comment/add'
      requireText(api, 'processInstanceId', input.processInstanceId)
      requireText(api, 'userId', input.userId)
      requireText(api, 'text', input.text)
      await post(api, {
        request: compact({
          process_instance_id: input.processInstanceId,
          comment_userid: input.userId,
          text: input.text,
          file: input.photos === undefined ? undefined : { photos: input.photos },
        }),
      })
    },
    async terminate(input) {
      const api = '/topapi/process/instance/terminate'
      requireText(api, 'processInstanceId', input.processInstanceId)
      const system = input.system ?? false
      if (!system) requireText(api, 'operatingUserId', input.operatingUserId)
      await post(api, {
        request: compact({
          process_instance_id: input.processInstanceId,
          is_system: system,
          remark: input.remark,
          operating_userid: input.operatingUserId,
        }),
      })
    },
  }
  return approvals
}
