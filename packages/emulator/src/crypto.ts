import { createCipheriv, createDecipheriv, createHash, randomInt } from 'node:crypto'

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
const AES_KEY_PATTERN = /^[A-Za-z0-9]{43}$/
const BASE64_PATTERN = /^[A-Za-z0-9+/]+={0,2}$/
// §1.3: PKCS#7 over 32-byte blocks, not AES's 16.
const PAD_BLOCK = 32
const RANDOM_LENGTH = 16
const HEADER_LENGTH = RANDOM_LENGTH + 4

/** What {@link decryptMessage} recovers from an `encrypt` string. */
export interface DecryptedMessage {
  /** The UTF-8 text that was encrypted (an event's JSON, or a reply such as `success`). */
  message: string
  /** The receive-id appended after the message (corpId, suiteKey, appKey…); the caller compares it. */
  receiveId: string
  /** The 16-byte random prefix, one character per byte (latin1), so it can be fed back to `encryptMessage`. */
  random: string
}

/** Input of {@link encryptMessage}. */
export interface EncryptMessageOptions {
  /** The 43-character EncodingAESKey. */
  aesKey: string
  /** The corpId, suiteKey or appKey the message is encrypted for. */
  receiveId: string
  /** The text to encrypt (an event's JSON, or a reply such as `success`). */
  message: string
  /** A fixed 16-character random prefix (one byte per character); random [A-Za-z0-9] when omitted. */
  random?: string
}

/** Input of {@link decryptMessage}. */
export interface DecryptMessageOptions {
  /** The 43-character EncodingAESKey. */
  aesKey: string
  /** The Base64 ciphertext from a body's or reply's `encrypt` field. */
  encrypt: string
}

/** Input of {@link signature}. */
export interface SignatureOptions {
  token: string
  timestamp: string
  nonce: string
  encrypt: string
}

/**
 * Random alphanumeric text, as DingTalk's own random prefixes and nonces are.
 *
 * @example
 * const nonce = randomAlphanumeric(8) // e.g. 'nEXhMP4r'
 */
export function randomAlphanumeric(length: number): string {
  let text = ''
  for (let i = 0; i < length; i++) text += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)]
  return text
}

/**
 * A fresh EncodingAESKey: 43 characters of [A-Za-z0-9], as DingTalk's console generates (§1.1).
 *
 * @example
 * const aesKey = generateAesKey()
 * aesKey.length // 43
 */
export function generateAesKey(): string {
  return randomAlphanumeric(43)
}

function keyAndIv(aesKey: string): { key: Buffer; iv: Buffer } {
  if (typeof aesKey !== 'string' || !AES_KEY_PATTERN.test(aesKey)) {
    throw new Error('aesKey must be exactly 43 characters of [A-Za-z0-9]')
  }
  // §1.2: the key is Base64 without its final '=', decoded leniently (its trailing bits are often non-zero).
  const key = Buffer.from(`${aesKey}=`, 'base64')
  return { key, iv: key.subarray(0, 16) }
}

/**
 * Encrypts a message the way DingTalk does (§1.3, §1.4): a 16-byte random prefix, the big-endian
 * UTF-8 length, the message, the receive-id, PKCS#7 to 32 bytes, AES-256-CBC, Base64 without line breaks.
 *
 * @example
 * const encrypt = encryptMessage({ aesKey, receiveId: 'dingcorp', message: '{"EventType":"check_url"}' })
 */
