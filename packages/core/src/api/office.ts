import { type ApprovalsApi, createApprovalsApi } from './approvals'
import { type AttendanceApi, createAttendanceApi } from './attendance'
import type { ApiContext } from './context'
import { createLookupsApi, type LookupsApi } from './lookups'
import { createReportsApi, type ReportsApi } from './reports'
import { createRolesApi, type RolesApi } from './roles'
import { createWorkRecordsApi, type WorkRecordsApi } from './workrecords'

/**
 * The API groups internal apps use every day, on every client (corp apps and `suite.forCorp(corpId)` alike).
 *
 * @example
 * ```ts
 * const userId = await client.lookups.getUserIdByMobile('13800000002')
 * const { processInstanceId } = await client.approvals.create({ processCode, originatorUserId: userId, deptId: -1, form })
 * ```
 */
export interface OfficeApis {
  /** Contact lookups: by mobile or unionid, administrators, parent chains, member count (§6). */
  readonly lookups: LookupsApi
  /** Role groups, role members, granting and revoking roles. */
  readonly roles: RolesApi
  /** OA approvals: start, get, list ids, process code, comment, terminate. */
  readonly approvals: ApprovalsApi
  /** Attendance results and records, leave status, schedules (50 users / 7 days per call). */
  readonly attendance: AttendanceApi
  /** To-dos (待办). */
  readonly workRecords: WorkRecordsApi
  /** Reports (日志). */
  readonly reports: ReportsApi
}

/** Internal: the {@link OfficeApis} of one client. */
export function createOfficeApis(ctx: ApiContext): OfficeApis {
  return {
    lookups: createLookupsApi(ctx),
    roles: createRolesApi(ctx),
    approvals: createApprovalsApi(ctx),
    attendance: createAttendanceApi(ctx),
    workRecords: createWorkRecordsApi(ctx),
    reports: createReportsApi(ctx),
  }
}
