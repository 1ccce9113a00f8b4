import { randomUUID } from 'node:crypto'
import { ApiError, type Internals } from './context'
import type { ApprovalInstanceRecord, ApprovalTaskRecord, FixtureProcess } from './office-state'
import type { PushResult } from './pusher'

/**
 * Acting in DingTalk's approval app (OA审批) as an approver, from tests and demos. Every move pushes
 * `bpms_task_change` / `bpms_instance_change` to the corp's registered callback (when those tags are
 * registered), as DingTalk does.
 *
 * @example
 * ```ts
 * const { processInstanceId } = await client.approvals.create({ processCode: 'PROC-EMU-LEAVE', originatorUserId: 'lisi', deptId: 2, form })
 * await emu.approvals.approve(processInstanceId, { userId: 'zhangsan', result: 'agree' })
 * expect((await client.approvals.get(processInstanceId)).approved).toBe(true)
 * ```
 */
export interface ApprovalsController {
  /**
   * Completes `userId`'s running task with `agree` (default) or `refuse`, moves the instance on (next step,
   * or finished), and resolves with the outcomes of the pushes this caused. Throws when the user has no
   * running task in the instance.
   */
  approve(
    processInstanceId: string,
    input: { userId: string; result?: 'agree' | 'refuse'; remark?: string },
  ): Promise<PushResult[]>
  /** The userids whose tasks are running (who may approve now). */
  pendingApprovers(processInstanceId: string): string[]
  /** The instance as the emulator keeps it, or `undefined`. */
  get(processInstanceId: string): ApprovalInstanceRecord | undefined
}

export interface StartInput {
  corpId: string
  process: FixtureProcess
  originator: string
  deptId: number
  form: ApprovalInstanceRecord['form']
  steps: { action: 'AND' | 'OR' | 'NONE'; userIds: string[] }[]
  cc: string[]
  ccPosition: ApprovalInstanceRecord['ccPosition']
}

function common(instance: ApprovalInstanceRecord): Record<string, unknown> {
  return {
    processInstanceId: instance.processInstanceId,
    corpId: instance.corpId,
    createTime: instance.createdAt,
    title: instance.title,
    processCode: instance.processCode,
    bizCategoryId: '',
    businessId: instance.businessId,
  }
}

function instanceEvent(emu: Internals, instance: ApprovalInstanceRecord, type: string): void {
  emu.emitCorpEvent(instance.corpId, 'bpms_instance_change', {
    ...common(instance),
    type,
    staffId: instance.originator,
    url: `https://aflow.dingtalk.com/dingtalk/mobile/homepage.htm?procInstId=${instance.processInstanceId}`,
    ...(instance.finishedAt === undefined ? {} : { finishTime: instance.finishedAt }),
    ...(type === 'finish' && instance.result ? { result: instance.result } : {}),
  })
}

function taskEvent(
  emu: Internals,
  instance: ApprovalInstanceRecord,
  task: ApprovalTaskRecord,
  type: 'start' | 'finish' | 'cancel',
  remark?: string,
): void {
  emu.emitCorpEvent(instance.corpId, 'bpms_task_change', {
    ...common(instance),
    type,
    staffId: task.userid,
    taskId: task.taskId,
    ...(task.finishedAt === undefined ? {} : { finishTime: task.finishedAt }),
    ...(type === 'finish' && task.result ? { result: task.result.toLowerCase() } : {}),
    ...(remark ? { remark } : {}),
  })
}

function openStep(emu: Internals, instance: ApprovalInstanceRecord): void {
  const step = instance.steps[instance.current]
  if (!step) return
  const t = emu.now()
  for (const task of step.tasks) {
    task.status = 'RUNNING'
    task.createdAt = t
    taskEvent(emu, instance, task, 'start')
  }
}

function cc(emu: Internals, instance: ApprovalInstanceRecord, at: 'START' | 'FINISH'): void {
  if (instance.cc.length === 0 || !instance.ccPosition?.includes(at)) return
  for (const userid of instance.cc) {
    instance.operations.push({ userid, date: emu.now(), type: 'PROCESS_CC', result: 'NONE' })
  }
}

function finish(emu: Internals, instance: ApprovalInstanceRecord, result: 'agree' | 'refuse'): void {
  instance.status = 'COMPLETED'
  instance.result = result
  instance.finishedAt = emu.now()
  for (const step of instance.steps) {
    for (const task of step.tasks) if (task.status === 'NEW') task.status = 'CANCELED'
  }
  cc(emu, instance, 'FINISH')
  instanceEvent(emu, instance, 'finish')
}

