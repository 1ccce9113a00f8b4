// #19 office APIs
export type { ApprovalsController } from './approvals'
// #16 interactive cards
export type {
  CardAction,
  CardDeliveryRecord,
  CardFailureKind,
  CardHistoryEntry,
  CardInstanceRecord,
  CardSecond,
  CardStreamState,
  CardsController,
  CardsState,
} from './cards'
export {
  type DecryptedMessage,
  type DecryptMessageOptions,
  decryptMessage,
  type EncryptMessageOptions,
  encryptMessage,
  generateAesKey,
  randomAlphanumeric,
  type SignatureOptions,
  signature,
} from './crypto'
export {
  type AuthorizeResult,
  type Emulator,
  type EmulatorOptions,
  type FaultController,
  type FaultKind,
  type FaultSpec,
  type RateLimitRule,
  type RequestLogEntry,
  startEmulator,
  type TokenFilter,
} from './emulator'
export {
  defaultFixture,
  type Fixture,
  type FixtureApp,
  type FixtureAuthorization,
  type FixtureDepartment,
  type FixtureOrg,
  type FixtureSuite,
  type FixtureUser,
  loadFixture,
} from './fixture'
export {
  type ApprovalInstanceRecord,
  type ApprovalTaskRecord,
  defaultOffice,
  type FixtureOffice,
  type FixtureProcess,
  type FixtureRoleGroup,
  type OfficeState,
  type SnsCodeRecord,
  type UserTokenRecord,
  type WorkRecordRecord,
} from './office-state'
export {
  type BuildPushOptions,
  type BuiltPush,
  buildPush,
  type CheckReplyOptions,
  checkReply,
  expectedReplyFor,
  type PushAttempt,
  type PushEventOptions,
  type PushResult,
  pushEvent,
  type QueryStyle,
  type ReplyCheck,
} from './pusher'
export { DINGTALK_PUSH_SETTINGS, type PushSettings } from './pushes'
export type { RobotController, RobotSayOptions, RobotSayResult } from './robot/controller'
export type {
  CustomRobotRecord,
  RobotConversationRecord,
  RobotFileRecord,
  RobotReplyRecord,
  RobotSessionRecord,
  RobotState,
} from './robot/state'
export type { WebLoginController } from './routes/sns'
export type {
  AuthCodeRecord,
  AuthorizationState,
  CallbackRegistration,
  ChatRecord,
  DepartmentRecord,
  EmulatorState,
  FailedCallback,
  MediaRecord,
  MessageRecord,
  OrgState,
  PushRecord,
  RobotMessageRecord,
  SuiteState,
  TicketRecord,
  TmpAuthCodeRecord,
  TokenRecord,
  UserRecord,
} from './state'
export type {
  StreamAttempt,
  StreamConnectionRecord,
  StreamDeliveryRecord,
  StreamDeliveryResult,
  StreamEmulator,
  StreamMode,
  StreamPushSpec,
  StreamSettings,
  StreamSubscription,
} from './stream/types'
