import { DingTalkLimitError } from '../errors/limit'
import {
  type AttendanceRecord,
  type AttendanceResult,
  type DaySchedule,
  type LeaveStatus,
  toDaySchedule,
  toLeaveStatus,
  toRecord,
  toResult,
  toUserSchedule,
  type UserSchedule,
} from './attendance-records'
import { type ApiContext, asArray, asBool, asRecord, compact, envelopeCalls, paginate } from './context'
import {
  checkList,
  checkPageSize,
  checkWindow,
  cstDayStart,
  DAY_MS,
  type DingTalkTime,
  formatCst,
  requireNonEmpty,
  requireText,
  requireTime,
} from './limits'
import type { OffsetPage } from './roles'

export type {
  AttendanceCheck,
  AttendanceRecord,
  AttendanceResult,
  DaySchedule,
  LeaveStatus,
  UserSchedule,
} from './attendance-records'

/**
 * Who and when: the users and the time window of an attendance query. One call takes at most 50 users and
 * 7 days; the `iterate*` methods (and {@link splitAttendanceQuery}) take any number of both.
 *
 * @example
 * ```ts
 * const query: AttendanceQuery = { userIds: ['lisi', 'wangwu'], from: '2026-11-09', to: '2026-11-13' }
 * ```
 */
export interface AttendanceQuery {
  userIds: readonly string[]
  from: DingTalkTime
  to: DingTalkTime
}

/**
 * How {@link splitAttendanceQuery} cuts a query.
 *
 * @example
 * ```ts
 * const options: AttendanceSplitOptions = { by: 'checkTime', maxDays: 7, maxUsers: 50 }
 * ```
 */
export interface AttendanceSplitOptions {
  /** Longest window of one call in days (default 7). */
  maxDays?: number
  /** Most users per call (default 50). */
  maxUsers?: number
  /**
   * `workDate` (default, for `attendance/list`): windows of whole China-time days that never share a day;
   * `checkTime` (for `attendance/listRecord`): exact windows that never share a second.
   */
  by?: 'workDate' | 'checkTime'
}

/** One call's worth of an {@link AttendanceQuery}: `from`/`to` in epoch ms. */
export interface AttendanceChunk {
  userIds: string[]
  from: number
  to: number
}

/**
 * Splits a query of any number of users over any range into calls within DingTalk's limits (50 users,
 * 7 days), without overlaps, so no result is fetched twice.
 *
 * @example
 * ```ts
 * const chunks = splitAttendanceQuery({ userIds: allUserIds, from: '2026-11-01', to: '2026-11-30' })
 * for (const chunk of chunks) await client.attendance.listResults(chunk)
 * ```
 */
export function splitAttendanceQuery(
  input: AttendanceQuery,
  options: AttendanceSplitOptions = {},
): AttendanceChunk[] {
  const api = 'splitAttendanceQuery'
  const maxDays = options.maxDays ?? 7
  const maxUsers = options.maxUsers ?? 50
  const by = options.by ?? 'workDate'
  requireNonEmpty(api, 'userIds', input.userIds)
  if (!(maxDays >= 1) || !(maxUsers >= 1)) {
    throw new DingTalkLimitError('INVALID_ARGUMENT', `${api}: maxDays and maxUsers must be at least 1.`, {
      api,
      parameter: 'options',
    })
  }
  let from = requireTime(api, 'from', input.from)
  let to = requireTime(api, 'to', input.to)
  if (to < from) {
    throw new DingTalkLimitError('INVALID_ARGUMENT', `${api}: to is before from.`, { api, parameter: 'to' })
  }
  const windows: [number, number][] = []
  if (by === 'workDate') {
    // Whole days: a window of maxDays workdays spans maxDays − 1 days between its two dates.
    from = cstDayStart(from)
    to = cstDayStart(to)
    const span = Math.max(1, Math.floor(maxDays)) * DAY_MS
    for (let start = from; start <= to; start += span)
      windows.push([start, Math.min(start + span - DAY_MS, to)])
  } else {
    // Second precision on the wire: the next window starts one second after the last one ended.
    from = Math.floor(from / 1000) * 1000
    to = Math.floor(to / 1000) * 1000
    for (let start = from; start <= to; ) {
      const end = Math.min(start + maxDays * DAY_MS, to)
      windows.push([start, end])
      start = end + 1000
    }
  }
  const ids = [...input.userIds]
  const chunks: AttendanceChunk[] = []
  for (let i = 0; i < ids.length; i += maxUsers) {
    const userIds = ids.slice(i, i + maxUsers)
    for (const [start, end] of windows) chunks.push({ userIds, from: start, to: end })
  }
  return chunks
}

