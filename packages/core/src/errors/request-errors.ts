import { DingTalkError } from './base'
import { describeErrcode, type ErrcodeInfo } from './catalogue'
import type { ErrorCodeOf } from './codes'
import { type RequestSummary, renderProblemReport } from './problem-report'

export type { RequestSummary }

/** Options of {@link DingTalkRequestError.problemReport}. */
export interface ProblemReportOptions {
  /** The company’s full legal name (企业完整名称). */
  company?: string
  /** The public egress IP of the calling server (发起请求的服务器的外网IP地址). */
  egressIp?: string
}

/**
 * The codes of the request family ({@link DingTalkRequestError} and its subclasses).
 *
 * @example
 * ```ts
 * const retryable = (code: RequestErrorCode): boolean => code === 'NETWORK_ERROR' || code === 'TIMEOUT'
 * ```
 */
export type RequestErrorCode = ErrorCodeOf<
  | 'DingTalkApiError'
  | 'DingTalkCredentialsError'
  | 'DingTalkRateLimitError'
  | 'DingTalkHttpError'
  | 'DingTalkTimeoutError'
  | 'DingTalkV1ApiError'
>

/**
 * An error that came out of an API call: carries the (redacted) call, how many attempts were made and
 * can render the problem report DingTalk support asks for.
 *
 * @example
 * ```ts
 * try { await client.request({ path: '/topapi/v2/user/get', json: { userid } }) }
 * catch (error) {
 *   if (error instanceof DingTalkRequestError) console.log(error.attempts, error.problemReport())
 * }
 * ```
 */
export class DingTalkRequestError extends DingTalkError {
  /** The call, secrets removed. */
  readonly request: RequestSummary
  /** Attempts made, including retries and a token replay. */
  readonly attempts: number
  /** HTTP status of the last response, if one arrived. */
  readonly httpStatus: number | undefined

  declare readonly code: RequestErrorCode

  constructor(
    code: RequestErrorCode,
    message: string,
    details: { request: RequestSummary; attempts: number; httpStatus?: number | undefined; cause?: unknown },
  ) {
    super(code, message, { cause: details.cause })
    this.name = 'DingTalkRequestError'
    this.request = details.request
    this.attempts = details.attempts
    this.httpStatus = details.httpStatus
  }

  /** What the report’s “result” line says. */
  protected resultText(): string {
    return `${this.code}: ${this.message}`
  }

  /** `request_id` if DingTalk returned one. */
  protected reportRequestId(): string | undefined {
    return undefined
  }

  /**
   * Renders the FAQ’s problem-report template (company, API path without token, parameters with the
   * corpId but no token or secret, egress IP, time, result, request_id) as a Markdown table.
   *
   * @example
   * ```ts
   * console.log(error.problemReport({ company: '阿里巴巴', egressIp: '203.0.113.7' }))
   * ```
   */
  problemReport(options: ProblemReportOptions = {}): string {
    return renderProblemReport({
      ...options,
      request: this.request,
      result: this.resultText(),
      requestId: this.reportRequestId(),
    })
  }
}

/** The envelope fields of a failed DingTalk response (§9.1). */
export interface ApiErrorDetails {
  errcode: number
  errmsg: string
  subCode?: string | undefined
  subMsg?: string | undefined
  requestId?: string | undefined
}

/**
 * DingTalk answered with a non-zero `errcode` (§9.1). `info` is the catalogue entry: meaning, what to do,
 * whether it is retryable or means an invalid token.
 *
 * @example
 * ```ts
 * if (error instanceof DingTalkApiError && error.errcode === 60011) console.log(error.info?.action)
 * ```
 */
export class DingTalkApiError extends DingTalkRequestError {
  declare readonly code: ErrorCodeOf<'DingTalkApiError' | 'DingTalkCredentialsError'>
  readonly errcode: number
  readonly errmsg: string
  readonly subCode: string | undefined
  readonly subMsg: string | undefined
  readonly requestId: string | undefined
  /** The catalogue entry for `errcode` (or for `subCode` under errcode 88). */
  readonly info: ErrcodeInfo | undefined

  constructor(
    details: ApiErrorDetails & {
      request: RequestSummary
      attempts: number
      httpStatus?: number | undefined
      code?: ErrorCodeOf<'DingTalkApiError' | 'DingTalkCredentialsError'>
      message?: string
    },
  ) {
    const info =
      details.errcode === 88 && details.subCode !== undefined && /^\d+$/.test(details.subCode)
        ? (describeErrcode(Number(details.subCode)) ?? describeErrcode(88))
        : describeErrcode(details.errcode)
    const sub = details.subCode !== undefined ? ` (sub_code ${details.subCode}: ${details.subMsg ?? ''})` : ''
    const hint = info ? ` — ${info.action}` : ''
    super(
      details.code ?? 'API_ERROR',
      details.message ??
        `${details.request.path} failed with errcode ${details.errcode}: ${details.errmsg}${sub}${hint}`,
      details,
    )
    this.name = 'DingTalkApiError'
    this.errcode = details.errcode
    this.errmsg = details.errmsg
    this.subCode = details.subCode
    this.subMsg = details.subMsg
    this.requestId = details.requestId
    this.info = info
  }

  protected override resultText(): string {
    const parts = [`errcode ${this.errcode}`, `errmsg ${this.errmsg}`]
    if (this.subCode !== undefined) parts.push(`sub_code ${this.subCode}`, `sub_msg ${this.subMsg ?? ''}`)
    return parts.join(', ')
  }

  protected override reportRequestId(): string | undefined {
    return this.requestId
  }
}

