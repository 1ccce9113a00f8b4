/**
 * The base of every error dingtalk-kit throws. `code` is an UPPER_SNAKE string that says what went
 * wrong; subclasses add the details of their category. Messages say what to fix and never contain a
 * secret (secrets, tokens, tickets, AES keys and permanent codes are redacted before they get here).
 *
 * @example
 * ```ts
 * try {
 *   await crypto.decrypt(body.encrypt)
 * } catch (error) {
 *   if (error instanceof DingTalkError) console.error(error.code, error.message)
 * }
 * ```
 */
export class DingTalkError extends Error {
  /** Machine-readable reason, e.g. `CRYPTO_RECEIVE_ID_MISMATCH` or `API_ERROR`. */
  readonly code: string

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'DingTalkError'
    this.code = code
  }
}
