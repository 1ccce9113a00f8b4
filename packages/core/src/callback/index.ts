export { type CallbackErrorCode, DingTalkCallbackError } from '../errors/callback'
export { pickBody } from './body'
export {
  type CallbackHandler,
  type CallbackHandlerOptions,
  type CallbackResponse,
  type CallbackTuning,
  createCallbackDispatcher,
  createCallbackHandler,
} from './handler'
export type { CallbackHeaders, CallbackQuery, CallbackRequest } from './request'
export {
  type CallbackLimits,
  type CallbackRejection,
  type VerifiedCallback,
  verifyCallbackRequest,
} from './verify'
