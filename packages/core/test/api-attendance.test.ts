import type { Emulator } from '@dingtalk-kit/emulator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type AttendanceResult,
  DingTalkApiError,
  type DingTalkClient,
  DingTalkLimitError,
  describeErrcode,
  type LeaveStatus,
  splitAttendanceQuery,
} from '../src/index'
import { failure, org, startCorp } from './support/office'

// Friday 2026-11-13, 20:00 China time: the emulator's attendance exists up to then.
const NOW = Date.parse('2026-11-13T20:00:00+08:00')
const DAY = 86_400_000
const cst = (text: string): number => Date.parse(`${text}+08:00`)

let emu: Emulator
let client: DingTalkClient

beforeAll(async () => {
  ;({ emu, client } = await startCorp({ now: () => NOW }))
})

afterAll(async () => {
  await emu.close()
})

/** Monday–Friday between two dates (inclusive), counted with plain UTC dates. */
function workdays(from: string, to: string): number {
  let n = 0
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += DAY) {
    const wd = new Date(t).getUTCDay()
    if (wd !== 0 && wd !== 6) n++
  }
  return n
}

describe('splitAttendanceQuery', () => {
  it('cuts users into 50s and workdays into 7-day windows that never share a day', () => {
    const userIds = Array.from({ length: 120 }, (_, i) => `u${i}`)
    const chunks = splitAttendanceQuery({ userIds, from: '2026-11-01 15:00', to: '2026-11-20' })
    expect(chunks.map((c) => c.userIds.length)).toEqual([50, 50, 50, 50, 50, 50, 20, 20, 20])
    expect(chunks.slice(0, 3).map((c) => [c.from, c.to])).toEqual([
      [cst('2026-11-01T00:00:00'), cst('2026-11-07T00:00:00')],
      [cst('2026-11-08T00:00:00'), cst('2026-11-14T00:00:00')],
      [cst('2026-11-15T00:00:00'), cst('2026-11-20T00:00:00')],
    ])
    expect(new Set(chunks.flatMap((c) => c.userIds)).size).toBe(120)
  })

  it('cuts check times into windows of at most 7 days, one second apart', () => {
    const chunks = splitAttendanceQuery(
      { userIds: ['lisi'], from: '2026-11-01 00:00:00', to: '2026-11-16 12:00:00' },
      { by: 'checkTime' },
    )
    expect(chunks.map((c) => [c.from, c.to])).toEqual([
      [cst('2026-11-01T00:00:00'), cst('2026-11-08T00:00:00')],
      [cst('2026-11-08T00:00:01'), cst('2026-11-15T00:00:01')],
      [cst('2026-11-15T00:00:02'), cst('2026-11-16T12:00:00')],
    ])
  })

  it('refuses a reversed range and malformed times', () => {
    expect(() => splitAttendanceQuery({ userIds: ['a'], from: '2026-11-02', to: '2026-11-01' })).toThrow(
      DingTalkLimitError,
    )
    expect(() => splitAttendanceQuery({ userIds: ['a'], from: '2026-02-30', to: '2026-03-01' })).toThrow(
      /China time/,
    )
    expect(() => splitAttendanceQuery({ userIds: [], from: 0, to: 1 })).toThrow(/userIds/)
  })
})

