export * from './api/index'
export { type AppCredentials, appCredentialsOf } from './auth/app-credentials'
export {
  createTokenCache,
  type FetchedToken,
  type ObservedRefresh,
  type TokenCache,
  type TokenCacheOptions,
  type TokenRefreshEvent,
} from './auth/token-cache'
export * from './callback/index'
export {
  createDingTalkClient,
  type DingTalkClient,
  type DingTalkClientOptions,
  type DingTalkCredentials,
  type TokenTuning,
} from './client'
export * from './crypto/index'
export * from './errors/index'
export * from './events/index'
export type { ClientHooks, RequestEvent, ResponseEvent, RetryEvent, TokenEvent } from './http/hooks'
export type { ClientObserver, ObservedCall } from './http/observer'
export type {
  AuthMode,
  DingTalkBinaryResponse,
  DingTalkRequest,
  DingTalkResponse,
  QueryValue,
} from './http/request'
export type { RetryOptions } from './http/retry'
export type { DingTalkV1Request } from './http/v1'
export type { Around } from './observe'
export * from './robots/index'
export * from './routes/index'
export * from './signing/index'
export { type MemoryStoreOptions, memoryStore, type Store, type StoreKeyKind, storeKey } from './store/store'
export * from './suite/index'
