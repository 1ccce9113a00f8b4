import { DingTalkError } from './base'
import type { ErrorCodeOf } from './codes'

/**
 * Why a webhook post failed, by what to fix:
 * - `WEBHOOK_KEYWORD_MISMATCH`: the text has none of the robot's custom keywords;
 * - `WEBHOOK_IP_NOT_ALLOWED`: the sender's IP is outside the robot's IP range;
 * - `WEBHOOK_SIGN_MISMATCH`: the signature or its timestamp was refused (wrong secret, clock skew);
 * - `WEBHOOK_RATE_LIMITED`: more than DingTalk allows (about 20 a minute per robot);
 * - `WEBHOOK_TOKEN_INVALID`: the access_token names no robot (removed, or mistyped);
 * - `WEBHOOK_SESSION_EXPIRED`: a session webhook that has expired;
 * - `WEBHOOK_FAILED`: anything else (another errcode, an HTTP error, a body that is not JSON).
 *
 * @example
 * ```ts
 * const code: WebhookErrorCode = 'WEBHOOK_KEYWORD_MISMATCH'
 * ```
 */
export type WebhookErrorCode = ErrorCodeOf<'DingTalkWebhookError'>

/**
 * A robot webhook (custom robot or session webhook) refused a message. The message names the robot setting
 * to fix; it never contains the webhook URL, its access_token or the secret.
 *
 * @example
 * ```ts
 * try {
 *   await sendToWebhook(url, 'deploy done', { secret })
 * } catch (error) {
 *   if (error instanceof DingTalkWebhookError && error.code === 'WEBHOOK_KEYWORD_MISMATCH') console.error(error.message)
 * }
 * ```
 */
export class DingTalkWebhookError extends DingTalkError {
  declare readonly code: WebhookErrorCode
  /** DingTalk's errcode, when it answered one. */
  readonly errcode: number | undefined
  readonly errmsg: string | undefined
  /** The HTTP status of the answer. */
  readonly httpStatus: number | undefined

  constructor(
    code: WebhookErrorCode,
    message: string,
    details: { errcode?: number; errmsg?: string; httpStatus?: number; cause?: unknown } = {},
  ) {
    super(code, message, { cause: details.cause })
    this.name = 'DingTalkWebhookError'
    this.errcode = details.errcode
    this.errmsg = details.errmsg
    this.httpStatus = details.httpStatus
  }
}
