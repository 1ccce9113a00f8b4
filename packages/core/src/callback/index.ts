export { type CallbackErrorCode, DingTalkCallbackError } from './errors'
export {
  type AnyEventHandler,
  type CallbackHandler,
  type CallbackHandlerOptions,
  type CallbackLogger,
  type CallbackResponse,
  type CallbackTuning,
  createCallbackHandler,
  type EventContext,
  type EventHandler,
  type EventHandlers,
  type SuiteCallbackClient,
  type WaitUntilContext,
} from './handler'
export type { CallbackHeaders, CallbackQuery, CallbackRequest } from './request'