export function startInstance(emu: Internals, input: StartInput): ApprovalInstanceRecord {
  const org = emu.state.orgs.get(input.corpId)
  const name = org?.users.get(input.originator)?.name ?? input.originator
  const t = emu.now()
  const seq = emu.state.office.instances.size + 1
  const d = new Date(t + 8 * 3_600_000)
  const stamp = `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}${String(d.getUTCDate()).padStart(2, '0')}`
  const instance: ApprovalInstanceRecord = {
    processInstanceId: randomUUID(),
    corpId: input.corpId,
    processCode: input.process.processCode,
    title: `${name}提交的${input.process.name}`,
    originator: input.originator,
    deptId: input.deptId,
    businessId: `${stamp}${String(seq).padStart(6, '0')}`,
    createdAt: t,
    status: 'RUNNING',
    form: input.form,
    steps: input.steps.map((step) => ({
      action: step.action,
      tasks: step.userIds.map((userid) => ({
        taskId: String(++emu.state.office.seq),
        userid,
        status: 'NEW',
      })),
    })),
    current: 0,
    cc: input.cc,
    ccPosition: input.ccPosition,
    operations: [{ userid: input.originator, date: t, type: 'START_PROCESS_INSTANCE', result: 'NONE' }],
  }
  emu.state.office.instances.set(instance.processInstanceId, instance)
  cc(emu, instance, 'START')
  instanceEvent(emu, instance, 'start')
  if (instance.steps.length === 0) finish(emu, instance, 'agree')
  else openStep(emu, instance)
  return instance
}

export function actOnTask(
  emu: Internals,
  instance: ApprovalInstanceRecord,
  userid: string,
  result: 'agree' | 'refuse',
  remark?: string,
): void {
  const step = instance.steps[instance.current]
  const task = step?.tasks.find((t) => t.userid === userid && t.status === 'RUNNING')
  if (instance.status !== 'RUNNING' || !step || !task) {
    throw new Error(`${userid} has no running task in approval ${instance.processInstanceId}`)
  }
  const t = emu.now()
  task.status = 'COMPLETED'
  task.result = result === 'agree' ? 'AGREE' : 'REFUSE'
  task.finishedAt = t
  instance.operations.push({
    userid,
    date: t,
    type: 'EXECUTE_TASK_NORMAL',
    result: task.result,
    ...(remark ? { remark } : {}),
  })
  taskEvent(emu, instance, task, 'finish', remark)
  if (result === 'refuse') {
    for (const other of step.tasks) {
      if (other.status === 'RUNNING') {
        other.status = 'CANCELED'
        taskEvent(emu, instance, other, 'cancel')
      }
    }
    finish(emu, instance, 'refuse')
    return
  }
  // 或签 (OR): one agreement completes the step; 会签 (AND): every task must agree.
  if (step.action === 'OR') {
    for (const other of step.tasks) {
      if (other.status === 'RUNNING') {
        other.status = 'CANCELED'
        taskEvent(emu, instance, other, 'cancel')
      }
    }
  } else if (step.tasks.some((other) => other.status === 'RUNNING')) {
    return
  }
  instance.current++
  if (instance.current >= instance.steps.length) finish(emu, instance, 'agree')
  else openStep(emu, instance)
}

export function terminateInstance(
  emu: Internals,
  instance: ApprovalInstanceRecord,
  operator: string,
  remark: string | undefined,
): void {
  // The errcode for an instance that already finished is unverified; 820005 is "审批单状态异常".
  if (instance.status !== 'RUNNING') throw new ApiError(820005, '审批单状态异常')
  const t = emu.now()
  for (const step of instance.steps) {
    for (const task of step.tasks) {
      if (task.status === 'RUNNING') {
        task.status = 'CANCELED'
        task.finishedAt = t
        taskEvent(emu, instance, task, 'cancel')
      } else if (task.status === 'NEW') {
        task.status = 'CANCELED'
      }
    }
  }
  instance.status = 'TERMINATED'
  instance.finishedAt = t
  instance.operations.push({
    userid: operator,
    date: t,
    type: 'TERMINATE_PROCESS_INSTANCE',
    result: 'NONE',
    ...(remark ? { remark } : {}),
  })
  instanceEvent(emu, instance, 'terminate')
}

export function createApprovalsController(emu: Internals): ApprovalsController {
  const find = (id: string): ApprovalInstanceRecord => {
    const instance = emu.state.office.instances.get(id)
    if (!instance) throw new Error(`unknown approval instance ${id}`)
    return instance
  }
  return {
    async approve(id, input) {
      const before = emu.state.pushes.length
      actOnTask(emu, find(id), input.userId, input.result ?? 'agree', input.remark)
      return Promise.all(emu.state.pushes.slice(before).map((push) => push.done))
    },
    pendingApprovers(id) {
      const instance = find(id)
      const step = instance.status === 'RUNNING' ? instance.steps[instance.current] : undefined
      return step?.tasks.filter((t) => t.status === 'RUNNING').map((t) => t.userid) ?? []
    },
    get(id) {
      return emu.state.office.instances.get(id)
    },
  }
}
