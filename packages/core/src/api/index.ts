export type { CallbackRegistration, CallbacksApi, FailedCallback } from './callbacks'
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
export {
  DingTalkMediaError,
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
export type { SsoAdmin, SsoApi, SsoUser, SsoUserLegacy } from './sso'
