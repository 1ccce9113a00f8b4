/**
 * Every `code` a dingtalk-kit error carries, with the class that carries it — one catalogue for the whole
 * kit (the Stream client's codes included; that class lives in `@dingtalk-kit/stream`). `DingTalkError.code`
 * is typed as {@link DingTalkErrorCode}, and each class narrows it to its own codes
 * ({@link ErrorCodeOf}), so a misspelt code or one thrown by the wrong class does not compile.
 *
 * DingTalk's numeric `errcode`s are a different catalogue: {@link errcodeCatalogue}.
 *
 * @example
 * ```ts
 * DINGTALK_ERROR_CODES.STORE_TIMEOUT // 'DingTalkStoreError'
 * const crypto: ErrorCodeOf<'DingTalkCryptoError'>[] = ['CRYPTO_SIGNATURE_MISMATCH']
 * ```
 */
export const DINGTALK_ERROR_CODES = {
  // A DingTalk API call (the request family: DingTalkRequestError and its subclasses).
  // An oapi errcode, or an api.dingtalk.com (v1.0) error body.
  API_ERROR: ['DingTalkApiError', 'DingTalkV1ApiError'],
  INVALID_CREDENTIALS: 'DingTalkCredentialsError',
  RATE_LIMITED: 'DingTalkRateLimitError',
  HTTP_ERROR: 'DingTalkHttpError',
  NETWORK_ERROR: 'DingTalkHttpError',
  INVALID_RESPONSE: 'DingTalkHttpError',
  TIMEOUT: 'DingTalkTimeoutError',
  // Cached tokens and tickets.
  TOKEN_EMPTY: 'DingTalkTokenError',
  TOKEN_REFRESH_TIMEOUT: 'DingTalkTokenError',
  // Callback crypto (§3).
  CRYPTO_INVALID_TOKEN: 'DingTalkCryptoError',
  CRYPTO_INVALID_AES_KEY: 'DingTalkCryptoError',
  CRYPTO_MISSING_SIGNATURE: 'DingTalkCryptoError',
  CRYPTO_MISSING_TIMESTAMP: 'DingTalkCryptoError',
  CRYPTO_MISSING_NONCE: 'DingTalkCryptoError',
  CRYPTO_INVALID_SIGNATURE: 'DingTalkCryptoError',
  CRYPTO_SIGNATURE_MISMATCH: 'DingTalkCryptoError',
  CRYPTO_INVALID_CIPHERTEXT: 'DingTalkCryptoError',
  CRYPTO_INVALID_PADDING: 'DingTalkCryptoError',
  CRYPTO_INVALID_LENGTH: 'DingTalkCryptoError',
  CRYPTO_INVALID_UTF8: 'DingTalkCryptoError',
  CRYPTO_INVALID_PLAINTEXT: 'DingTalkCryptoError',
  CRYPTO_RECEIVE_ID_MISMATCH: 'DingTalkCryptoError',
  CRYPTO_ENCRYPT_FAILED: 'DingTalkCryptoError',
  // Callbacks and events, reported to onError.
  CALLBACK_REJECTED: 'DingTalkCallbackError',
  CALLBACK_HANDLER_FAILED: 'DingTalkCallbackError',
  CALLBACK_SUITE_FAILED: 'DingTalkCallbackError',
  CALLBACK_STORE_FAILED: 'DingTalkCallbackError',
  CALLBACK_BUSY: 'DingTalkCallbackError',
  CALLBACK_UNKNOWN_EVENT: 'DingTalkCallbackError',
  CALLBACK_SUITE_KEY_MISMATCH: 'DingTalkCallbackError',
  CALLBACK_LICENSE_CODE: 'DingTalkCallbackError',
  // The shared store.
  STORE_TIMEOUT: 'DingTalkStoreError',
  STORE_UNAVAILABLE: 'DingTalkStoreError',
  STORE_ERROR: 'DingTalkStoreError',
  // ISV suites.
  SUITE_TICKET_MISSING: 'DingTalkSuiteError',
  CORP_NOT_AUTHORIZED: 'DingTalkSuiteError',
  // Documented API limits checked before a call.
  LIST_TOO_LONG: 'DingTalkLimitError',
  TEXT_TOO_LONG: 'DingTalkLimitError',
  RANGE_TOO_LONG: 'DingTalkLimitError',
  PAGE_SIZE_TOO_LARGE: 'DingTalkLimitError',
  INVALID_ARGUMENT: 'DingTalkLimitError',
  // Media uploads (§7.1).
  MEDIA_TOO_LARGE: 'DingTalkMediaError',
  MEDIA_INVALID_TYPE: 'DingTalkMediaError',
  MEDIA_EMPTY: 'DingTalkMediaError',
  MEDIA_MISSING_FILENAME: 'DingTalkMediaError',
  MEDIA_UNREADABLE: 'DingTalkMediaError',
  // Robot webhooks: a custom robot's or a session webhook's refusal (§14.2), by the setting to fix.
  WEBHOOK_KEYWORD_MISMATCH: 'DingTalkWebhookError',
  WEBHOOK_IP_NOT_ALLOWED: 'DingTalkWebhookError',
  WEBHOOK_SIGN_MISMATCH: 'DingTalkWebhookError',
  WEBHOOK_RATE_LIMITED: 'DingTalkWebhookError',
  WEBHOOK_TOKEN_INVALID: 'DingTalkWebhookError',
  WEBHOOK_SESSION_EXPIRED: 'DingTalkWebhookError',
  WEBHOOK_FAILED: 'DingTalkWebhookError',
  // Stream mode (@dingtalk-kit/stream).
  STREAM_CREDENTIALS: 'DingTalkStreamError',
  STREAM_UNREACHABLE: 'DingTalkStreamError',
  STREAM_OPEN_FAILED: 'DingTalkStreamError',
  STREAM_TICKET_REJECTED: 'DingTalkStreamError',
  STREAM_FRAME_INVALID: 'DingTalkStreamError',
  STREAM_CLOSED: 'DingTalkStreamError',
  // Configuration and input checks that need no class of their own.
  INVALID_AGENT_ID: 'DingTalkError',
  MISSING_AGENT_ID: 'DingTalkError',
  INVALID_HOME_PAGE_URL: 'DingTalkError',
  ISV_INVALID_TIMESTAMP: 'DingTalkError',
  ISV_MISSING_SECRET: 'DingTalkError',
  JSAPI_INVALID_NONCE: 'DingTalkError',
  JSAPI_INVALID_TIMESTAMP: 'DingTalkError',
  JSAPI_INVALID_URL: 'DingTalkError',
  JSAPI_MISSING_AGENT_ID: 'DingTalkError',
  JSAPI_MISSING_CORP_ID: 'DingTalkError',
  JSAPI_MISSING_TICKET: 'DingTalkError',
  MESSAGE_INVALID_TYPE: 'DingTalkError',
  SSO_MISSING_CODE: 'DingTalkError',
  SSO_NOT_CONFIGURED: 'DingTalkError',
  SUITE_INVALID_RESPONSE: 'DingTalkError',
  WEB_LOGIN_MISSING_CODE: 'DingTalkError',
  WEB_LOGIN_INVALID_RESPONSE: 'DingTalkError',
  // Robots (§13.6, §14).
  ROBOT_CODE_MISSING: 'DingTalkError',
  ROBOT_DOWNLOAD_FAILED: 'DingTalkError',
  ROBOT_MESSAGE_UNSUPPORTED: 'DingTalkError',
  ROBOT_SECRET_MISSING: 'DingTalkError',
  ROBOT_SESSION_EXPIRED: 'DingTalkError',
} as const

