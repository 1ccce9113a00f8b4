import { DingTalkError } from './base'

/**
 * Why a callback could not be signed, verified, encrypted or decrypted. Each code maps to DingTalk's
 * official crypto error number (reference §1.9), kept in `dingtalkCode`.
 */
export type CryptoErrorCode =
  | 'CRYPTO_INVALID_PLAINTEXT'
  | 'CRYPTO_MISSING_TIMESTAMP'
  | 'CRYPTO_MISSING_NONCE'
  | 'CRYPTO_INVALID_AES_KEY'
  | 'CRYPTO_INVALID_TOKEN'
  | 'CRYPTO_MISSING_SIGNATURE'
  | 'CRYPTO_INVALID_SIGNATURE'
  | 'CRYPTO_SIGNATURE_MISMATCH'
  | 'CRYPTO_ENCRYPT_FAILED'
  | 'CRYPTO_INVALID_CIPHERTEXT'
  | 'CRYPTO_INVALID_PADDING'
  | 'CRYPTO_INVALID_LENGTH'
  | 'CRYPTO_INVALID_UTF8'
  | 'CRYPTO_RECEIVE_ID_MISMATCH'

/** DingTalk's numbers for the crypto errors (§1.9). */
export const CRYPTO_ERROR_NUMBERS: Readonly<Record<CryptoErrorCode, number>> = {
  CRYPTO_INVALID_PLAINTEXT: 900001,
  CRYPTO_MISSING_TIMESTAMP: 900002,
  CRYPTO_MISSING_NONCE: 900003,
  CRYPTO_INVALID_AES_KEY: 900004,
  CRYPTO_MISSING_SIGNATURE: 900005,
  CRYPTO_INVALID_SIGNATURE: 900005,
  CRYPTO_SIGNATURE_MISMATCH: 900005,
  CRYPTO_INVALID_TOKEN: 900006,
  CRYPTO_ENCRYPT_FAILED: 900007,
  CRYPTO_INVALID_CIPHERTEXT: 900008,
  CRYPTO_INVALID_PADDING: 900008,
  CRYPTO_INVALID_UTF8: 900008,
  CRYPTO_INVALID_LENGTH: 900009,
  CRYPTO_RECEIVE_ID_MISMATCH: 900010,
}

/**
 * A callback crypto failure. `code` says what failed, `dingtalkCode` is DingTalk's official number
 * (900001–900010) and the message says what to fix. Never contains the token, the AES key or plaintext.
 *
 * @example
 * ```ts
 * try {
 *   await crypto.open({ signature, timestamp, nonce, encrypt })
 * } catch (error) {
 *   if (error instanceof DingTalkCryptoError && error.code === 'CRYPTO_RECEIVE_ID_MISMATCH') {
 *     console.error(error.message) // names the receive-id the message was encrypted for
 *   }
 * }
 * ```
 */
export class DingTalkCryptoError extends DingTalkError {
  override readonly code: CryptoErrorCode
  /** DingTalk's official crypto error number, 900001–900010 (§1.9). */
  readonly dingtalkCode: number
  /** For `CRYPTO_RECEIVE_ID_MISMATCH`: the receive-id the message was encrypted for. */
  readonly actualReceiveId?: string

  constructor(
    code: CryptoErrorCode,
    message: string,
    options?: { cause?: unknown; actualReceiveId?: string },
  ) {
    super(code, message, options)
    this.name = 'DingTalkCryptoError'
    this.code = code
    this.dingtalkCode = CRYPTO_ERROR_NUMBERS[code]
    if (options?.actualReceiveId !== undefined) this.actualReceiveId = options.actualReceiveId
  }
}

/** Describes what kind of DingTalk id a receive-id looks like, for error messages (§1.1). */
export function describeReceiveId(id: string): string {
  if (id === 'suite4xxxxxxxxxxxxxxx') {
    return 'the suite-creation placeholder suite4xxxxxxxxxxxxxxx, used only for check_create_suite_url before the suite exists'
  }
  if (/^suite[0-9a-z]+$/i.test(id)) return 'an ISV suiteKey'
  if (/^ding[0-9a-z]+$/i.test(id))
    return 'a corpId (or an internal app appKey, which also starts with "ding")'
  if (/^[\x21-\x7e]{1,64}$/.test(id)) return 'an appKey or customKey'
  return 'not a DingTalk id at all, so the EncodingAESKey is probably wrong'
}

export function printableId(id: string): string {
  const shown = id.length > 64 ? `${id.slice(0, 64)}…` : id
  return JSON.stringify(shown)
}
