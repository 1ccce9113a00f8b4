export {
  describeErrcode,
  type ErrcodeInfo,
  errcodeCatalogue,
  isRateLimited,
  isTokenInvalid,
  TOKEN_INVALID_SUB_CODES,
} from './catalogue'
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
  type RequestSummary,
} from './request-errors'
