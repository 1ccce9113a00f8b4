import { timingSafeEqualString } from '../encoding'
import { DingTalkCryptoError } from '../errors/crypto'
import type { Hashes } from '../hash/index'
import type { SignatureParams } from './types'

const SIGNATURE_FORMAT = /^[0-9a-f]{40}$/

export function nonEmpty(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0
}

function sortedJoin(a: string, b: string, c: string, d: string): string {
  // §1.5: the four values sorted by UTF-16 code units (all ASCII in practice) and joined without separator.
  let t: string
  if (b < a) {
    t = a
    a = b
    b = t
  }
  if (d < c) {
    t = c
    c = d
    d = t
  }
  if (c < a) {
    t = a
    a = c
    c = t
  }
  if (d < b) {
    t = b
    b = d
    d = t
  }
  if (c < b) {
    t = b
    b = c
    c = t
  }
  return a + b + c + d
}

/** §1.5: lowercase hex SHA-1 of the sorted token, timestamp, nonce and encrypt. */
export function signature(
  hash: Hashes,
  token: string,
  timestamp: string,
  nonce: string,
  encrypt: string,
): string {
  return hash.sha1Hex(sortedJoin(token, timestamp, nonce, encrypt))
}

/**
 * Throws a {@link DingTalkCryptoError} saying what is wrong with a callback's signature parameters: missing
 * values, a signature that is not 40 lowercase hex characters, an `encrypt` over `maxEncrypt` characters
 * (checked before any hashing), or a mismatch (compared in constant time).
 */
export function checkSignature(
  params: SignatureParams,
  hash: Hashes,
  token: string,
  maxEncrypt: number,
): void {
  if (!params || typeof params !== 'object') {
    throw new DingTalkCryptoError('CRYPTO_MISSING_SIGNATURE', 'No signature parameters were given.')
  }
  const { signature: given, timestamp, nonce, encrypt } = params
  if (!nonEmpty(given)) {
    throw new DingTalkCryptoError(
      'CRYPTO_MISSING_SIGNATURE',
      'The callback has no signature: DingTalk sends it as the query parameter "signature" or "msg_signature".',
    )
  }
  if (!nonEmpty(timestamp)) {
    throw new DingTalkCryptoError(
      'CRYPTO_MISSING_TIMESTAMP',
      'The callback has no timestamp: DingTalk sends it as the query parameter "timestamp" or "timeStamp".',
    )
  }
  if (!nonEmpty(nonce)) {
    throw new DingTalkCryptoError('CRYPTO_MISSING_NONCE', 'The callback has no "nonce" query parameter.')
  }
  if (!nonEmpty(encrypt)) {
    throw new DingTalkCryptoError('CRYPTO_INVALID_CIPHERTEXT', 'The callback body has no "encrypt" string.')
  }
  if (!SIGNATURE_FORMAT.test(given)) {
    throw new DingTalkCryptoError(
      'CRYPTO_INVALID_SIGNATURE',
      `The signature must be 40 lowercase hex characters (SHA-1); got ${given.length} characters.`,
    )
  }
  if (encrypt.length > maxEncrypt) {
    throw new DingTalkCryptoError(
      'CRYPTO_INVALID_CIPHERTEXT',
      `The "encrypt" field is ${encrypt.length} characters, over the limit of ${maxEncrypt}.`,
    )
  }
  if (!timingSafeEqualString(signature(hash, token, timestamp, nonce, encrypt), given)) {
    throw new DingTalkCryptoError(
      'CRYPTO_SIGNATURE_MISMATCH',
      'The signature does not match: the callback token differs from the one registered with DingTalk, or the ' +
        'timestamp, nonce or encrypt were changed in transit.',
    )
  }
}

/** {@link checkSignature} as a yes/no that never throws. */
export function verifySignature(
  params: SignatureParams,
  hash: Hashes,
  token: string,
  maxEncrypt: number,
): boolean {
  try {
    checkSignature(params, hash, token, maxEncrypt)
    return true
  } catch {
    return false
  }
}