describe('client.attendance', () => {
  it('lists check-in results of a week, paged; Monday is late for lisi', async () => {
    const query = { userIds: ['lisi', 'wangwu'], from: '2026-11-09', to: '2026-11-13' }
    const page = await client.attendance.listResults({ ...query, limit: 8 })
    expect(page.hasMore).toBe(true)
    expect(emu.log.at(-1)).toMatchObject({
      path: '/attendance/list',
      body: { workDateFrom: '2026-11-09 00:00:00', workDateTo: '2026-11-13 00:00:00', offset: 0, limit: 8 },
    })
    const all = await client.attendance.listResults(query)
    expect(all.hasMore).toBe(false)
    expect(all.list).toHaveLength(5 * 2 * 2)
    const monday = all.list.find((r) => r.userId === 'lisi' && r.checkType === 'OnDuty')!
    expect(monday).toMatchObject({
      workDate: cst('2026-11-09T00:00:00'),
      timeResult: 'Late',
      baseCheckTime: cst('2026-11-09T09:00:00'),
      userCheckTime: cst('2026-11-09T09:12:00'),
      sourceType: 'USER',
    })
    expect(all.list.filter((r) => r.timeResult === 'Late')).toHaveLength(1)
  })

  it('iterates any number of users over a month in calls within the limits, without duplicates', async () => {
    const before = emu.count('/attendance/list')
    const userIds = [...org.users.map((u) => u.userid), ...Array.from({ length: 56 }, (_, i) => `left${i}`)]
    const results: AttendanceResult[] = []
    for await (const r of client.attendance.iterateResults({
      userIds,
      from: '2026-10-01',
      to: '2026-10-31',
    })) {
      results.push(r)
    }
    // 2 user chunks × 5 windows (1–7, 8–14, 15–21, 22–28, 29–31 October).
    expect(emu.count('/attendance/list') - before).toBe(10)
    expect(results).toHaveLength(workdays('2026-10-01', '2026-10-31') * org.users.length * 2)
    expect(new Set(results.map((r) => r.id)).size).toBe(results.length)
  })

  it('lists check-in records within exact times', async () => {
    const records = await client.attendance.listRecords({
      userIds: ['lisi'],
      from: '2026-11-09 00:00:00',
      to: '2026-11-10 12:00:00',
    })
    expect(records.map((r) => [r.checkType, r.userCheckTime, r.isLegal])).toEqual([
      ['OnDuty', cst('2026-11-09T09:12:00'), false],
      ['OffDuty', cst('2026-11-09T18:05:00'), true],
      ['OnDuty', cst('2026-11-10T08:55:00'), true],
    ])
    let n = 0
    for await (const _ of client.attendance.iterateRecords({
      userIds: ['lisi'],
      from: '2026-10-26',
      to: '2026-11-13 23:59:59',
    }))
      n++
    expect(n).toBe(workdays('2026-10-26', '2026-11-13') * 2)
  })

  it('checks 50 users, 7 days and page size locally; DingTalk itself answers 41041 for a longer window', async () => {
    const before = emu.log.length
    const tooLong = await failure(
      client.attendance.listResults({ userIds: ['lisi'], from: '2026-11-01', to: '2026-11-09' }),
    )
    expect(tooLong).toBeInstanceOf(DingTalkLimitError)
    expect(tooLong).toMatchObject({ code: 'RANGE_TOO_LONG', api: '/attendance/list', max: 7, actual: 8 })
    const users = Array.from({ length: 51 }, (_, i) => `u${i}`)
    expect(
      await failure(client.attendance.listRecords({ userIds: users, from: '2026-11-09', to: '2026-11-10' })),
    ).toMatchObject({ code: 'LIST_TOO_LONG', parameter: 'userIds', max: 50, actual: 51 })
    expect(
      await failure(
        client.attendance.listResults({ userIds: ['a'], from: '2026-11-09', to: '2026-11-09', limit: 51 }),
      ),
    ).toMatchObject({ code: 'PAGE_SIZE_TOO_LARGE' })
    expect(
      await failure(client.attendance.listResults({ userIds: ['a'], from: 'yesterday', to: '2026-11-09' })),
    ).toMatchObject({ code: 'INVALID_ARGUMENT', parameter: 'from' })
    expect(emu.log.length).toBe(before)

    const raw = await failure(
      client.request({
        path: '/attendance/list',
        json: {
          workDateFrom: '2026-11-01 00:00:00',
          workDateTo: '2026-11-09 00:00:00',
          userIdList: ['lisi'],
          offset: 0,
          limit: 50,
        },
      }),
    )
    expect(raw).toBeInstanceOf(DingTalkApiError)
    expect((raw as DingTalkApiError).errcode).toBe(41041)
    expect(describeErrcode(41041)?.action).toContain('splitAttendanceQuery')
  })

  it('reads leave status (wangwu leaves on Friday afternoons) and iterates a whole year', async () => {
    const page = await client.attendance.getLeaveStatus({
      userIds: ['wangwu', 'lisi'],
      from: '2026-11-01',
      to: '2026-11-30',
      size: 2,
    })
    expect(page.hasMore).toBe(true)
    expect(page.list[0]).toEqual({
      userId: 'wangwu',
      startTime: cst('2026-11-06T13:00:00'),
      endTime: cst('2026-11-06T17:00:00'),
      unit: 'hour',
      duration: 4,
    })
    const year: LeaveStatus[] = []
    for await (const leave of client.attendance.iterateLeaveStatus({
      userIds: ['wangwu'],
      from: '2026-01-01',
      to: '2026-12-31',
    })) {
      year.push(leave)
    }
    // 2026 has 52 Fridays; 3 windows of at most 180 days.
    expect(year).toHaveLength(52)
    expect(
      await failure(
        client.attendance.getLeaveStatus({ userIds: ['wangwu'], from: '2026-01-01', to: '2026-07-01' }),
      ),
    ).toMatchObject({ code: 'RANGE_TOO_LONG', max: 180 })
  })

  it('reads schedules by user (weekends are rest days) and the whole corp of a day', async () => {
    const shifts = await client.attendance.listUserSchedules({
      operatorUserId: 'zhangsan',
      userIds: ['lisi'],
      from: '2026-11-13',
      to: '2026-11-15',
    })
    expect(shifts.map((s) => [s.workDate, s.checkType, s.planCheckTime, s.isRest])).toEqual([
      ['2026-11-13 00:00:00', 'OnDuty', '2026-11-13 09:00:00', false],
      ['2026-11-13 00:00:00', 'OffDuty', '2026-11-13 18:00:00', false],
      ['2026-11-14 00:00:00', 'OnDuty', '2026-11-14 00:00:00', true],
      ['2026-11-15 00:00:00', 'OnDuty', '2026-11-15 00:00:00', true],
    ])
    const unknown = await failure(
      client.attendance.listUserSchedules({
        operatorUserId: 'nobody',
        userIds: ['lisi'],
        from: '2026-11-13',
        to: '2026-11-13',
      }),
    )
    expect((unknown as DingTalkApiError).errcode).toBe(33012)
    const day = await client.attendance.listDaySchedules({ workDate: '2026-11-09', size: 3 })
    expect(day.hasMore).toBe(true)
    expect(day.list).toHaveLength(3)
    expect((await client.attendance.listDaySchedules({ workDate: '2026-11-09' })).list).toHaveLength(
      org.users.length * 2,
    )
    expect((await client.attendance.listDaySchedules({ workDate: '2026-11-14' })).list).toEqual([])
  })
})
