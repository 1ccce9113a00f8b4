import { utf8 } from '../encoding'
import { DingTalkCryptoError, describeReceiveId, printableId } from '../errors/crypto'
import type { DecryptedMessage } from './types'

/** §1.3: the plaintext is padded PKCS#7-style to a multiple of 32 bytes (not AES's 16). */
export const BLOCK = 32

/** The §1.3 plaintext of `message` for `receiveId`, padded; `prefix` is the 16 random bytes. */
export function frame(prefix: Uint8Array, message: Uint8Array, receiveId: Uint8Array): Uint8Array {
  if (prefix.length !== 16) {
    throw new DingTalkCryptoError('CRYPTO_INVALID_PLAINTEXT', 'The random prefix must be exactly 16 bytes.')
  }
  const length = 20 + message.length + receiveId.length
  const pad = BLOCK - (length % BLOCK)
  const out = new Uint8Array(length + pad)
  out.set(prefix, 0)
  const n = message.length
  out[16] = n >>> 24
  out[17] = (n >>> 16) & 255
  out[18] = (n >>> 8) & 255
  out[19] = n & 255
  out.set(message, 20)
  out.set(receiveId, 20 + n)
  out.fill(pad, length)
  return out
}

/**
 * Reads a decrypted §1.3 plaintext: checks every padding byte (900008), the length field (900009) and the
 * receive-id (exactly `receiveId` or one of `alternatives`, 900010), then decodes the message as UTF-8.
 */
export function unframe(
  plaintext: Uint8Array,
  receiveId: string,
  receiveIdBytes: Uint8Array,
  alternatives: readonly string[] | undefined,
  decodeUtf8: (bytes: Uint8Array) => string | undefined,
): DecryptedMessage {
  // §1.3: random(16) | length(4, big-endian) | message | receive-id | pad (1..32 bytes, each = pad length)
  const total = plaintext.length
  const pad = plaintext[total - 1]!
  if (pad < 1 || pad > BLOCK) {
    throw new DingTalkCryptoError(
      'CRYPTO_INVALID_PADDING',
      'Decryption produced invalid padding: the EncodingAESKey differs from the one registered with DingTalk ' +
        '(计算解密文字错误, 900008), or the message was corrupted.',
    )
  }
  for (let i = total - pad; i < total - 1; i++) {
    if (plaintext[i] !== pad) {
      throw new DingTalkCryptoError(
        'CRYPTO_INVALID_PADDING',
        'Decryption produced inconsistent padding bytes: the EncodingAESKey is wrong or the message was corrupted.',
      )
    }
  }
  const end = total - pad
  if (end < 20) {
    throw new DingTalkCryptoError(
      'CRYPTO_INVALID_LENGTH',
      'The decrypted message is shorter than its 20-byte header.',
    )
  }
  const length =
    ((plaintext[16]! << 24) | (plaintext[17]! << 16) | (plaintext[18]! << 8) | plaintext[19]!) >>> 0
  if (length > end - 20) {
    throw new DingTalkCryptoError(
      'CRYPTO_INVALID_LENGTH',
      `The decrypted length field (${length}) is larger than the message (${end - 20} bytes): wrong EncodingAESKey ` +
        'or a corrupted message (900009).',
    )
  }
  const idStart = 20 + length
  let matched: string | undefined
  if (bytesEqual(plaintext, idStart, end, receiveIdBytes)) {
    matched = receiveId
  } else if (alternatives) {
    for (const candidate of alternatives) {
      if (bytesEqual(plaintext, idStart, end, utf8(candidate))) {
        matched = candidate
        break
      }
    }
  }
  if (matched === undefined) {
    const actual = decodeUtf8(plaintext.subarray(idStart, end)) ?? '(not UTF-8)'
    const expected = [receiveId, ...(alternatives ?? [])].map(printableId).join(' or ')
    throw new DingTalkCryptoError(
      'CRYPTO_RECEIVE_ID_MISMATCH',
      `This callback was encrypted for receive-id ${printableId(actual)}, which looks like ${describeReceiveId(actual)}; ` +
        `this endpoint expects ${expected} (${describeReceiveId(receiveId)}). Configure the receive-id of the ` +
        'callback you registered: the corpId for call_back/register_call_back, the suiteKey for an ISV suite, the ' +
        'appKey for an app event subscription, suite4xxxxxxxxxxxxxxx while creating a suite (900010).',
      { actualReceiveId: actual },
    )
  }
  const message = decodeUtf8(plaintext.subarray(20, idStart))
  if (message === undefined) {
    throw new DingTalkCryptoError('CRYPTO_INVALID_UTF8', 'The decrypted message is not valid UTF-8.')
  }
  return { message, receiveId: matched, random: latin1(plaintext.subarray(0, 16)) }
}

function bytesEqual(buf: Uint8Array, start: number, end: number, expected: Uint8Array): boolean {
  if (end - start !== expected.length) return false
  for (let i = 0; i < expected.length; i++) if (buf[start + i] !== expected[i]) return false
  return true
}

export function latin1(bytes: Uint8Array): string {
  if (typeof Buffer === 'function' && Buffer.isBuffer(bytes)) return bytes.toString('latin1')
  let out = ''
  for (let i = 0; i < bytes.length; i++) out += String.fromCharCode(bytes[i]!)
  return out
}

export function latin1Bytes(text: string): Uint8Array {
  let wide = false
  if (typeof text === 'string') for (let i = 0; i < text.length; i++) wide ||= text.charCodeAt(i) > 255
  if (typeof text !== 'string' || text.length !== 16 || wide) {
    throw new DingTalkCryptoError(
      'CRYPTO_INVALID_PLAINTEXT',
      'The random prefix must be 16 latin1 characters.',
    )
  }
  const out = new Uint8Array(16)
  for (let i = 0; i < 16; i++) out[i] = text.charCodeAt(i)
  return out
}
