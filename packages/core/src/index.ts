export * from './api/index'
export { type AppCredentials, appCredentialsOf } from './auth/app-credentials'
export {
  createTokenCache,
  type FetchedToken,
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
export { DingTalkError } from './errors'
export * from './errors/index'
export * from './events/index'
export type {
  AuthMode,
  ClientHooks,
  DingTalkBinaryResponse,
  DingTalkRequest,
  DingTalkResponse,
  QueryValue,
  RequestEvent,
  ResponseEvent,
  RetryEvent,
  RetryOptions,
  TokenEvent,
} from './http/pipeline'
export * from './routes/index'
export * from './signing/index'
export { type MemoryStoreOptions, memoryStore, type Store, type StoreKeyKind, storeKey } from './store/store'
export { DingTalkStoreError, type StoreErrorCode } from './store/store-error'
export * from './suite/index'
