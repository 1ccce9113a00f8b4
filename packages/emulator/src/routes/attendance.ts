import { ApiError, type Ctx, num, type Routes } from '../context'
import type { OrgState, UserRecord } from '../state'
import {
  at,
  cst,
  DAY_MS,
  dayStart,
  invalid,
  list,
  memberIndex,
  memberOf,
  orgOf,
  paging,
  parseCst,
  post,
  text,
  weekday,
} from './office-common'

/*
 * The emulator's attendance is generated from the calendar (China time), so every range has data:
 * - workdays are Monday–Friday; check points OnDuty 09:00 and OffDuty 18:00 (group 685935028, shift 677995086);
 * - members check in at 08:55 and out at 18:05 — except on Mondays, when members at an odd position in the
 *   fixture (lisi, zhaoliu in the default fixture) check in at 09:12 (`Late`);
 * - members at position 2, 6, 10… (wangwu) are on leave every Friday 13:00–17:00 (4 hours);
 * - nothing after the emulator's clock exists yet.
 */
const GROUP_ID = 685935028
const SHIFT_ID = 677995086

interface Check {
  user: UserRecord
  index: number
  day: number
  checkType: 'OnDuty' | 'OffDuty'
  base: number
  actual: number
  late: boolean
}

function checksOf(org: OrgState, user: UserRecord, day: number): Check[] {
  const wd = weekday(day)
  if (wd === 0 || wd === 6) return []
  const index = memberIndex(org, user.userid)
  const late = wd === 1 && index % 2 === 1
  return [
    {
      user,
      index,
      day,
      checkType: 'OnDuty',
      base: at(day, 9),
      actual: late ? at(day, 9, 12) : at(day, 8, 55),
      late,
    },
    { user, index, day, checkType: 'OffDuty', base: at(day, 18), actual: at(day, 18, 5), late: false },
  ]
}

function idOf(check: Check): number {
  return (
    (Math.round(check.day / DAY_MS) + 1) * 100_000 + check.index * 10 + (check.checkType === 'OnDuty' ? 0 : 1)
  )
}

function usersOf(org: OrgState, ids: string[]): UserRecord[] {
  // Unknown userids are not an error: DingTalk answers nothing for them.
  return ids.flatMap((id) => {
    const user = org.users.get(id)
    return user && user.active !== false ? [user] : []
  })
}

function range(ctx: Ctx, fromKey: string, toKey: string, wholeDays: boolean): { from: number; to: number } {
  let from = parseCst(ctx.input[fromKey])
  let to = parseCst(ctx.input[toKey])
  if (from === undefined || to === undefined) {
    throw new ApiError(41100, '时间参数不合法: "yyyy-MM-dd HH:mm:ss" expected')
  }
  if (wholeDays) {
    from = dayStart(from)
    to = dayStart(to)
  }
  if (to < from) throw new ApiError(41100, '时间参数不合法: the end is before the start')
  if (to - from > 7 * DAY_MS) throw new ApiError(41041, '时间跨度太大: at most 7 days')
  return { from, to }
}

function legacyUsers(ctx: Ctx, key: string): string[] {
  const ids = ctx.input[key]
  if (!Array.isArray(ids) || ids.length === 0) throw new ApiError(40035, `不合法的参数: ${key} is required`)
  if (ids.length > 50) throw new ApiError(40035, `不合法的参数: ${key} holds at most 50 userids`)
  return ids.map(String)
}

function days(from: number, to: number): number[] {
  const out: number[] = []
  for (let day = dayStart(from); day <= to; day += DAY_MS) out.push(day)
  return out
}

function listResults(ctx: Ctx): Record<string, unknown> {
  const org = orgOf(ctx)
  const ids = legacyUsers(ctx, 'userIdList')
  const { from, to } = range(ctx, 'workDateFrom', 'workDateTo', true)
  const { offset, size } = paging(ctx.input, 'limit', 50, 50)
  const now = ctx.emu.now()
  const checks = days(from, to).flatMap((day) =>
    usersOf(org, ids).flatMap((user) => checksOf(org, user, day).filter((c) => c.actual <= now)),
  )
  return {
    hasMore: offset + size < checks.length,
    recordresult: checks.slice(offset, offset + size).map((c) => ({
      id: idOf(c),
      recordId: idOf(c) + 7,
      groupId: GROUP_ID,
      planId: idOf(c) + 3,
      userId: c.user.userid,
      workDate: c.day,
      checkType: c.checkType,
      timeResult: c.late ? 'Late' : 'Normal',
      locationResult: 'Normal',
      baseCheckTime: c.base,
      userCheckTime: c.actual,
      sourceType: 'USER',
    })),
  }
}

