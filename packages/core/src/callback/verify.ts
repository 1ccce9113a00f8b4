import type { CallbackCrypto } from '../crypto/callback-crypto'
import { timingSafeEqualString } from '../encoding'
import { isRawBody, readBodyText, topLevelKeys } from './body'
import {
  type CallbackRequest,
  getHeader,
  isJsonContentType,
  isRejection,
  type Rejection,
  signedQuery,
} from './request'

/**
 * Limits and formats {@link verifyCallbackRequest} checks.
 *
 * @example
 * ```ts
 * const limits: CallbackLimits = { maxBodyBytes: 1024 * 1024, nonceFormat: /^[A-Za-z0-9]{1,64}$/, windowMs: false, now: Date.now }
 * ```
 */
export interface CallbackLimits {
  /** Largest body, counted while reading (413 over it). */
  maxBodyBytes: number
  /** Accepted nonce format (§1.6). */
  nonceFormat: RegExp
  /** Reject timestamps further than this from now (`false`: no window; callback-security R4). */
  windowMs: number | false
  now: () => number
}

/**
 * A request that passed every check: its signed query and the verified ciphertext.
 *
 * @example
 * ```ts
 * const { encrypt, query } = verified
 * const { message } = await crypto.decrypt(encrypt)
 * ```
 */
export interface VerifiedCallback {
  encrypt: string
  query: { signature: string; timestamp: string; nonce: string }
}

/**
 * Why a callback request was refused: the HTTP status, a reason for the logs and, for signature failures,
 * the crypto's detailed error (only computed when `explain` is set: it costs an exception).
 *
 * @example
 * ```ts
 * const rejection: CallbackRejection = { status: 401, reason: 'verification failed' }
 * ```
 */
export interface CallbackRejection extends Rejection {
  cause?: unknown
}

const SIGNATURE_FORMAT = /^[0-9a-f]{40}$/
const ANY_EPOCH = /^\d{10,13}$/
const EPOCH_MS = /^\d{13}$/

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/**
 * The checks of an encrypted DingTalk callback request, as a plain function of its inputs (§1.5–§1.6,
 * callback-security R6): method, content type, the signed query (no repeated or conflicting parameters,
 * timestamp and nonce formats), the body (size limit while reading, JSON object, no repeated keys, one
 * `encrypt` string), the signature in constant time and the optional timestamp window. Decryption and the
 * receive-id check follow in the handler.
 *
 * @example
 * ```ts
 * const checked = await verifyCallbackRequest(request, crypto, limits)
 * if ('status' in checked) return new Response(null, { status: checked.status })
 * const { message } = await crypto.decrypt(checked.encrypt)
 * ```
 */
export async function verifyCallbackRequest(
  request: CallbackRequest,
  crypto: Pick<CallbackCrypto, 'sign' | 'checkSignature'>,
  limits: CallbackLimits,
  explain = false,
): Promise<VerifiedCallback | CallbackRejection> {
  if (typeof request?.method !== 'string' || request.method.toUpperCase() !== 'POST') {
    return { status: 405, reason: `method ${String(request?.method)} is not POST` }
  }
  const contentType = getHeader(request.headers, 'content-type')
  if (isRejection(contentType)) return contentType
  const raw = isRawBody(request.body)
  if (contentType === undefined ? raw : !isJsonContentType(contentType)) {
    return { status: 415, reason: 'the body is not application/json' }
  }
  const query = signedQuery(request)
  if (isRejection(query)) return query
  const { signature, timestamp, nonce } = query
  if (timestamp === undefined || nonce === undefined)
    return { status: 400, reason: 'timestamp or nonce is missing' }
  // §1.6 / R4: DingTalk sends ms; any plausible epoch is 10–13 digits. With a window, exactly 13.
  if (!(limits.windowMs === false ? ANY_EPOCH : EPOCH_MS).test(timestamp)) {
    return { status: 400, reason: 'the timestamp is malformed' }
  }
  if (!limits.nonceFormat.test(nonce)) return { status: 400, reason: 'the nonce is malformed' }
  const read = raw ? await readJsonBody(request, limits.maxBodyBytes) : { body: request.body }
  if (isRejection(read)) return read
  const { body } = read
  if (!isObject(body)) return { status: 400, reason: 'the body is not a JSON object' }
  const encrypt = body.encrypt
  if (typeof encrypt !== 'string' || encrypt.length === 0) {
    return { status: 400, reason: 'the body has no "encrypt" string' }
  }
  if (encrypt.length > limits.maxBodyBytes) {
    return { status: 413, reason: `"encrypt" is over ${limits.maxBodyBytes} characters` }
  }
  if (
    signature === undefined ||
    !SIGNATURE_FORMAT.test(signature) ||
    !timingSafeEqualString(crypto.sign(timestamp, nonce, encrypt), signature)
  ) {
    return {
      status: 401,
      reason: 'verification failed',
      cause: explain ? whySignatureFailed(crypto, { signature, timestamp, nonce, encrypt }) : undefined,
    }
  }
  if (limits.windowMs !== false && Math.abs(limits.now() - Number(timestamp)) > limits.windowMs) {
    return { status: 401, reason: 'verification failed (timestamp outside the window)' }
  }
  return { encrypt, query: { signature, timestamp, nonce } }
}

function whySignatureFailed(
  crypto: Pick<CallbackCrypto, 'checkSignature'>,
  params: { signature: string | undefined; timestamp: string; nonce: string; encrypt: string },
): unknown {
  try {
    crypto.checkSignature(params)
    return undefined
  } catch (error) {
    return error
  }
}

async function readJsonBody(
  request: CallbackRequest,
  maxBody: number,
): Promise<{ body: unknown } | Rejection> {
  const length = getHeader(request.headers, 'content-length')
  if (isRejection(length)) return length
  const encoding = getHeader(request.headers, 'transfer-encoding')
  if (isRejection(encoding)) return encoding
  if (length !== undefined && encoding !== undefined) {
    return { status: 400, reason: 'both Content-Length and Transfer-Encoding are set' }
  }
  if (length !== undefined && !/^\d{1,15}$/.test(length))
    return { status: 400, reason: 'Content-Length is malformed' }
  const declared = length === undefined ? undefined : Number(length)
  if (declared !== undefined && declared > maxBody) {
    cancel(request.body)
    return { status: 413, reason: `Content-Length is over ${maxBody} bytes` }
  }
  const text = await readBodyText(request.body, { limit: maxBody, declared })
  if (isRejection(text)) return text
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    return { status: 400, reason: 'the body is not JSON' }
  }
  if (isObject(body)) {
    const keys = topLevelKeys(text)
    if (new Set(keys).size !== keys.length) return { status: 400, reason: 'the body repeats a key' }
  }
  return { body }
}

function cancel(body: unknown): void {
  const stream = body as ReadableStream | undefined
  if (typeof stream?.cancel === 'function' && typeof stream.getReader === 'function') {
    stream.cancel().catch(() => {})
  }
}