// Every entry names classes of the kit (a typo in a class name does not compile).
DINGTALK_ERROR_CODES satisfies Record<string, ErrorClassName | readonly ErrorClassName[]>

/**
 * The name of every error class of the kit.
 *
 * @example
 * ```ts
 * const name: ErrorClassName = 'DingTalkStoreError'
 * ```
 */
export type ErrorClassName =
  | 'DingTalkError'
  | 'DingTalkApiError'
  | 'DingTalkCredentialsError'
  | 'DingTalkRateLimitError'
  | 'DingTalkHttpError'
  | 'DingTalkTimeoutError'
  | 'DingTalkV1ApiError'
  | 'DingTalkTokenError'
  | 'DingTalkCryptoError'
  | 'DingTalkCallbackError'
  | 'DingTalkStoreError'
  | 'DingTalkSuiteError'
  | 'DingTalkLimitError'
  | 'DingTalkMediaError'
  | 'DingTalkStreamError'
  | 'DingTalkWebhookError'

/**
 * Every code of {@link DINGTALK_ERROR_CODES}.
 *
 * @example
 * ```ts
 * const code: DingTalkErrorCode = 'CRYPTO_SIGNATURE_MISMATCH'
 * ```
 */
export type DingTalkErrorCode = keyof typeof DINGTALK_ERROR_CODES

/**
 * The codes one class carries, e.g. `ErrorCodeOf<'DingTalkStoreError'>` is
 * `'STORE_TIMEOUT' | 'STORE_UNAVAILABLE' | 'STORE_ERROR'`.
 *
 * @example
 * ```ts
 * const code: ErrorCodeOf<'DingTalkHttpError'> = 'NETWORK_ERROR'
 * ```
 */
export type ErrorCodeOf<N extends ErrorClassName> = {
  [K in DingTalkErrorCode]: (typeof DINGTALK_ERROR_CODES)[K] extends readonly (infer C)[]
    ? N extends C
      ? K
      : never
    : N extends (typeof DINGTALK_ERROR_CODES)[K]
      ? K
      : never
}[DingTalkErrorCode]
