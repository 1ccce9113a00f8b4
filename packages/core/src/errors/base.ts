import type { DingTalkErrorCode } from './codes'

/**
 * The base of every error dingtalk-kit throws. `code` is an UPPER_SNAKE string that says what went
 * wrong; subclasses add the details of their category. Messages say what to fix and never contain a
 * secret (secrets, tokens, tickets, AES keys and permanent codes are redacted before they get here).
 * The catalogue of codes, each with its class: `DINGTALK_ERROR_CODES` (from `@dingtalk-kit/core`).
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
  /**
   * Machine-readable reason, e.g. `CRYPTO_RECEIVE_ID_MISMATCH` or `API_ERROR`; every code and the class
   * that carries it are listed in `DINGTALK_ERROR_CODES` (from `@dingtalk-kit/core`).
   */
  readonly code: DingTalkErrorCode

  constructor(code: DingTalkErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'DingTalkError'
    this.code = code
  }
}
