import type * as NodeCrypto from 'node:crypto'
import {
  fromBase64,
  fromBase64Lenient,
  isCanonicalBase64,
  timingSafeEqualString,
  toBase64,
  utf8,
} from '../encoding'
import { hashes } from '../hash/index'
import { nodeCrypto, nodeIsUtf8, subtle } from '../runtime'
import { DingTalkCryptoError, describeReceiveId, printableId } from './errors'

/** Which implementation does the AES work: `node:crypto`, or Web Crypto for hosts that have only that. */
export type CryptoBackend = 'node' | 'web'

/**
 * Credentials of one callback endpoint (reference §1.1).
 */
export interface CallbackCryptoOptions {
  /** The callback token chosen in the DingTalk console (only used for signatures). */
  token: string
  /** The 43-character EncodingAESKey. */
  aesKey: string
  /**
   * Whom messages are encrypted for: the corpId (registered callbacks), the suiteKey (ISV suites), the
   * appKey (an internal app's event subscription) or `suite4xxxxxxxxxxxxxxx` during suite creation.
   */
  receiveId: string
  /** `auto` (default) picks `node:crypto` where the runtime has it, else Web Crypto. */
  backend?: CryptoBackend | 'auto'
  /** Longest `encrypt` accepted, in characters (default 4 MiB); longer input is rejected before any work. */
  maxEncryptLength?: number
}

/** A decrypted callback message. */
export interface DecryptedMessage {
  /** The plaintext, usually the event's JSON. */
  message: string
  /** The receive-id the message was encrypted for (always one of the expected ones). */
  receiveId: string
  /** The 16-byte random prefix, one character per byte (latin1). */
  random: string
}

/** The four query values DingTalk signs (§1.5, §1.6), as received. */
export interface SignatureParams {
  signature: string | undefined
  timestamp: string | undefined
  nonce: string | undefined
  encrypt: string | undefined
}

/** The JSON body DingTalk expects as the answer to a callback (§1.7). All values are strings. */
export interface CallbackReply {
  msg_signature: string
  timeStamp: string
  nonce: string
  encrypt: string
}

/** Options for producing ciphertext deterministically (tests, vectors) or with chosen reply fields. */
export interface EncryptOptions {
  /** The 16-byte random prefix as 16 latin1 characters; random by default. */
  random?: string
}

/** Options of {@link CallbackCrypto.reply}. */
export interface ReplyOptions extends EncryptOptions {
  /** Defaults to the current time in milliseconds. */
  timeStamp?: string
  /** Defaults to 16 random alphanumeric characters. */
  nonce?: string
}

/**
 * Signs, verifies, encrypts and decrypts DingTalk callbacks for one endpoint. The key is parsed once and
 * the cipher state is reused, so keep one instance per endpoint.
 */
export interface CallbackCrypto {
  /** The implementation in use. */
  readonly backend: CryptoBackend
  /** The receive-id messages are encrypted for. */
  readonly receiveId: string
  /** `msg_signature` over (token, timestamp, nonce, encrypt): SHA-1 of the sorted values, lowercase hex. */
  sign(timestamp: string, nonce: string, encrypt: string): string
  /** `true` when the signature matches, `false` for a mismatch or malformed/missing input. Never throws. */
  verify(params: SignatureParams): boolean
  /** Like {@link verify} but throws a {@link DingTalkCryptoError} saying what is wrong. */
  checkSignature(params: SignatureParams): void
  /**
   * Decrypts `encrypt` and checks its receive-id (exact match with this endpoint's receive-id or one of
   * `receiveIds`). Does not check the signature: use {@link open} for inbound callbacks.
   */
  decrypt(encrypt: string, options?: { receiveIds?: readonly string[] }): Promise<DecryptedMessage>
  /** Verifies the signature, then decrypts. The one call an inbound callback needs. */
  open(params: SignatureParams, options?: { receiveIds?: readonly string[] }): Promise<DecryptedMessage>
  /** Encrypts `message` for this endpoint's receive-id (Base64, no line breaks). */
  encrypt(message: string, options?: EncryptOptions): Promise<string>
  /** The encrypted, signed reply body: `success` by default, or e.g. the `Random` of a suite URL check. */
  reply(message?: string, options?: ReplyOptions): Promise<CallbackReply>
}

