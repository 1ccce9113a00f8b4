import { fromBase64Lenient, utf8 } from '../encoding'
import { DingTalkCryptoError } from '../errors/crypto'
import { hashes } from '../hash/index'
import { nodeCrypto } from '../runtime'
import type { CryptoEngine } from './engine'
import { BLOCK, frame, latin1, latin1Bytes, unframe } from './framing'
import { nodeEngine } from './node-engine'
import { checkSignature, nonEmpty, signature, verifySignature } from './signature'
import type { CryptoBackend, DecryptedMessage, SignatureParams } from './types'
import { webEngine } from './web-engine'

export type { CryptoBackend, DecryptedMessage, SignatureParams } from './types'

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

/** The default longest `encrypt` accepted, in characters. */
export const DEFAULT_MAX_ENCRYPT: number = 4 * 1024 * 1024

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

function decodeCiphertext(encrypt: unknown, max: number, engine: CryptoEngine): Uint8Array {
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
  const bytes = engine.decodeBase64(encrypt)
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

function chooseEngine(backend: CallbackCryptoOptions['backend'], key: Uint8Array): CryptoEngine {
  const node = backend === 'web' ? undefined : nodeCrypto()
  if (backend === 'node' && !node) {
    throw new DingTalkCryptoError(
      'CRYPTO_ENCRYPT_FAILED',
      'backend "node" requested but node:crypto is missing.',
    )
  }
  return node ? nodeEngine(node, key) : webEngine(key)
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
  const engine = chooseEngine(options.backend, key)
  const hash = hashes(engine.backend === 'node' ? 'node' : 'portable')
  const receiveIdBytes = utf8(receiveId)

  const sign = (timestamp: string, nonce: string, encrypt: string): string =>
    signature(hash, token, timestamp, nonce, encrypt)
  const check = (params: SignatureParams): void => checkSignature(params, hash, token, maxEncrypt)

  // The node engine is synchronous: keep its path free of extra promise hops (one resolved promise per
  // call); the web engine's promises are chained.
  const decrypt = (encrypt: string, opts?: { receiveIds?: readonly string[] }): Promise<DecryptedMessage> => {
    try {
      const plaintext = engine.decrypt(decodeCiphertext(encrypt, maxEncrypt, engine))
      if (plaintext instanceof Uint8Array) {
        return Promise.resolve(
          unframe(plaintext, receiveId, receiveIdBytes, opts?.receiveIds, engine.decodeUtf8),
        )
      }
      const read = (bytes: Uint8Array): DecryptedMessage =>
        unframe(bytes, receiveId, receiveIdBytes, opts?.receiveIds, engine.decodeUtf8)
      return plaintext.then(read, (cause: unknown) => {
        throw new DingTalkCryptoError('CRYPTO_INVALID_CIPHERTEXT', 'The ciphertext could not be decrypted.', {
          cause,
        })
      })
    } catch (error) {
      return Promise.reject(error)
    }
  }

  const encrypt = (message: string, opts?: EncryptOptions): Promise<string> => {
    try {
      assertText(message, 'CRYPTO_INVALID_PLAINTEXT', 'The message to encrypt')
      const prefix = opts?.random === undefined ? engine.random(16) : latin1Bytes(opts.random)
      const ciphertext = engine.encrypt(frame(prefix, utf8(message), receiveIdBytes))
      if (ciphertext instanceof Uint8Array) return Promise.resolve(engine.encodeBase64(ciphertext))
      return ciphertext.then(engine.encodeBase64, (cause: unknown) => {
        throw new DingTalkCryptoError('CRYPTO_ENCRYPT_FAILED', 'Encryption failed.', { cause })
      })
    } catch (error) {
      return Promise.reject(error)
    }
  }

  return {
    backend: engine.backend,
    receiveId,
    sign,
    verify: (params) => verifySignature(params, hash, token, maxEncrypt),
    checkSignature: check,
    decrypt,
    open(params, opts) {
      try {
        check(params)
      } catch (error) {
        return Promise.reject(error)
      }
      return decrypt(params.encrypt as string, opts)
    },
    encrypt,
    reply(message = 'success', opts) {
      const timeStamp = opts?.timeStamp ?? String(Date.now())
      const nonce = opts?.nonce ?? latin1(engine.random(16))
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
