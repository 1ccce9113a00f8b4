import type { Emulator } from '@dingtalk-kit/emulator'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type ApprovalFormField, type DingTalkClient, DingTalkLimitError } from '../src/index'
import { app, errcode, failure, org, startCorp } from './support/office'
import { type Json, startTestReceiver, type TestReceiver } from './support/receiver'

const token = 'bpms-token'
const aesKey = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG'
const form: ApprovalFormField[] = [
  { name: '请假类型', value: '年假' },
  { name: '天数', value: 2 },
  { name: '日期区间', value: ['2026-11-16', '2026-11-17'] },
]

let emu: Emulator
let client: DingTalkClient
let receiver: TestReceiver

beforeAll(async () => {
  ;({ emu, client } = await startCorp({ push: { retries: 0 } }))
  receiver = await startTestReceiver({ token, aesKey, receiveId: org.corpId })
  await client.callbacks.register({
    tags: ['bpms_instance_change', 'bpms_task_change'],
    token,
    aesKey,
    url: receiver.url,
  })
})

afterAll(async () => {
  await emu.close()
  await receiver.close()
})

beforeEach(async () => {
  await emu.idle()
  receiver.events.length = 0
})

const summary = (events: Json[]): string[] =>
  events.map(
    (e) =>
      `${String(e.EventType)}:${String(e.type)}:${String(e.staffId)}${e.result ? `:${String(e.result)}` : ''}`,
  )