const BLOCK = 32
const DEFAULT_MAX_ENCRYPT = 4 * 1024 * 1024
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

interface AesEngine {
  decrypt(ciphertext: Uint8Array): Uint8Array | Promise<Uint8Array>
  encrypt(plaintext: Uint8Array): Uint8Array | Promise<Uint8Array>
}

function parseAesKey(aesKey: unknown): Uint8Array {
  if (typeof aesKey !== 'string' || aesKey.length !== 43) {
    const shown = typeof aesKey === 'string' ? `${aesKey.length} characters` : typeof aesKey
    throw new DingTalkCryptoError(
      'CRYPTO_INVALID_AES_KEY',
      `The EncodingAESKey must be exactly 43 characters of [A-Za-z0-9] as shown in the DingTalk console; got ${shown}.`,
    )
  }
  // §1.2: Base64 of the 32-byte key without its trailing "=", decoded leniently (DingTalk's own keys set
  // the two unused bits of the last character).
  const bytes = /^[A-Za-z0-9+/]{43}$/.test(aesKey) ? fromBase64Lenient(aesKey) : undefined
  if (bytes?.length !== 32) {
    throw new DingTalkCryptoError(
      'CRYPTO_INVALID_AES_KEY',
      'The EncodingAESKey contains characters outside [A-Za-z0-9]: copy it again from the DingTalk console.',
    )
  }
  return bytes
}