/**
 * Attendance (考勤): check-in results and records, leave status and schedules. One call covers at most
 * 50 users and 7 days (checked locally: {@link DingTalkLimitError}); the `iterate*` methods split longer
 * queries into such calls.
 *
 * @example
 * ```ts
 * for await (const r of client.attendance.iterateResults({ userIds, from: '2026-11-01', to: '2026-11-30' })) {
 *   if (r.timeResult === 'Late') console.log(r.userId, new Date(r.workDate))
 * }
 * ```
 */
export interface AttendanceApi {
  /**
   * `attendance/list`: one page of check-in results (≤ 50 users, ≤ 7 days, `limit` ≤ 50).
   *
   * @example
   * ```ts
   * const { list, hasMore } = await client.attendance.listResults({ userIds: ['lisi'], from: '2026-11-02', to: '2026-11-06' })
   * ```
   */
  listResults(
    input: AttendanceQuery & { offset?: number; limit?: number },
  ): Promise<OffsetPage<AttendanceResult>>
  /**
   * Every check-in result of any number of users over any range: split into 50-user, 7-day calls and paged.
   *
   * @example
   * ```ts
   * for await (const r of client.attendance.iterateResults({ userIds, from: '2026-10-01', to: '2026-10-31' })) tally(r)
   * ```
   */
  iterateResults(input: AttendanceQuery): AsyncGenerator<AttendanceResult, void, undefined>
  /**
   * `attendance/listRecord`: every check-in of ≤ 50 users within ≤ 7 days.
   *
   * @example
   * ```ts
   * const records = await client.attendance.listRecords({ userIds: ['lisi'], from: '2026-11-02', to: '2026-11-06 23:59:59' })
   * ```
   */
  listRecords(input: AttendanceQuery): Promise<AttendanceRecord[]>
  /**
   * Every check-in of any number of users over any range.
   *
   * @example
   * ```ts
   * for await (const rec of client.attendance.iterateRecords({ userIds, from: '2026-11-01', to: '2026-11-30' })) log(rec)
   * ```
   */
  iterateRecords(input: AttendanceQuery): AsyncGenerator<AttendanceRecord, void, undefined>
  /**
   * `topapi/attendance/getleavestatus`: one page of leaves (≤ 100 users, ≤ 180 days, `size` ≤ 20).
   *
   * @example
   * ```ts
   * const { list } = await client.attendance.getLeaveStatus({ userIds: ['wangwu'], from: '2026-11-01', to: '2026-11-30' })
   * ```
   */
  getLeaveStatus(
    input: AttendanceQuery & { offset?: number; size?: number },
  ): Promise<OffsetPage<LeaveStatus>>
  /**
   * Every leave of any number of users over any range (100-user, 180-day calls, paged).
   *
   * @example
   * ```ts
   * for await (const leave of client.attendance.iterateLeaveStatus({ userIds, from: '2026-01-01', to: '2026-12-31' })) log(leave)
   * ```
   */
  iterateLeaveStatus(input: AttendanceQuery): AsyncGenerator<LeaveStatus, void, undefined>
  /**
   * `topapi/attendance/schedule/listbyusers`: the shifts of ≤ 50 users within ≤ 7 days, read as
   * `operatorUserId`.
   *
   * @example
   * ```ts
   * const shifts = await client.attendance.listUserSchedules({ operatorUserId: 'zhangsan', userIds: ['lisi'], from: '2026-11-02', to: '2026-11-06' })
   * ```
   */
  listUserSchedules(input: AttendanceQuery & { operatorUserId: string }): Promise<UserSchedule[]>
  /**
   * `topapi/attendance/listschedule`: one page of the whole corp's check points of a day (`size` ≤ 200).
   *
   * @example
   * ```ts
   * const { list, hasMore } = await client.attendance.listDaySchedules({ workDate: '2026-11-02' })
   * ```
   */
  listDaySchedules(input: {
    workDate: DingTalkTime
    offset?: number
    size?: number
  }): Promise<OffsetPage<DaySchedule>>
}