describe('client.approvals: the whole loop', () => {
  it('start → approve in the emulator → bpms events → fetch the result', async () => {
    const { processInstanceId } = await client.approvals.create({
      processCode: 'PROC-EMU-LEAVE',
      originatorUserId: 'lisi',
      deptId: 4,
      form,
    })
    expect(emu.log.at(-1)).toMatchObject({
      path: '/topapi/processinstance/create',
      body: {
        agent_id: app.agentId,
        form_component_values: [
          { name: '请假类型', value: '年假' },
          { name: '天数', value: '2' },
          { name: '日期区间', value: ['2026-11-16', '2026-11-17'] },
        ],
      },
    })
    await emu.idle()
    expect(summary(receiver.events)).toEqual([
      'bpms_instance_change:start:lisi',
      'bpms_task_change:start:zhangsan',
    ])
    const running = await client.approvals.get(processInstanceId)
    expect(running).toMatchObject({
      status: 'RUNNING',
      result: '',
      approved: false,
      originatorUserId: 'lisi',
    })
    expect(running.title).toBe('李四提交的请假')
    expect(emu.approvals.pendingApprovers(processInstanceId)).toEqual(['zhangsan'])

    receiver.events.length = 0
    const pushes = await emu.approvals.approve(processInstanceId, { userId: 'zhangsan', remark: '注意休息' })
    expect(pushes.every((p) => p.ok)).toBe(true)
    expect(summary(receiver.events)).toEqual([
      'bpms_task_change:finish:zhangsan:agree',
      'bpms_instance_change:finish:lisi:agree',
    ])
    const finish = receiver.events.at(-1)!
    expect(finish).toMatchObject({ processInstanceId, corpId: org.corpId, processCode: 'PROC-EMU-LEAVE' })
    expect(typeof finish.finishTime).toBe('number')

    const done = await client.approvals.get(finish.processInstanceId as string)
    expect(done).toMatchObject({ status: 'COMPLETED', result: 'agree', approved: true })
    expect(done.finishTime).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/)
    expect(done.form.map((f) => [f.name, f.value])).toEqual([
      ['请假类型', '年假'],
      ['天数', '2'],
      ['日期区间', '["2026-11-16","2026-11-17"]'],
    ])
    expect(done.tasks).toEqual([
      expect.objectContaining({ userId: 'zhangsan', status: 'COMPLETED', result: 'AGREE' }),
    ])
    expect(done.operations.map((o) => [o.userId, o.type, o.result, o.remark])).toEqual([
      ['lisi', 'START_PROCESS_INSTANCE', 'NONE', ''],
      ['zhangsan', 'EXECUTE_TASK_NORMAL', 'AGREE', '注意休息'],
    ])
  })

  it('会签 waits for everyone, 或签 for anyone; a refusal ends the instance', async () => {
    const { processInstanceId: id } = await client.approvals.create({
      processCode: 'PROC-EMU-EXPENSE',
      originatorUserId: 'lisi',
      deptId: -1,
      form: [{ name: '金额', value: 1200 }],
      steps: [
        { action: 'AND', userIds: ['zhangsan', 'zhaoliu'] },
        { action: 'OR', userIds: ['wangwu', 'zhangsan'] },
      ],
      ccUserIds: ['wangwu'],
      ccPosition: 'FINISH',
    })
    await emu.approvals.approve(id, { userId: 'zhaoliu' })
    expect(emu.approvals.pendingApprovers(id)).toEqual(['zhangsan'])
    await emu.approvals.approve(id, { userId: 'zhangsan' })
    expect(emu.approvals.pendingApprovers(id)).toEqual(['wangwu', 'zhangsan'])
    await emu.approvals.approve(id, { userId: 'wangwu' })
    const done = await client.approvals.get(id)
    expect(done).toMatchObject({
      status: 'COMPLETED',
      result: 'agree',
      approved: true,
      ccUserIds: ['wangwu'],
    })
    expect(done.tasks.map((t) => `${t.userId}:${t.status}`)).toEqual([
      'zhangsan:COMPLETED',
      'zhaoliu:COMPLETED',
      'wangwu:COMPLETED',
      'zhangsan:CANCELED',
    ])
    expect(done.operations.at(-1)).toMatchObject({ userId: 'wangwu', type: 'PROCESS_CC' })

    const { processInstanceId: refused } = await client.approvals.create({
      processCode: 'PROC-EMU-EXPENSE',
      originatorUserId: 'wangwu',
      deptId: 3,
      form: [{ name: '金额', value: 99999 }],
    })
    await emu.idle()
    receiver.events.length = 0
    await emu.approvals.approve(refused, { userId: 'zhangsan', result: 'refuse', remark: '超预算' })
    expect(summary(receiver.events)).toEqual([
      'bpms_task_change:finish:zhangsan:refuse',
      'bpms_instance_change:finish:wangwu:refuse',
    ])
    expect(await client.approvals.get(refused)).toMatchObject({
      status: 'COMPLETED',
      result: 'refuse',
      approved: false,
    })
    // The boss's step never started.
    expect(emu.approvals.pendingApprovers(refused)).toEqual([])
    await expect(emu.approvals.approve(refused, { userId: 'zhaoliu' })).rejects.toThrow(/no running task/)
  })

  it('terminates (撤销) a running instance; a finished one is 820005, an unknown one 820004', async () => {
    const { processInstanceId: id } = await client.approvals.create({
      processCode: 'PROC-EMU-LEAVE',
      originatorUserId: 'wangwu',
      deptId: 3,
      form,
    })
    await emu.idle()
    receiver.events.length = 0
    await client.approvals.terminate({ processInstanceId: id, operatingUserId: 'wangwu', remark: '行程取消' })
    await emu.idle()
    expect(summary(receiver.events)).toEqual([
      'bpms_task_change:cancel:zhangsan',
      'bpms_instance_change:terminate:wangwu',
    ])
    expect(emu.log.at(-1)?.body).toEqual({
      request: { process_instance_id: id, is_system: false, remark: '行程取消', operating_userid: 'wangwu' },
    })
    const terminated = await client.approvals.get(id)
    expect(terminated).toMatchObject({ status: 'TERMINATED', approved: false })
    expect(terminated.operations.at(-1)).toMatchObject({
      type: 'TERMINATE_PROCESS_INSTANCE',
      remark: '行程取消',
    })
    expect(await errcode(client.approvals.terminate({ processInstanceId: id, system: true }))).toBe(820005)
    expect(await errcode(client.approvals.terminate({ processInstanceId: 'nope', system: true }))).toBe(
      820004,
    )
    expect(await errcode(client.approvals.get('nope'))).toBe(820004)
    const local = await failure(client.approvals.terminate({ processInstanceId: id }))
    expect(local).toMatchObject({ code: 'INVALID_ARGUMENT', parameter: 'operatingUserId' })
  })

  it('comments; the process code of a template by name', async () => {
    const { processInstanceId: id } = await client.approvals.create({
      processCode: await client.approvals.getProcessCode('请假'),
      originatorUserId: 'zhaoliu',
      deptId: 1,
      form,
    })
    await client.approvals.addComment({ processInstanceId: id, userId: 'zhangsan', text: '请补充行程单' })
    expect((await client.approvals.get(id)).operations.at(-1)).toMatchObject({
      userId: 'zhangsan',
      type: 'ADD_REMARK',
      remark: '请补充行程单',
    })
    expect(
      await errcode(client.approvals.addComment({ processInstanceId: id, userId: 'nobody', text: 'x' })),
    ).toBe(33012)
    expect(await errcode(client.approvals.getProcessCode('不存在的模板'))).toBe(820004)
  })
})

