import { DingTalkCryptoError } from '../errors/crypto'
import { hashes } from '../hash/index'
import {
  type CallbackReply,
  type CryptoBackend,
  createCallbackCrypto,
  DEFAULT_MAX_ENCRYPT,
  type DecryptedMessage,
  type ReplyOptions,
} from './callback-crypto'
import { nonEmpty, signature, verifySignature } from './signature'

export {
  CRYPTO_ERROR_NUMBERS,
  type CryptoErrorCode,
  DingTalkCryptoError,
  describeReceiveId,
} from '../errors/crypto'
export {
  type CallbackCrypto,
  type CallbackCryptoOptions,
  type CallbackReply,
  type CryptoBackend,
  createCallbackCrypto,
  type DecryptedMessage,
  type EncryptOptions,
  type ReplyOptions,
  type SignatureParams,
} from './callback-crypto'

// One-shot helpers. Those that encrypt or decrypt build the endpoint's crypto for a single operation: hot
// paths should keep a `createCallbackCrypto()` instance, which parses the key once and reuses cipher contexts.

/**
 * The callback signature (§1.5): SHA-1 over the sorted token, timestamp, nonce and encrypt, lowercase hex.
 * Throws `CRYPTO_INVALID_TOKEN` for an empty token.
 *
 * @example
 * ```ts
 * sign({ token: '123456', timestamp: '1445827045067', nonce: 'nEXhMP4r', encrypt })
 * // → '5a65ceeef9aab2d149439f82dc191dd6c5cbe2c0'
 * ```
 */
export function sign(params: { token: string; timestamp: string; nonce: string; encrypt: string }): string {
  if (!nonEmpty(params.token)) {
    throw new DingTalkCryptoError('CRYPTO_INVALID_TOKEN', 'The callback token must be a non-empty string.')
  }
  return signature(hashes(), params.token, params.timestamp, params.nonce, params.encrypt)
}

/**
 * Checks a callback signature in constant time. `false` for a mismatch and for missing or malformed
 * values (a signature must be 40 lowercase hex characters); never throws.
 *
 * @example
 * ```ts
 * if (!verify({ token, signature: query.signature, timestamp: query.timestamp, nonce: query.nonce, encrypt: body.encrypt })) {
 *   return new Response('invalid signature', { status: 401 })
 * }
 * ```
 */
export function verify(params: {
  token: string
  signature: string | undefined
  timestamp: string | undefined
  nonce: string | undefined
  encrypt: string | undefined
}): boolean {
  return nonEmpty(params?.token) && verifySignature(params, hashes(), params.token, DEFAULT_MAX_ENCRYPT)
}

/**
 * Encrypts a message for a receive-id (§1.3–§1.4): Base64 without line breaks.
 *
 * @example
 * ```ts
 * const encrypted = await encrypt({ aesKey, receiveId: corpId, message: 'success' })
 * ```
 */
export function encrypt(params: {
  aesKey: string
  receiveId: string
  message: string
  random?: string
  backend?: CryptoBackend
}): Promise<string> {
  const c = createCallbackCrypto({
    token: '-',
    aesKey: params.aesKey,
    receiveId: params.receiveId,
    ...backendOf(params),
  })
  return c.encrypt(params.message, params.random === undefined ? undefined : { random: params.random })
}

/**
 * Decrypts `encrypt` and checks that it was encrypted for `receiveId` (exact match). Does not verify the
 * signature: inbound callbacks should use `createCallbackCrypto(...).open()` or the callback handler.
 *
 * @example
 * ```ts
 * const { message } = await decrypt({ aesKey, receiveId: corpId, encrypt: body.encrypt })
 * ```
 */
export function decrypt(params: {
  aesKey: string
  receiveId: string
  encrypt: string
  backend?: CryptoBackend
}): Promise<DecryptedMessage> {
  const c = createCallbackCrypto({
    token: '-',
    aesKey: params.aesKey,
    receiveId: params.receiveId,
    ...backendOf(params),
  })
  return c.decrypt(params.encrypt)
}

/**
 * Builds the reply body DingTalk expects (§1.7): `{ msg_signature, timeStamp, nonce, encrypt }`, all
 * strings, encrypting `success` unless another message is given.
 *
 * @example
 * ```ts
 * return Response.json(await buildReply({ token, aesKey, receiveId: corpId }))
 * ```
 */
export function buildReply(
  params: {
    token: string
    aesKey: string
    receiveId: string
    message?: string
    backend?: CryptoBackend
  } & ReplyOptions,
): Promise<CallbackReply> {
  const { token, aesKey, receiveId, message, backend, ...options } = params
  return createCallbackCrypto({ token, aesKey, receiveId, ...(backend ? { backend } : {}) }).reply(
    message,
    options,
  )
}

function backendOf(params: { backend?: CryptoBackend }): { backend?: CryptoBackend } {
  return params.backend ? { backend: params.backend } : {}
}