const LIST = '/attendance/list'
const LIST_RECORD = '/attendance/listRecord'
const LEAVE = '/topapi/attendance/getleavestatus'
const BY_USERS = '/topapi/attendance/schedule/listbyusers'
const DAY = '/topapi/attendance/listschedule'

function checkUsers(api: string, userIds: readonly string[], max: number): void {
  requireNonEmpty(api, 'userIds', userIds)
  checkList(api, 'userIds', userIds, max)
}

export function createAttendanceApi(ctx: ApiContext): AttendanceApi {
  const { read } = envelopeCalls(ctx)

  const attendance: AttendanceApi = {
    async listResults(input) {
      checkUsers(LIST, input.userIds, 50)
      const limit = input.limit ?? 50
      checkPageSize(LIST, 'limit', limit, 50)
      const window = checkWindow(LIST, ['from', 'to'], input.from, input.to, 7)
      const body = await read(LIST, {
        workDateFrom: formatCst(window.from),
        workDateTo: formatCst(window.to),
        userIdList: [...input.userIds],
        offset: input.offset ?? 0,
        limit,
      })
      return { list: asArray(body.recordresult).map(toResult), hasMore: asBool(body.hasMore) }
    },
    async *iterateResults(input) {
      for (const chunk of splitAttendanceQuery(input, { by: 'workDate' })) {
        yield* paginate(0, async (offset) => {
          const page = await attendance.listResults({ ...chunk, offset, limit: 50 })
          return { items: page.list, hasMore: page.hasMore, next: offset + 50 }
        })
      }
    },
    async listRecords(input) {
      checkUsers(LIST_RECORD, input.userIds, 50)
      const window = checkWindow(LIST_RECORD, ['from', 'to'], input.from, input.to, 7)
      const body = await read(LIST_RECORD, {
        userIds: [...input.userIds],
        checkDateFrom: formatCst(window.from),
        checkDateTo: formatCst(window.to),
      })
      return asArray(body.recordresult).map(toRecord)
    },
    async *iterateRecords(input) {
      for (const chunk of splitAttendanceQuery(input, { by: 'checkTime' })) {
        yield* await attendance.listRecords(chunk)
      }
    },
    async getLeaveStatus(input) {
      checkUsers(LEAVE, input.userIds, 100)
      const size = input.size ?? 20
      checkPageSize(LEAVE, 'size', size, 20)
      const window = checkWindow(LEAVE, ['from', 'to'], input.from, input.to, 180)
      const body = await read(LEAVE, {
        userid_list: input.userIds.join(','),
        start_time: window.from,
        end_time: window.to,
        offset: input.offset ?? 0,
        size,
      })
      const r = asRecord(body.result)
      return {
        hasMore: asBool(r.has_more),
        list: asArray(r.leave_status).map(toLeaveStatus),
      }
    },
    async *iterateLeaveStatus(input) {
      for (const chunk of splitAttendanceQuery(input, { by: 'checkTime', maxDays: 180, maxUsers: 100 })) {
        yield* paginate(0, async (offset) => {
          const page = await attendance.getLeaveStatus({ ...chunk, offset, size: 20 })
          return { items: page.list, hasMore: page.hasMore, next: offset + 20 }
        })
      }
    },
    async listUserSchedules(input) {
      requireText(BY_USERS, 'operatorUserId', input.operatorUserId)
      checkUsers(BY_USERS, input.userIds, 50)
      const window = checkWindow(BY_USERS, ['from', 'to'], input.from, input.to, 7)
      const body = await read(BY_USERS, {
        op_user_id: input.operatorUserId,
        userids: input.userIds.join(','),
        from_date_time: window.from,
        to_date_time: window.to,
      })
      return asArray(body.result).map(toUserSchedule)
    },
    async listDaySchedules(input) {
      const size = input.size ?? 200
      checkPageSize(DAY, 'size', size, 200)
      const day = cstDayStart(requireTime(DAY, 'workDate', input.workDate))
      const body = await read(DAY, compact({ workDate: formatCst(day), offset: input.offset ?? 0, size }))
      const r = asRecord(body.result)
      return {
        hasMore: asBool(r.has_more),
        list: asArray(r.schedules).map(toDaySchedule),
      }
    },
  }
  return attendance
}