describe('client.approvals: ids and errors', () => {
  it('iterates every instance id of a window over the cursor, filtered by originator', async () => {
    // A template of its own, so the instances of other tests stay out of the window.
    emu.state.office.processes.set(`${org.corpId}:PROC-EMU-TRIP`, {
      corpId: org.corpId,
      processCode: 'PROC-EMU-TRIP',
      name: '出差',
      steps: ['zhangsan'],
    })
    const startTime = Date.now() - 60_000
    const created: string[] = []
    for (const userId of ['lisi', 'wangwu', 'lisi', 'lisi', 'zhaoliu']) {
      const user = org.users.find((u) => u.userid === userId)!
      created.push(
        (
          await client.approvals.create({
            processCode: 'PROC-EMU-TRIP',
            originatorUserId: userId,
            deptId: user.department[0]!,
            form: [{ name: '金额', value: 1 }],
          })
        ).processInstanceId,
      )
    }
    const all: string[] = []
    for await (const id of client.approvals.iterateIds({
      processCode: 'PROC-EMU-TRIP',
      startTime,
      size: 2,
    })) {
      all.push(id)
    }
    expect(all).toEqual(created)
    expect(emu.count('/topapi/processinstance/listids')).toBe(3)
    const first = await client.approvals.listIds({ processCode: 'PROC-EMU-TRIP', startTime, size: 2 })
    expect(first).toEqual({ list: created.slice(0, 2), nextCursor: 2 })
    const mine = await client.approvals.listIds({
      processCode: 'PROC-EMU-TRIP',
      startTime,
      userIds: ['lisi'],
    })
    expect(mine).toEqual({ list: [created[0], created[2], created[3]], nextCursor: undefined })
  })

  it('checks the 120-day window, 10 originators, page size 20 and the step shapes locally', async () => {
    const before = emu.log.length
    const tooLong = await failure(
      client.approvals.listIds({
        processCode: 'PROC-EMU-LEAVE',
        startTime: '2026-01-01',
        endTime: '2026-06-01',
      }),
    )
    expect(tooLong).toBeInstanceOf(DingTalkLimitError)
    expect(tooLong).toMatchObject({
      code: 'RANGE_TOO_LONG',
      max: 120,
      api: '/topapi/processinstance/listids',
    })
    expect(
      await failure(
        client.approvals.listIds({
          processCode: 'PROC-EMU-LEAVE',
          startTime: Date.now() - 1000,
          userIds: Array.from({ length: 11 }, (_, i) => `u${i}`),
        }),
      ),
    ).toMatchObject({ code: 'LIST_TOO_LONG', parameter: 'userIds', max: 10 })
    expect(
      await failure(
        client.approvals.listIds({ processCode: 'PROC-EMU-LEAVE', startTime: Date.now(), size: 21 }),
      ),
    ).toMatchObject({ code: 'PAGE_SIZE_TOO_LARGE', max: 20 })
    const base = { processCode: 'PROC-EMU-LEAVE', originatorUserId: 'lisi', deptId: 2, form }
    expect(
      await failure(client.approvals.create({ ...base, steps: [{ action: 'NONE', userIds: ['a', 'b'] }] })),
    ).toMatchObject({ code: 'INVALID_ARGUMENT', parameter: 'steps[].userIds' })
    expect(
      await failure(client.approvals.create({ ...base, steps: [{ action: 'OR', userIds: ['a'] }] })),
    ).toMatchObject({ code: 'INVALID_ARGUMENT' })
    expect(
      await failure(
        client.approvals.create({ ...base, approvers: Array.from({ length: 21 }, (_, i) => `u${i}`) }),
      ),
    ).toMatchObject({ code: 'LIST_TOO_LONG', parameter: 'approvers', max: 20 })
    expect(await failure(client.approvals.create({ ...base, form: [] }))).toMatchObject({
      code: 'INVALID_ARGUMENT',
    })
    expect(emu.log.length).toBe(before)
  })

  it("answers DingTalk's errcodes: unknown template 820001, wrong department 400002, unknown approver 33012", async () => {
    const base = { processCode: 'PROC-EMU-LEAVE', originatorUserId: 'lisi', deptId: 2, form }
    expect(await errcode(client.approvals.create({ ...base, processCode: 'PROC-NOPE' }))).toBe(820001)
    expect(await errcode(client.approvals.create({ ...base, deptId: 3 }))).toBe(400002)
    expect(await errcode(client.approvals.create({ ...base, approvers: ['nobody'] }))).toBe(33012)
    expect(await errcode(client.approvals.create({ ...base, originatorUserId: 'nobody' }))).toBe(33012)
  })
})