export function encryptMessage(options: EncryptMessageOptions): string {
  const { key, iv } = keyAndIv(options.aesKey)
  if (typeof options.message !== 'string') throw new Error('message must be a string')
  if (typeof options.receiveId !== 'string') throw new Error('receiveId must be a string')
  const random = options.random ?? randomAlphanumeric(RANDOM_LENGTH)
  // biome-ignore lint/suspicious/noControlCharactersInRegex: latin1 range check
  if (random.length !== RANDOM_LENGTH || !/^[\u0000-\u00ff]*$/.test(random)) {
    throw new Error('random must be 16 characters, one byte each')
  }
  const message = Buffer.from(options.message, 'utf8')
  const length = Buffer.alloc(4)
  length.writeUInt32BE(message.length)
  const body = Buffer.concat([
    Buffer.from(random, 'latin1'),
    length,
    message,
    Buffer.from(options.receiveId, 'utf8'),
  ])
  const padLength = PAD_BLOCK - (body.length % PAD_BLOCK)
  const plain = Buffer.concat([body, Buffer.alloc(padLength, padLength)])
  const cipher = createCipheriv('aes-256-cbc', key, iv)
  cipher.setAutoPadding(false)
  return Buffer.concat([cipher.update(plain), cipher.final()]).toString('base64')
}

/**
 * Decrypts an `encrypt` string (§1.4) and splits it into random prefix, message and receive-id.
 * Throws a plain `Error` naming what is malformed (Base64, block length, padding, length field, UTF-8);
 * it never compares the receive-id, which the caller does.
 *
 * @example
 * const { message, receiveId } = decryptMessage({ aesKey, encrypt: body.encrypt })
 */
export function decryptMessage(options: DecryptMessageOptions): DecryptedMessage {
  const { key, iv } = keyAndIv(options.aesKey)
  const { encrypt } = options
  if (typeof encrypt !== 'string' || encrypt.length === 0)
    throw new Error('encrypt must be a non-empty string')
  if (encrypt.length % 4 !== 0 || !BASE64_PATTERN.test(encrypt))
    throw new Error('encrypt is not valid Base64')
  const cipherText = Buffer.from(encrypt, 'base64')
  if (cipherText.length === 0 || cipherText.length % 16 !== 0) {
    throw new Error(`ciphertext length ${cipherText.length} is not a positive multiple of 16 bytes`)
  }
  const decipher = createDecipheriv('aes-256-cbc', key, iv)
  decipher.setAutoPadding(false)
  const plain = Buffer.concat([decipher.update(cipherText), decipher.final()])
  const pad = plain[plain.length - 1] ?? 0
  if (pad < 1 || pad > PAD_BLOCK || pad > plain.length) throw new Error(`invalid padding byte ${pad}`)
  for (let i = plain.length - pad; i < plain.length; i++) {
    if (plain[i] !== pad) throw new Error('inconsistent padding bytes (wrong key?)')
  }
  const content = plain.subarray(0, plain.length - pad)
  if (content.length < HEADER_LENGTH) throw new Error(`decrypted text is too short (${content.length} bytes)`)
  const messageLength = content.readUInt32BE(RANDOM_LENGTH)
  if (messageLength > content.length - HEADER_LENGTH) {
    throw new Error(
      `length field ${messageLength} exceeds the ${content.length - HEADER_LENGTH} bytes present`,
    )
  }
  const decoder = new TextDecoder('utf-8', { fatal: true })
  const decode = (bytes: Uint8Array, what: string): string => {
    try {
      return decoder.decode(bytes)
    } catch {
      throw new Error(`${what} is not valid UTF-8`)
    }
  }
  return {
    random: content.subarray(0, RANDOM_LENGTH).toString('latin1'),
    message: decode(content.subarray(HEADER_LENGTH, HEADER_LENGTH + messageLength), 'message'),
    receiveId: decode(content.subarray(HEADER_LENGTH + messageLength), 'receive-id'),
  }
}

/**
 * The callback signature of §1.5: SHA-1 over the four values sorted and joined without a separator,
 * as 40 lowercase hex characters. The same function signs pushes and checks replies.
 *
 * @example
 * const msgSignature = signature({ token, timestamp: '1445827045067', nonce: 'nEXhMP4r', encrypt })
 */
export function signature(options: SignatureOptions): string {
  const values = [options.token, options.timestamp, options.nonce, options.encrypt]
  for (const value of values)
    if (typeof value !== 'string') throw new Error('signature inputs must be strings')
  return createHash('sha1').update(values.sort().join(''), 'utf8').digest('hex')
}
