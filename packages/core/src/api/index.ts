// Issue #19: lookups, roles, approvals, attendance, to-dos, reports, web login.

export { AI_CARD_STATUS, type AiCard, type AiCardInput } from './ai-card'
export type {
  ApprovalCreateInput,
  ApprovalFormField,
  ApprovalFormValue,
  ApprovalInstance,
  ApprovalListIdsInput,
  ApprovalOperation,
  ApprovalStatus,
  ApprovalStep,
  ApprovalsApi,
  ApprovalTask,
} from './approvals'
export {
  type AttendanceApi,
  type AttendanceCheck,
  type AttendanceChunk,
  type AttendanceQuery,
  type AttendanceRecord,
  type AttendanceResult,
  type AttendanceSplitOptions,
  type DaySchedule,
  type LeaveStatus,
  splitAttendanceQuery,
  type UserSchedule,
} from './attendance'
export type { CallbackRegistration, CallbacksApi, FailedCallback } from './callbacks'
export type {
  CardCreateInput,
  CardData,
  CardDelivery,
  CardStreamingInput,
  CardsOptions,
  CardTarget,
  CardUpdateInput,
} from './card-types'
export type { CardsApi } from './cards'
export type { ChatCreateInput, ChatInfo, ChatReadPage, ChatsApi, ChatUpdateInput } from './chats'
export type {
  ContactLanguage,
  ContactsApi,
  CursorPage,
  Department,
  DepartmentCreateInput,
  DepartmentsApi,
  DepartmentUpdateInput,
  LegacyDepartment,
  LegacyDepartmentCreateInput,
  LegacyDepartmentsApi,
  LegacyDepartmentUpdateInput,
  LegacyUser,
  LegacyUserCreateInput,
  LegacyUserListInput,
  LegacyUsersApi,
  LegacyUserUpdateInput,
  SimpleUser,
  User,
  UserCreateInput,
  UserListInput,
  UsersApi,
  UserUpdateInput,
} from './contacts'
export type { JsapiApi, JsapiConfigInput } from './jsapi'
export type { DingTalkTime } from './limits'
export type { Admin, LookupsApi, UnionIdOwner } from './lookups'
export {
  MEDIA_LIMITS,
  type MediaApi,
  type MediaSource,
  type MediaType,
  type MediaUploadInput,
  type UploadedMedia,
} from './media'
export {
  type ActionCardButton,
  type Message,
  type MessagesApi,
  message,
  type OaFormRow,
  toWireMessage,
  type WorkNoticeInput,
  type WorkNoticeResult,
  type WorkNoticeTask,
} from './messages'
export type { OfficeApis } from './office'
export {
  createSharedQpsLimiter,
  type SharedQpsLimiter,
  type SharedQpsLimiterOptions,
} from './qps-limiter'
export type { Report, ReportListInput, ReportPage, ReportsApi } from './reports'
export type { OffsetPage, Role, RoleAssignment, RoleGroup, RoleMember, RolesApi } from './roles'
export type { SsoAdmin, SsoApi, SsoUser, SsoUserLegacy } from './sso'
export {
  createWebLogin,
  type WebLogin,
  type WebLoginForm,
  type WebLoginOptions,
  type WebLoginProfile,
  type WebLoginUser,
} from './web-login'
export type { WorkRecord, WorkRecordFormItem, WorkRecordInput, WorkRecordsApi } from './workrecords'
