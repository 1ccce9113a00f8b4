// The pipeline the client feeds, re-exported so one import serves an app that also takes HTTP callbacks.
export {
  createEventDispatcher,
  type EventDispatcher,
  type EventDispatcherOptions,
  parseStreamEvent,
} from '@dingtalk-kit/core'
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
export {
  DingTalkStreamCredentialsError,
  DingTalkStreamError,
  DingTalkStreamUnreachableError,
  type StreamErrorCode,
} from './errors'
