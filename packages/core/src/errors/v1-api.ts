import type { ErrorCodeOf } from './codes'
import { DingTalkRequestError, type RequestSummary } from './request-errors'

/**
 * api.dingtalk.com (v1.0) answered with an error: an HTTP status and a body `{ code, message, requestid }`.
 * `code` is the `DingTalkError` code `API_ERROR` (as for an oapi errcode); DingTalk's own code is
 * {@link DingTalkV1ApiError.apiCode}, e.g. `InvalidAuthentication` or
 * `Forbidden.AccessDenied.AccessTokenPermissionDenied`. Rate limits (`QpsLimit`) come as
 * `DingTalkRateLimitError` instead, after the retries.
 *
 * @example
 * ```ts
 * try {
 *   await client.requestV1({ method: 'POST', path: '/v1.0/robot/oToMessages/batchSend', json })
 * } catch (error) {
 *   if (error instanceof DingTalkV1ApiError && error.httpStatus === 403) console.error(error.apiCode, error.requestId)
 * }
 * ```
 */
export class DingTalkV1ApiError extends DingTalkRequestError {
  declare readonly code: ErrorCodeOf<'DingTalkV1ApiError'>
  /** DingTalk's error code, e.g. `InvalidAuthentication`, `InvalidParameter`. */
  readonly apiCode: string
  /** DingTalk's message, secrets removed. */
  readonly apiMessage: string
  /** DingTalk's `requestid`, for support. */
  readonly requestId: string | undefined
  declare readonly httpStatus: number

  constructor(details: {
    httpStatus: number
    apiCode: string
    apiMessage: string
    requestId: string | undefined
    request: RequestSummary
    attempts: number
  }) {
    super(
      'API_ERROR',
      `${details.request.path} failed with HTTP ${details.httpStatus} ${details.apiCode}: ${details.apiMessage}`,
      details,
    )
    this.name = 'DingTalkV1ApiError'
    this.apiCode = details.apiCode
    this.apiMessage = details.apiMessage
    this.requestId = details.requestId
  }

  protected override resultText(): string {
    return `HTTP ${this.httpStatus}, code ${this.apiCode}, message ${this.apiMessage}`
  }

  protected override reportRequestId(): string | undefined {
    return this.requestId
  }
}
