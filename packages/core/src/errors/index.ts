// Every error class of core, its codes and the errcode catalogue: one import for `@dingtalk-kit/core/errors`.
export { DingTalkError } from './base'
export { type CallbackErrorCode, DingTalkCallbackError } from './callback'
export {
  describeErrcode,
  type ErrcodeInfo,
  errcodeCatalogue,
  isRateLimited,
  isTokenInvalid,
  TOKEN_INVALID_SUB_CODES,
} from './catalogue'
export { DINGTALK_ERROR_CODES, type DingTalkErrorCode, type ErrorClassName, type ErrorCodeOf } from './codes'
export { CRYPTO_ERROR_NUMBERS, type CryptoErrorCode, DingTalkCryptoError } from './crypto'
export { DingTalkLimitError, type LimitErrorCode } from './limit'
export { DingTalkMediaError } from './media'
export {
  type ApiErrorDetails,
  type CredentialName,
  DingTalkApiError,
  DingTalkCredentialsError,
  DingTalkHttpError,
  DingTalkRateLimitError,
  DingTalkRequestError,
  DingTalkTimeoutError,
  DingTalkTokenError,
  type ProblemReportOptions,
  type RequestErrorCode,
  type RequestSummary,
} from './request-errors'
export { DingTalkStoreError, type StoreErrorCode } from './store'
export { DingTalkSuiteError } from './suite'
export { DingTalkV1ApiError } from './v1-api'
export { DingTalkWebhookError, type WebhookErrorCode } from './webhook'