function listRecords(ctx: Ctx): Record<string, unknown> {
  const org = orgOf(ctx)
  const ids = legacyUsers(ctx, 'userIds')
  const { from, to } = range(ctx, 'checkDateFrom', 'checkDateTo', false)
  const now = ctx.emu.now()
  const checks = days(from, to).flatMap((day) =>
    usersOf(org, ids).flatMap((user) =>
      checksOf(org, user, day).filter((c) => c.actual >= from && c.actual <= to && c.actual <= now),
    ),
  )
  return {
    recordresult: checks.map((c) => ({
      id: String(idOf(c) + 7),
      corpId: org.corpId,
      userId: c.user.userid,
      workDate: c.day,
      checkType: c.checkType,
      timeResult: c.late ? 'Late' : 'Normal',
      locationResult: 'Normal',
      isLegal: c.late ? 'N' : 'Y',
      baseCheckTime: c.base,
      planCheckTime: c.base,
      userCheckTime: c.actual,
      sourceType: 'USER',
      locationMethod: 'MAP',
      userAddress: '浙江省杭州市',
      deviceId: `emu-device-${c.user.userid}`,
      groupId: GROUP_ID,
      planId: idOf(c) + 3,
      classId: SHIFT_ID,
      gmtCreate: c.actual,
      gmtModified: c.actual,
    })),
  }
}

function leaveStatus(ctx: Ctx): Record<string, unknown> {
  const org = orgOf(ctx)
  const ids = list(ctx.input, 'userid_list') ?? []
  if (ids.length === 0) throw invalid('userid_list is required')
  if (ids.length > 100) throw invalid('userid_list holds at most 100 userids')
  const start = num(ctx.input, 'start_time')
  const end = num(ctx.input, 'end_time')
  if (start === undefined || end === undefined || end < start) throw invalid('start_time and end_time')
  // The errcode DingTalk answers for a longer window is unverified.
  if (end - start > 180 * DAY_MS) throw invalid('at most 180 days')
  const { offset, size } = paging(ctx.input, 'size', 20, 10)
  const leaves = days(start, end).flatMap((day) =>
    weekday(day) !== 5
      ? []
      : usersOf(org, ids)
          .filter((u) => memberIndex(org, u.userid) % 4 === 2)
          .map((u) => ({ userid: u.userid, start_time: at(day, 13), end_time: at(day, 17) }))
          .filter((l) => l.end_time >= start && l.start_time <= end),
  )
  return {
    success: true,
    result: {
      has_more: offset + size < leaves.length,
      leave_status: leaves.slice(offset, offset + size).map((l) => ({
        ...l,
        duration_unit: 'percent_hour',
        duration_percent: 400,
        leave_code: 'emu-personal-leave',
      })),
    },
  }
}

function schedulesByUsers(ctx: Ctx): Record<string, unknown> {
  const org = orgOf(ctx)
  memberOf(org, text(ctx.input, 'op_user_id'))
  const ids = list(ctx.input, 'userids') ?? []
  if (ids.length === 0) throw invalid('userids is required')
  if (ids.length > 50) throw invalid('userids holds at most 50 userids')
  const from = num(ctx.input, 'from_date_time')
  const to = num(ctx.input, 'to_date_time')
  if (from === undefined || to === undefined || to < from) throw invalid('from_date_time and to_date_time')
  if (to - from > 7 * DAY_MS) throw new ApiError(41041, '时间跨度太大: at most 7 days')
  const result = days(from, to).flatMap((day) =>
    usersOf(org, ids).flatMap((user) => {
      const checks = checksOf(org, user, day)
      if (checks.length === 0) {
        return [
          {
            userid: user.userid,
            work_date: cst(day),
            is_rest: 'Y',
            shift_id: 0,
            group_id: GROUP_ID,
            check_type: 'OnDuty',
            plan_check_time: cst(day),
            id: 0,
          },
        ]
      }
      return checks.map((c) => ({
        id: idOf(c) + 3,
        userid: user.userid,
        work_date: cst(day),
        check_type: c.checkType,
        plan_check_time: cst(c.base),
        group_id: GROUP_ID,
        shift_id: SHIFT_ID,
        shift_version: 1,
        is_rest: 'N',
      }))
    }),
  )
  return { success: true, result }
}

function daySchedules(ctx: Ctx): Record<string, unknown> {
  const org = orgOf(ctx)
  const day = parseCst(ctx.input.workDate)
  if (day === undefined) throw new ApiError(41100, '时间参数不合法: workDate')
  const { offset, size } = paging(ctx.input, 'size', 200, 200)
  const checks = [...org.users.values()]
    .filter((u) => u.active !== false)
    .flatMap((user) => checksOf(org, user, dayStart(day)))
  return {
    result: {
      has_more: offset + size < checks.length,
      schedules: checks.slice(offset, offset + size).map((c) => ({
        plan_id: idOf(c) + 3,
        userid: c.user.userid,
        check_type: c.checkType,
        plan_check_time: cst(c.base),
        group_id: GROUP_ID,
        class_id: SHIFT_ID,
      })),
    },
  }
}

export const attendanceRoutes: Routes = {
  '/attendance/list': post(listResults),
  '/attendance/listRecord': post(listRecords),
  '/topapi/attendance/getleavestatus': post(leaveStatus),
  '/topapi/attendance/schedule/listbyusers': post(schedulesByUsers),
  '/topapi/attendance/listschedule': post(daySchedules),
}
