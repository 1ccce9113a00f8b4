export {
  createStreamClient,
  type StreamCallbackContext,
  type StreamCallbackHandler,
  type StreamClient,
  type StreamClientOptions,
  type StreamHooks,
  type StreamStats,
  TOPIC_CARD,
  TOPIC_ROBOT,
} from './client'
export type {
  DeliveryContext,
  DeliveryOutcome,
  DeliveryUnit,
  DispatcherOptions,
  StreamDispatcher,
} from './dispatcher'
export {
  DingTalkStreamCredentialsError,
  DingTalkStreamError,
  DingTalkStreamUnreachableError,
  type StreamErrorCode,
} from './errors'