/** Which credential DingTalk rejected. */
export type CredentialName = 'appKey' | 'appSecret' | 'corpId' | 'corpSecret' | 'suiteKey' | 'suiteSecret'

/**
 * `gettoken` rejected the credentials. `credentials` names the ones DingTalk says are wrong. Never
 * retried: retrying a wrong secret only burns rate limit.
 *
 * @example
 * ```ts
 * if (error instanceof DingTalkCredentialsError) console.error(`check ${error.credentials.join(' / ')}`)
 * ```
 */
export class DingTalkCredentialsError extends DingTalkApiError {
  declare readonly code: ErrorCodeOf<'DingTalkCredentialsError'>
  /** The credentials DingTalk rejected, most likely first. */
  readonly credentials: CredentialName[]

  constructor(
    details: ApiErrorDetails & { request: RequestSummary; attempts: number; credentials: CredentialName[] },
  ) {
    const names = details.credentials.join(' or ')
    super({
      ...details,
      code: 'INVALID_CREDENTIALS',
      message: `DingTalk rejected the credentials: check ${names} (errcode ${details.errcode}: ${details.errmsg})`,
    })
    this.name = 'DingTalkCredentialsError'
    this.credentials = details.credentials
  }
}

/**
 * DingTalk kept rate-limiting the call (45009, 90001–90019, or the “punish” page that blocks an egress IP,
 * §10; on api.dingtalk.com an HTTP 403/429 with `QpsLimit`) after every retry of the budget was spent.
 *
 * @example
 * ```ts
 * if (error instanceof DingTalkRateLimitError) queue.pause(60_000)
 * ```
 */
export class DingTalkRateLimitError extends DingTalkRequestError {
  declare readonly code: ErrorCodeOf<'DingTalkRateLimitError'>
  /** The errcode, or `undefined` for the punish page (which has none). */
  readonly errcode: number | undefined
  readonly errmsg: string | undefined
  /** `true` when DingTalk answered with its IP-block (“punish”) page. */
  readonly punished: boolean
  readonly requestId: string | undefined
  /** The api.dingtalk.com (v1.0) error `code`, e.g. `Forbidden.AccessDenied.QpsLimitForApi`. */
  readonly apiCode: string | undefined

  constructor(details: {
    request: RequestSummary
    attempts: number
    httpStatus?: number | undefined
    errcode?: number | undefined
    errmsg?: string | undefined
    requestId?: string | undefined
    apiCode?: string | undefined
    punished: boolean
  }) {
    const what = details.punished
      ? 'the egress IP is blocked by DingTalk (punish page); wait at least 5 minutes'
      : details.apiCode !== undefined
        ? `HTTP ${details.httpStatus} ${details.apiCode}: ${details.errmsg ?? ''}`
        : `errcode ${details.errcode}: ${details.errmsg ?? ''}`
    super(
      'RATE_LIMITED',
      `${details.request.path} was rate-limited after ${details.attempts} attempts: ${what}`,
      details,
    )
    this.name = 'DingTalkRateLimitError'
    this.errcode = details.errcode
    this.errmsg = details.errmsg
    this.punished = details.punished
    this.requestId = details.requestId
    this.apiCode = details.apiCode
  }

  protected override reportRequestId(): string | undefined {
    return this.requestId
  }
}

/**
 * The transport failed: an HTTP error status (`HTTP_ERROR`), a reset or refused connection
 * (`NETWORK_ERROR`), or a body that is not the JSON DingTalk sends (`INVALID_RESPONSE`).
 *
 * @example
 * ```ts
 * if (error instanceof DingTalkHttpError && error.code === 'NETWORK_ERROR') console.warn('network trouble')
 * ```
 */
export class DingTalkHttpError extends DingTalkRequestError {
  declare readonly code: ErrorCodeOf<'DingTalkHttpError'>

  constructor(
    code: ErrorCodeOf<'DingTalkHttpError'>,
    message: string,
    details: { request: RequestSummary; attempts: number; httpStatus?: number | undefined; cause?: unknown },
  ) {
    super(code, message, details)
    this.name = 'DingTalkHttpError'
  }
}

/**
 * No response within the client’s `timeoutMs` (code `TIMEOUT`).
 *
 * @example
 * ```ts
 * if (error instanceof DingTalkTimeoutError) console.warn(`${error.request.path} took over ${error.timeoutMs} ms`)
 * ```
 */
export class DingTalkTimeoutError extends DingTalkRequestError {
  declare readonly code: ErrorCodeOf<'DingTalkTimeoutError'>
  readonly timeoutMs: number

  constructor(details: { request: RequestSummary; attempts: number; timeoutMs: number; cause?: unknown }) {
    super('TIMEOUT', `${details.request.path} timed out after ${details.timeoutMs} ms`, details)
    this.name = 'DingTalkTimeoutError'
    this.timeoutMs = details.timeoutMs
  }
}

/**
 * A token or ticket could not be obtained in time: another instance held the refresh lease and did not
 * write a new value before the wait ran out (`TOKEN_REFRESH_TIMEOUT`).
 *
 * @example
 * ```ts
 * if (error instanceof DingTalkTokenError) console.error(error.code, error.kind)
 * ```
 */
export class DingTalkTokenError extends DingTalkError {
  /** Which cached value, e.g. `access_token` or `jsapi_ticket`. */
  readonly kind: string

  declare readonly code: ErrorCodeOf<'DingTalkTokenError'>

  constructor(
    code: ErrorCodeOf<'DingTalkTokenError'>,
    kind: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options)
    this.name = 'DingTalkTokenError'
    this.kind = kind
  }
}
