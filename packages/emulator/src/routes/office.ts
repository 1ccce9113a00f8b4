import type { Routes } from '../context'
import { approvalRoutes } from './approvals'
import { attendanceRoutes } from './attendance'
import { lookupRoutes } from './lookups'
import { reportRoutes } from './reports'
import { roleRoutes } from './roles'
import { snsRoutes } from './sns'
import { workRecordRoutes } from './workrecords'

/** Issue #19: contact lookups, roles, approvals, attendance, to-dos, reports and the web login. */
export const officeRoutes: Routes = {
  ...lookupRoutes,
  ...roleRoutes,
  ...approvalRoutes,
  ...attendanceRoutes,
  ...workRecordRoutes,
  ...reportRoutes,
  ...snsRoutes,
}
