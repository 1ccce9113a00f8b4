import type { CryptoBackend } from './types'

/**
 * What differs between `node:crypto` and Web Crypto: the AES-256-CBC work without automatic padding (§1.4),
 * Base64, UTF-8 validation and the random prefix. A synchronous engine returns bytes, not promises, so its
 * callers add no promise hops.
 */
export interface CryptoEngine {
  readonly backend: CryptoBackend
  decrypt(ciphertext: Uint8Array): Uint8Array | Promise<Uint8Array>
  encrypt(plaintext: Uint8Array): Uint8Array | Promise<Uint8Array>
  /** Canonical Base64 only (standard alphabet, `=` padding, no whitespace, zero unused bits); else `undefined`. */
  decodeBase64(text: string): Uint8Array | undefined
  encodeBase64(bytes: Uint8Array): string
  /** The text of `bytes`, or `undefined` when they are not valid UTF-8. */
  decodeUtf8(bytes: Uint8Array): string | undefined
  /** `n` random bytes from `[A-Za-z0-9]`, like the official libraries' prefixes (§1.3). */
  random(n: number): Uint8Array
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/** Maps random bytes onto `[A-Za-z0-9]` in place. */
export function toAlphanumeric(bytes: Uint8Array): Uint8Array {
  for (let i = 0; i < bytes.length; i++) bytes[i] = ALNUM.charCodeAt(bytes[i]! % 62)
  return bytes
}
