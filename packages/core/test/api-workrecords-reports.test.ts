import type { Emulator } from '@dingtalk-kit/emulator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DingTalkClient, DingTalkLimitError, type Report } from '../src/index'
import { errcode, failure, startCorp } from './support/office'

// Friday 2026-11-13, 20:00 China time.
const NOW = Date.parse('2026-11-13T20:00:00+08:00')

let emu: Emulator
let client: DingTalkClient

beforeAll(async () => {
  ;({ emu, client } = await startCorp({ now: () => NOW }))
})

afterAll(async () => {
  await emu.close()
})

describe('client.workRecords', () => {
  const todo = {
    userId: 'lisi',
    title: '完成入职培训',
    url: 'https://hr.example.com/onboarding',
    form: [{ title: '截止', content: '本周五' }],
  }

  it('adds a to-do, lists it as pending, completes it, lists it as done', async () => {
    const { recordId } = await client.workRecords.add({
      ...todo,
      createTime: NOW,
      sourceName: '人事',
      pcOpenType: 'browser',
    })
    expect(recordId).toMatch(/^record/)
    expect(emu.log.at(-1)).toMatchObject({
      path: '/topapi/workrecord/add',
      body: {
        userid: 'lisi',
        formItemList: [{ title: '截止', content: '本周五' }],
        pc_open_type: 4,
        source_name: '人事',
      },
    })
    expect((await client.workRecords.list({ userId: 'lisi', status: 'pending' })).list).toEqual([
      { recordId, title: '完成入职培训', url: todo.url, createTime: NOW, form: todo.form },
    ])
    await client.workRecords.complete({ userId: 'lisi', recordId })
    expect((await client.workRecords.list({ userId: 'lisi', status: 'pending' })).list).toEqual([])
    expect(
      (await client.workRecords.list({ userId: 'lisi', status: 'done' })).list.map((w) => w.recordId),
    ).toEqual([recordId])
  })

  it('answers 854001 for the same to-do twice a day or a repeated bizId, 33012 for an unknown user', async () => {
    await client.workRecords.add({ ...todo, userId: 'wangwu', bizId: 'hr-7' })
    expect(await errcode(client.workRecords.add({ ...todo, userId: 'wangwu' }))).toBe(854001)
    expect(
      await errcode(client.workRecords.add({ ...todo, userId: 'wangwu', title: '另一个', bizId: 'hr-7' })),
    ).toBe(854001)
    expect(await errcode(client.workRecords.add({ ...todo, userId: 'nobody' }))).toBe(33012)
    // The bizId completes it too.
    await client.workRecords.complete({ userId: 'wangwu', recordId: 'hr-7' })
    expect((await client.workRecords.list({ userId: 'wangwu', status: 'done' })).list).toHaveLength(1)
  })

  it('iterates every pending to-do', async () => {
    for (let i = 0; i < 3; i++)
      await client.workRecords.add({ ...todo, userId: 'zhaoliu', title: `任务${i}`, createTime: NOW + i })
    const titles: string[] = []
    for await (const w of client.workRecords.iterate({ userId: 'zhaoliu', status: 'pending' }))
      titles.push(w.title)
    expect(titles).toEqual(['任务2', '任务1', '任务0'])
  })

  it('checks the 50-character title, 20 form rows and page size locally', async () => {
    const before = emu.log.length
    expect(await failure(client.workRecords.add({ ...todo, title: '长'.repeat(51) }))).toMatchObject({
      code: 'TEXT_TOO_LONG',
      max: 50,
      actual: 51,
    })
    const rows = Array.from({ length: 21 }, (_, i) => ({ title: `t${i}`, content: 'c' }))
    const tooMany = await failure(client.workRecords.add({ ...todo, form: rows }))
    expect(tooMany).toBeInstanceOf(DingTalkLimitError)
    expect(tooMany).toMatchObject({ code: 'LIST_TOO_LONG', parameter: 'form', max: 20 })
    expect(
      await failure(client.workRecords.list({ userId: 'lisi', status: 'done', limit: 51 })),
    ).toMatchObject({
      code: 'PAGE_SIZE_TOO_LARGE',
    })
    expect(emu.log.length).toBe(before)
  })
})

describe('client.reports', () => {
  const week = { startTime: '2026-11-09', endTime: '2026-11-13 23:59:59' }

  it('lists the reports of a week, filtered by template and author', async () => {
    const all = await client.reports.list(week)
    // lisi and zhaoliu file a 日报 every workday, zhangsan a 周报 on Friday.
    expect(all.list).toHaveLength(11)
    expect(all.hasMore).toBe(false)
    const weekly = await client.reports.list({ ...week, templateName: '周报' })
    expect(weekly.list).toEqual([
      expect.objectContaining({
        templateName: '周报',
        creatorId: 'zhangsan',
        creatorName: '张三',
        createTime: Date.parse('2026-11-13T17:00:00+08:00'),
        contents: [{ key: '本周完成工作', value: '版本发布', sort: 0, type: '1' }],
      }),
    ])
    expect((await client.reports.list({ ...week, userId: 'lisi' })).list).toHaveLength(5)
  })

  it('iterates over the cursor', async () => {
    const reports: Report[] = []
    for await (const report of client.reports.iterate({ ...week, size: 4 })) reports.push(report)
    expect(reports).toHaveLength(11)
    expect(new Set(reports.map((r) => r.reportId)).size).toBe(11)
    expect(emu.log.filter((e) => e.path === '/topapi/report/list').at(-1)?.body).toMatchObject({
      cursor: 8,
      size: 4,
    })
  })

  it('checks the 180-day window and page size locally', async () => {
    const before = emu.log.length
    expect(
      await failure(client.reports.list({ startTime: '2026-01-01', endTime: '2026-07-01' })),
    ).toMatchObject({
      code: 'RANGE_TOO_LONG',
      max: 180,
    })
    expect(await failure(client.reports.list({ ...week, size: 21 }))).toMatchObject({
      code: 'PAGE_SIZE_TOO_LARGE',
    })
    expect(emu.log.length).toBe(before)
    // DingTalk's own answer when such a size gets there anyway: 40069.
    const raw = client.request({
      path: '/topapi/report/list',
      json: { start_time: Date.parse('2026-11-09T00:00:00+08:00'), end_time: NOW, cursor: 0, size: 50 },
    })
    expect(await errcode(raw)).toBe(40069)
  })
})
