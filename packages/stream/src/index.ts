// The pipeline the client feeds, re-exported so one import serves an app that also takes HTTP callbacks.
export {
  createEventDispatcher,
  type EventDispatcher,
  type EventDispatcherOptions,
  parseStreamEvent,
} from '@dingtalk-kit/core'
export {
  type StreamCallbackContext,
  type StreamCallbackHandler,
  TOPIC_CARD,
  TOPIC_ROBOT,
} from './callbacks'
export { createStreamClient, type StreamClient } from './client'
export {
  DingTalkStreamCredentialsError,
  DingTalkStreamError,
  DingTalkStreamUnreachableError,
  type StreamErrorCode,
} from './errors'
export type { StreamClientOptions, StreamConnectionOptions, StreamHooks } from './options'
export type { StreamStats } from './report'