function assertText(value: unknown, code: 'CRYPTO_INVALID_PLAINTEXT', what: string): asserts value is string {
  if (typeof value !== 'string') throw new DingTalkCryptoError(code, `${what} must be a string.`)
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

const SIGNATURE_FORMAT = /^[0-9a-f]{40}$/

function nonEmpty(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0
}

/**
 * Creates the callback crypto of one endpoint (reference §1). Throws {@link DingTalkCryptoError}
 * `CRYPTO_INVALID_AES_KEY` / `CRYPTO_INVALID_TOKEN` for unusable credentials.
 *
 * @example
 * ```ts
 * const crypto = createCallbackCrypto({ token, aesKey, receiveId: corpId })
 * const { message } = await crypto.open({ signature, timestamp, nonce, encrypt: body.encrypt })
 * const event = JSON.parse(message)
 * return crypto.reply() // { msg_signature, timeStamp, nonce, encrypt } of "success"
 * ```
 */
export function createCallbackCrypto(options: CallbackCryptoOptions): CallbackCrypto {
  const { token, receiveId } = options
  if (!nonEmpty(token)) {
    throw new DingTalkCryptoError('CRYPTO_INVALID_TOKEN', 'The callback token must be a non-empty string.')
  }
  if (!nonEmpty(receiveId)) {
    throw new DingTalkCryptoError(
      'CRYPTO_RECEIVE_ID_MISMATCH',
      'The receive-id must be a non-empty string: the corpId, suiteKey or appKey the callback is registered for.',
    )
  }
  const key = parseAesKey(options.aesKey)
  const maxEncrypt = options.maxEncryptLength ?? DEFAULT_MAX_ENCRYPT
  const node = options.backend === 'web' ? undefined : nodeCrypto()
  if (options.backend === 'node' && !node) {
    throw new DingTalkCryptoError(
      'CRYPTO_ENCRYPT_FAILED',
      'backend "node" requested but node:crypto is missing.',
    )
  }
  const backend: CryptoBackend = node ? 'node' : 'web'
  const engine = node ? nodeEngine(node, key) : webEngine(key)
  const hash = hashes(node ? 'node' : 'portable')
  const receiveIdBytes = utf8(receiveId)
  const random = node ? nodeRandom(node) : webRandom
  const decodeUtf8 = node ? nodeUtf8() : webUtf8

  const sign = (timestamp: string, nonce: string, encrypt: string): string =>
    hash.sha1Hex(sortedJoin(token, timestamp, nonce, encrypt))

  const checkSignature = (params: SignatureParams): void => {
    if (!params || typeof params !== 'object') {
      throw new DingTalkCryptoError('CRYPTO_MISSING_SIGNATURE', 'No signature parameters were given.')
    }
    const { signature, timestamp, nonce, encrypt } = params
    if (!nonEmpty(signature)) {
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
    if (!SIGNATURE_FORMAT.test(signature)) {
      throw new DingTalkCryptoError(
        'CRYPTO_INVALID_SIGNATURE',
        `The signature must be 40 lowercase hex characters (SHA-1); got ${signature.length} characters.`,
      )
    }
    if (encrypt.length > maxEncrypt) {
      throw new DingTalkCryptoError(
        'CRYPTO_INVALID_CIPHERTEXT',
        `The "encrypt" field is ${encrypt.length} characters, over the limit of ${maxEncrypt}.`,
      )
    }
    if (!timingSafeEqualString(sign(timestamp, nonce, encrypt), signature)) {
      throw new DingTalkCryptoError(
        'CRYPTO_SIGNATURE_MISMATCH',
        'The signature does not match: the callback token differs from the one registered with DingTalk, or the ' +
          'timestamp, nonce or encrypt were changed in transit.',
      )
    }
  }

  const verify = (params: SignatureParams): boolean => {
    try {
      checkSignature(params)
      return true
    } catch {
      return false
    }
  }

  // The node engine is synchronous: keep its path free of extra promise hops (one resolved promise per
  // call); the web engine's promises are chained.
  const decrypt = (encrypt: string, opts?: { receiveIds?: readonly string[] }): Promise<DecryptedMessage> => {
    try {
      const plaintext = engine.decrypt(decodeCiphertext(encrypt, maxEncrypt, node))
      if (plaintext instanceof Uint8Array) {
        return Promise.resolve(
          parsePlaintext(plaintext, receiveId, receiveIdBytes, opts?.receiveIds, decodeUtf8),
        )
      }
      return plaintext.then(
        (bytes) => parsePlaintext(bytes, receiveId, receiveIdBytes, opts?.receiveIds, decodeUtf8),
        (cause: unknown) => {
          throw new DingTalkCryptoError(
            'CRYPTO_INVALID_CIPHERTEXT',
            'The ciphertext could not be decrypted.',
            {
              cause,
            },
          )
        },
      )
    } catch (error) {
      return Promise.reject(error)
    }
  }

  const encrypt = (message: string, opts?: EncryptOptions): Promise<string> => {
    try {
      assertText(message, 'CRYPTO_INVALID_PLAINTEXT', 'The message to encrypt')
      const prefix = opts?.random === undefined ? random(16) : latin1Bytes(opts.random)
      const ciphertext = engine.encrypt(layout(prefix, utf8(message), receiveIdBytes))
      if (ciphertext instanceof Uint8Array) return Promise.resolve((ciphertext as Buffer).toString('base64'))
      return ciphertext.then(toBase64, (cause: unknown) => {
        throw new DingTalkCryptoError('CRYPTO_ENCRYPT_FAILED', 'Encryption failed.', { cause })
      })
    } catch (error) {
      return Promise.reject(error)
    }
  }

  return {
    backend,
    receiveId,
    sign,
    verify,
    checkSignature,
    decrypt,
    open(params, opts) {
      try {
        checkSignature(params)
      } catch (error) {
        return Promise.reject(error)
      }
      return decrypt(params.encrypt as string, opts)
    },
    encrypt,
    reply(message = 'success', opts) {
      const timeStamp = opts?.timeStamp ?? String(Date.now())
      const nonce = opts?.nonce ?? latin1(random(16))
      if (!nonEmpty(timeStamp)) {
        return Promise.reject(new DingTalkCryptoError('CRYPTO_MISSING_TIMESTAMP', 'timeStamp is empty.'))
      }
      if (!nonEmpty(nonce))
        return Promise.reject(new DingTalkCryptoError('CRYPTO_MISSING_NONCE', 'nonce is empty.'))
      return encrypt(message, opts).then((encrypted) => ({
        msg_signature: sign(timeStamp, nonce, encrypted),
        timeStamp,
        nonce,
        encrypt: encrypted,
      }))
    },
  }
}

function decodeCiphertext(encrypt: unknown, max: number, node: typeof NodeCrypto | undefined): Uint8Array {
  if (typeof encrypt !== 'string' || encrypt.length === 0) {
    throw new DingTalkCryptoError(
      'CRYPTO_INVALID_CIPHERTEXT',
      'The "encrypt" field must be a non-empty string.',
    )
  }
  if (encrypt.length > max) {
    throw new DingTalkCryptoError(
      'CRYPTO_INVALID_CIPHERTEXT',
      `The "encrypt" field is ${encrypt.length} characters, over the limit of ${max}.`,
    )
  }
  // Canonical Base64 only (callback-security R3), the same decision on every runtime.
  let bytes: Uint8Array | undefined
  if (node) {
    const decoded = Buffer.from(encrypt, 'base64')
    if (isCanonicalDecoding(encrypt, decoded)) bytes = decoded
  } else if (isCanonicalBase64(encrypt)) {
    bytes = fromBase64(encrypt)
  }
  if (!bytes) {
    throw new DingTalkCryptoError(
      'CRYPTO_INVALID_CIPHERTEXT',
      'The "encrypt" field is not canonical Base64 (standard alphabet, "=" padding, no whitespace): it was ' +
        'changed in transit or does not come from DingTalk.',
    )
  }
  if (bytes.length < BLOCK || bytes.length % 16 !== 0) {
    throw new DingTalkCryptoError(
      'CRYPTO_INVALID_CIPHERTEXT',
      `The ciphertext is ${bytes.length} bytes; DingTalk's AES-256-CBC ciphertext is at least 32 bytes and a multiple of 16.`,
    )
  }
  return bytes
}

/**
 * Whether Node's (lenient) decoding of `text` was the decoding of canonical Base64: Node skips characters
 * outside the alphabet and stops at "=", so any of those leaves fewer bytes than the length promises; it
 * also accepts the URL-safe "-" and "_", checked separately; and the unused bits of the last character
 * must be zero. Property-tested against the portable check.
 */
function isCanonicalDecoding(text: string, decoded: Uint8Array): boolean {
  const length = text.length
  if (length % 4 !== 0) return false
  const pads = text.charCodeAt(length - 1) === 61 ? (text.charCodeAt(length - 2) === 61 ? 2 : 1) : 0
  if (decoded.length !== (length / 4) * 3 - pads) return false
  if (text.indexOf('-') !== -1 || text.indexOf('_') !== -1) return false
  return pads === 0 || isCanonicalBase64(text.slice(length - 4))
}

function parsePlaintext(
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

function layout(prefix: Uint8Array, message: Uint8Array, receiveId: Uint8Array): Uint8Array {
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

function latin1(bytes: Uint8Array): string {
  if (typeof Buffer === 'function' && Buffer.isBuffer(bytes)) return bytes.toString('latin1')
  let out = ''
  for (let i = 0; i < bytes.length; i++) out += String.fromCharCode(bytes[i]!)
  return out
}

function latin1Bytes(text: string): Uint8Array {
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

const fatalDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

function webUtf8(bytes: Uint8Array): string | undefined {
  try {
    return fatalDecoder.decode(bytes)
  } catch {
    return undefined
  }
}

function nodeUtf8(): (bytes: Uint8Array) => string | undefined {
  const isUtf8 = nodeIsUtf8()
  if (!isUtf8) return webUtf8
  return (bytes) => (isUtf8(bytes) ? (bytes as Buffer).toString('utf8') : undefined)
}

function webRandom(n: number): Uint8Array {
  const out = new Uint8Array(n)
  globalThis.crypto.getRandomValues(out)
  for (let i = 0; i < n; i++) out[i] = ALNUM.charCodeAt(out[i]! % 62)
  return out
}

function nodeRandom(node: typeof NodeCrypto): (n: number) => Uint8Array {
  // Pooled random bytes mapped to [A-Za-z0-9] like the official libraries' prefixes (§1.3).
  const POOL = 4096
  const pool = Buffer.allocUnsafe(POOL)
  let offset = POOL
  return (n) => {
    if (offset + n > POOL) {
      node.randomFillSync(pool)
      for (let i = 0; i < POOL; i++) pool[i] = ALNUM.charCodeAt(pool[i]! % 62)
      offset = 0
    }
    const out = pool.subarray(offset, offset + n)
    offset += n
    return out
  }
}

/**
 * AES-256-CBC with IV = key[0..16) and no automatic padding (§1.4), on long-lived cipher contexts: CBC
 * chains each block on the previous ciphertext block, so instead of a new context per message we correct
 * the first block for the chaining value the context carries over from the previous message.
 */
function nodeEngine(node: typeof NodeCrypto, key: Uint8Array): AesEngine {
  const iv = Buffer.from(key.subarray(0, 16))
  const keyBuf = Buffer.from(key)
  const decipher = node.createDecipheriv('aes-256-cbc', keyBuf, iv).setAutoPadding(false)
  const cipher = node.createCipheriv('aes-256-cbc', keyBuf, iv).setAutoPadding(false)
  const decChain = Buffer.from(iv)
  const encChain = Buffer.from(iv)
  return {
    decrypt(ciphertext) {
      const out = decipher.update(ciphertext)
      if (out.length !== ciphertext.length) throw new Error('cipher context out of step')
      const tail = ciphertext.length - 16
      for (let i = 0; i < 16; i++) {
        out[i] = out[i]! ^ decChain[i]! ^ iv[i]!
        decChain[i] = ciphertext[tail + i]!
      }
      return out
    },
    encrypt(plaintext) {
      for (let i = 0; i < 16; i++) plaintext[i] = plaintext[i]! ^ encChain[i]! ^ iv[i]!
      const out = cipher.update(plaintext)
      if (out.length !== plaintext.length) throw new Error('cipher context out of step')
      const tail = out.length - 16
      for (let i = 0; i < 16; i++) encChain[i] = out[tail + i]!
      return out
    },
  }
}

/**
 * Web Crypto's AES-CBC always applies PKCS#7 to 16-byte blocks (§1.3 explains why that matters): to
 * encrypt we pad to 32 ourselves and drop the extra block it appends; to decrypt we append one block that
 * decrypts to a valid 16-byte padding block, so it strips exactly that block and leaves ours for the checks.
 */
function webEngine(key: Uint8Array): AesEngine {
  const iv = key.slice(0, 16)
  let imported: Promise<CryptoKey> | undefined
  const cryptoKey = (): Promise<CryptoKey> => {
    imported ??= subtle().importKey('raw', key.slice(), { name: 'AES-CBC' }, false, ['encrypt', 'decrypt'])
    return imported
  }
  const fullPadBlock = new Uint8Array(16).fill(16)
  return {
    async decrypt(ciphertext) {
      const k = await cryptoKey()
      const last = ciphertext.slice(ciphertext.length - 16)
      const extra = new Uint8Array(await subtle().encrypt({ name: 'AES-CBC', iv: last }, k, fullPadBlock))
      const input = new Uint8Array(ciphertext.length + 16)
      input.set(ciphertext)
      input.set(extra.subarray(0, 16), ciphertext.length)
      return new Uint8Array(await subtle().decrypt({ name: 'AES-CBC', iv }, k, input))
    },
    async encrypt(plaintext) {
      const k = await cryptoKey()
      const out = new Uint8Array(await subtle().encrypt({ name: 'AES-CBC', iv }, k, plaintext.slice()))
      return out.subarray(0, plaintext.length)
    },
  }
}
