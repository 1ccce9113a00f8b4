import { asNumber, asRecord, asString } from './context'

// What the attendance calls return, and how DingTalk's answers are read into it.

/** What every check-in carries, in `attendance/list` and `attendance/listRecord` alike. */
export interface AttendanceCheck {
  userId: string
  /** `OnDuty` or `OffDuty`. */
  checkType: string
  /** `Normal`, `Early`, `Late`, `SeriousLate`, `Absenteeism` or `NotSigned`. */
  timeResult: string
  /** `Normal`, `Outside` or `NotSigned`. */
  locationResult: string
  /** Epoch ms the check was due. */
  baseCheckTime: number | undefined
  /** Epoch ms of the actual check. */
  userCheckTime: number | undefined
  /** `USER`, `ATM`, `BEACON`, `DING_ATM`, `BOSS`, `APPROVE`, `SYSTEM`, `AUTO_CHECK`. */
  sourceType: string
  /** The leave/overtime approval behind it, if any. */
  procInstId: string
}

/** A check-in result (打卡结果), from `attendance/list`: one per scheduled check point and workday. */
export interface AttendanceResult extends AttendanceCheck {
  id: number
  recordId: number | undefined
  /** Epoch ms of the workday (midnight, China time). */
  workDate: number
  groupId: number | undefined
  planId: number | undefined
}

/** A check-in (打卡详情), from `attendance/listRecord`: every check, including ones that did not count. */
export interface AttendanceRecord extends AttendanceCheck {
  id: string
  workDate: number | undefined
  /** `Y` when time and place were both normal. */
  isLegal: boolean
  userAddress: string
  deviceId: string
  /** `Security` or `Other` for checks that need a second look, else empty. */
  invalidRecordType: string
}

/** A leave (请假状态), from `topapi/attendance/getleavestatus`. */
export interface LeaveStatus {
  userId: string
  startTime: number | undefined
  endTime: number | undefined
  /** `day` or `hour`. */
  unit: 'day' | 'hour' | (string & {})
  /** In `unit`s, e.g. 0.5 (DingTalk sends 100 × the duration). */
  duration: number
}

/** A member's shift check point, from `topapi/attendance/schedule/listbyusers`. */
export interface UserSchedule {
  scheduleId: number | undefined
  userId: string
  /** `yyyy-MM-dd HH:mm:ss` (China time). */
  workDate: string
  checkType: string
  planCheckTime: string
  groupId: number | undefined
  /** 0 on a rest day. */
  shiftId: number | undefined
  isRest: boolean
}

/** One check point of the corp's schedule of a day, from `topapi/attendance/listschedule`. */
export interface DaySchedule {
  planId: number | undefined
  userId: string
  checkType: string
  /** `yyyy-MM-dd HH:mm:ss` (China time). */
  planCheckTime: string
  groupId: number | undefined
  classId: number | undefined
}

function toCheck(r: Record<string, unknown>): AttendanceCheck {
  return {
    userId: asString(r.userId),
    checkType: asString(r.checkType),
    timeResult: asString(r.timeResult),
    locationResult: asString(r.locationResult),
    baseCheckTime: asNumber(r.baseCheckTime),
    userCheckTime: asNumber(r.userCheckTime),
    sourceType: asString(r.sourceType),
    procInstId: asString(r.procInstId),
  }
}

export function toResult(raw: unknown): AttendanceResult {
  const r = asRecord(raw)
  return {
    ...toCheck(r),
    id: asNumber(r.id) ?? 0,
    recordId: asNumber(r.recordId),
    workDate: asNumber(r.workDate) ?? 0,
    groupId: asNumber(r.groupId),
    planId: asNumber(r.planId),
  }
}

export function toRecord(raw: unknown): AttendanceRecord {
  const r = asRecord(raw)
  return {
    ...toCheck(r),
    id: asString(r.id),
    workDate: asNumber(r.workDate),
    isLegal: asString(r.isLegal) === 'Y',
    userAddress: asString(r.userAddress),
    deviceId: asString(r.deviceId),
    invalidRecordType: asString(r.invalidRecordType),
  }
}

export function toLeaveStatus(raw: unknown): LeaveStatus {
  const l = asRecord(raw)
  const unit = asString(l.duration_unit)
  return {
    userId: asString(l.userid),
    startTime: asNumber(l.start_time),
    endTime: asNumber(l.end_time),
    unit: unit === 'percent_day' ? 'day' : unit === 'percent_hour' ? 'hour' : unit,
    duration: (asNumber(l.duration_percent) ?? 0) / 100,
  }
}

export function toUserSchedule(raw: unknown): UserSchedule {
  const s = asRecord(raw)
  return {
    scheduleId: asNumber(s.id),
    userId: asString(s.userid),
    workDate: asString(s.work_date),
    checkType: asString(s.check_type),
    planCheckTime: asString(s.plan_check_time),
    groupId: asNumber(s.group_id),
    shiftId: asNumber(s.shift_id),
    isRest: asString(s.is_rest) === 'Y',
  }
}

export function toDaySchedule(raw: unknown): DaySchedule {
  const s = asRecord(raw)
  return {
    planId: asNumber(s.plan_id),
    userId: asString(s.userid),
    checkType: asString(s.check_type),
    planCheckTime: asString(s.plan_check_time),
    groupId: asNumber(s.group_id),
    classId: asNumber(s.class_id),
  }
}
