import { DingTalkError } from './base'

/**
 * What went wrong while handling a callback; see {@link DingTalkCallbackError}.
 *
 * @example
 * ```ts
 * callback.onError((e) => { if (e.code === 'CALLBACK_HANDLER_FAILED') alert(e) })
 * ```
 */
export type CallbackErrorCode =
  | 'CALLBACK_REJECTED'
  | 'CALLBACK_HANDLER_FAILED'
  | 'CALLBACK_SUITE_FAILED'
  | 'CALLBACK_STORE_FAILED'
  | 'CALLBACK_BUSY'
  | 'CALLBACK_UNKNOWN_EVENT'
  | 'CALLBACK_SUITE_KEY_MISMATCH'
  | 'CALLBACK_LICENSE_CODE'

/**
 * Reported to `onError` (never thrown at the caller of `handle`/`fetch`). `status` is the HTTP status the
 * callback was answered with (`undefined` when the handler failed after the reply was sent), `eventType`
 * the event concerned. Rejections carry the detail (e.g. a `DingTalkCryptoError`) in `cause`; DingTalk
 * only ever sees the opaque status. Never contains the token, AES key, tickets or codes.
 *
 * @example
 * ```ts
 * createCallbackHandler({
 *   token, aesKey, receiveId: corpId,
 *   onError: (error) => {
 *     if (error.code === 'CALLBACK_REJECTED') console.warn(error.status, error.message, error.cause)
 *     else console.error(error)
 *   },
 * })
 * ```
 */
export class DingTalkCallbackError extends DingTalkError {
  override readonly code: CallbackErrorCode
  readonly status: number | undefined
  readonly eventType: string | undefined
  /** How the event arrived (`callback`, `stream`, …), when known. */
  readonly transport: string | undefined

  constructor(
    code: CallbackErrorCode,
    message: string,
    options: {
      status?: number | undefined
      eventType?: string | undefined
      cause?: unknown
      transport?: string | undefined
    } = {},
  ) {
    super(code, message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'DingTalkCallbackError'
    this.code = code
    this.status = options.status
    this.eventType = options.eventType
    this.transport = options.transport
  }
}
