import { timingSafeEqual } from 'node:crypto'
import {
  type DecryptedMessage,
  decryptMessage,
  encryptMessage,
  randomAlphanumeric,
  signature,
} from './crypto'

/** How the signed query is spelled (§1.6). */
export type QueryStyle = 'legacy' | 'new'

/** Options of {@link pushEvent}. */
export interface PushEventOptions {
  /** The app's callback URL; an existing query string is kept. */
  url: string
  /** The callback token (only used inside the signature). */
  token: string
  /** The 43-character EncodingAESKey. */
  aesKey: string
  /** corpId, suiteKey or appKey: what the event is encrypted for and what the reply must carry. */
  receiveId: string
  /** The decrypted event; JSON-encoded when an object. */
  event: Record<string, unknown> | string
  /**
   * The text the reply must decrypt to. Default: the event's `Random` for `check_create_suite_url` and
   * `check_update_suite_url` (§2.3), otherwise `success`.
   */
  expectedReply?: string
  /** `legacy`: `signature&timestamp&nonce` (default); `new`: `msg_signature&timeStamp&nonce`. */
  queryStyle?: QueryStyle
  /** Re-pushes after the first attempt (default 0; DingTalk: up to 100). */
  retries?: number
  /** Delay before the first re-push, doubled for each further one (default 10 ms). */
  backoffMs?: number
  /** Upper bound of the re-push delay (default 30 000 ms). */
  maxBackoffMs?: number
  /** Reply deadline per attempt, including reading the body (default 1500 ms, as DingTalk). */
  timeoutMs?: number
  /** The `fetch` to use (default: the global one). */
  fetch?: typeof fetch
  /** Stops pushing: an attempt in flight is cancelled and no further one starts. */
  signal?: AbortSignal
}

/** One delivery attempt of {@link pushEvent}. */
export interface PushAttempt {
  /** The reply was HTTP 200 with the correctly signed and encrypted expected text. */
  ok: boolean
  /** The HTTP status, when a response arrived. */
  status?: number
  /** Why the attempt failed, in words (never contains the token or key). */
  reason?: string
  /** The decrypted reply text, when the reply could be decrypted. */
  reply?: string
  durationMs: number
}

/** The outcome of {@link pushEvent}. */
export interface PushResult {
  /** One attempt succeeded (it is the last one). */
  ok: boolean
  attempts: PushAttempt[]
  /** The caller's signal stopped the push before it succeeded or ran out of re-pushes. */
  aborted?: boolean
}

/** Options of {@link buildPush}. */
export interface BuildPushOptions {
  url: string
  token: string
  aesKey: string
  receiveId: string
  event: Record<string, unknown> | string
  queryStyle?: QueryStyle
  /** Default: the current time in milliseconds, as DingTalk sends it (§1.6). */
  timestamp?: string
  /** Default: 8 random alphanumeric characters. */
  nonce?: string
  /** A fixed 16-character random prefix for reproducible ciphertext. */
  random?: string
}

/** A signed push request, ready to be POSTed as JSON. */
export interface BuiltPush {
  /** `options.url` with the signed query appended. */
  url: string
  /** The signed query parameters, with their wire names. */
  query: Record<string, string>
  /** The JSON body text: `{"encrypt":"…"}`. */
  body: string
  /** The `encrypt` value of the body. */
  encrypt: string
  /** The plaintext that was encrypted. */
  plaintext: string
}

/** Input of {@link checkReply}. */
export interface CheckReplyOptions {
  /** The HTTP status of the reply. */
  status: number
  /** The reply body text. */
  body: string
  token: string
  aesKey: string
  /** The receive-id the reply must be encrypted for. */
  receiveId: string
  /** The text the reply must decrypt to (default `success`). */
  expectedReply?: string
}

/** The verdict of {@link checkReply}. */
export type ReplyCheck = { ok: true; reply: string } | { ok: false; reason: string; reply?: string }

const REPLY_LIMIT_BYTES = 64 * 1024
const SUITE_URL_CHECKS = new Set(['check_create_suite_url', 'check_update_suite_url'])

function requireString(value: unknown, name: string, allowEmpty = false): void {
  if (typeof value !== 'string' || (!allowEmpty && value.length === 0)) {
    throw new TypeError(`${name} must be a${allowEmpty ? '' : ' non-empty'} string`)
  }
}

function requireCount(value: number | undefined, name: string, positive = false): void {
  if (value === undefined) return
  if (!Number.isFinite(value) || value < 0 || (positive && value === 0)) {
    throw new TypeError(`${name} must be a ${positive ? 'positive' : 'non-negative'} number`)
  }
}

function parseUrl(url: string): URL {
  requireString(url, 'url')
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new TypeError('url must be an absolute http(s) URL')
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new TypeError('url must be an absolute http(s) URL')
  }
  return parsed
}

function eventText(event: Record<string, unknown> | string): string {
  if (typeof event === 'string') return event
  if (event === null || typeof event !== 'object') throw new TypeError('event must be an object or a string')
  return JSON.stringify(event)
}

function quote(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text)
}

/**
 * The reply text DingTalk expects for an event: the `Random` value for the suite URL checks (§2.3),
 * `success` for everything else (§1.7).
 *
 * @example
 * expectedReplyFor({ EventType: 'check_create_suite_url', Random: 'LPIdSnlF' }) // 'LPIdSnlF'
 */
export function expectedReplyFor(event: Record<string, unknown> | string): string {
  let parsed: unknown = event
  if (typeof event === 'string') {
    try {
      parsed = JSON.parse(event)
    } catch {
      return 'success'
    }
  }
  if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
    const { EventType, Random } = parsed as Record<string, unknown>
    if (typeof EventType === 'string' && SUITE_URL_CHECKS.has(EventType) && typeof Random === 'string') {
      return Random
    }
  }
  return 'success'
}

/**
 * Encrypts and signs one push without sending it (§1.3–§1.6): a millisecond timestamp, an 8-character
 * nonce, the signature over token/timestamp/nonce/encrypt, and the body `{"encrypt":"…"}`.
 *
 * @example
 * const push = buildPush({ url, token, aesKey, receiveId: 'dingcorp', event: { EventType: 'check_url' } })
 * await fetch(push.url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: push.body })
 */
export function buildPush(options: BuildPushOptions): BuiltPush {
  const target = parseUrl(options.url)
  requireString(options.token, 'token')
  requireString(options.receiveId, 'receiveId', true)
  const plaintext = eventText(options.event)
  const timestamp = options.timestamp ?? String(Date.now())
  const nonce = options.nonce ?? randomAlphanumeric(8)
  const encrypt = encryptMessage({
    aesKey: options.aesKey,
    receiveId: options.receiveId,
    message: plaintext,
    ...(options.random === undefined ? {} : { random: options.random }),
  })
  const sig = signature({ token: options.token, timestamp, nonce, encrypt })
  const query: Record<string, string> =
    options.queryStyle === 'new'
      ? { msg_signature: sig, timeStamp: timestamp, nonce }
      : { signature: sig, timestamp, nonce }
  for (const [name, value] of Object.entries(query)) target.searchParams.set(name, value)
  return { url: target.toString(), query, body: JSON.stringify({ encrypt }), encrypt, plaintext }
}

function equalText(a: string, b: string): boolean {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}

/**
 * Checks an app's reply as DingTalk does (§1.7): HTTP 200; a JSON object with the string fields
 * `msg_signature`, `timeStamp`, `nonce`, `encrypt`; a valid signature over (token, timeStamp, nonce,
 * encrypt); decryptable with the same key; encrypted for the expected receive-id; and decrypting to the
 * expected text. The first failure is returned as a human-readable reason.
 *
 * @example
 * const verdict = checkReply({ status: 200, body, token, aesKey, receiveId: 'dingcorp' })
 * if (!verdict.ok) console.log(verdict.reason)
 */
export function checkReply(options: CheckReplyOptions): ReplyCheck {
  const expected = options.expectedReply ?? 'success'
  if (options.status !== 200) return { ok: false, reason: `HTTP ${options.status}` }
  let parsed: unknown
  try {
    parsed = JSON.parse(options.body)
  } catch {
    return { ok: false, reason: 'reply is not JSON' }
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { ok: false, reason: 'reply is not a JSON object' }
  }
  const fields = parsed as Record<string, unknown>
  const wire: string[] = []
  for (const name of ['msg_signature', 'timeStamp', 'nonce', 'encrypt']) {
    const value = fields[name]
    if (!(name in fields)) return { ok: false, reason: `reply has no "${name}" field` }
    if (typeof value !== 'string') return { ok: false, reason: `reply field "${name}" is not a string` }
    wire.push(value)
  }
  const [msgSignature = '', timeStamp = '', nonce = '', encrypt = ''] = wire
  const expectedSignature = signature({ token: options.token, timestamp: timeStamp, nonce, encrypt })
  if (!equalText(msgSignature, expectedSignature))
    return { ok: false, reason: 'reply signature does not match' }
  let decrypted: DecryptedMessage
  try {
    decrypted = decryptMessage({ aesKey: options.aesKey, encrypt })
  } catch (error) {
    return { ok: false, reason: `reply cannot be decrypted: ${(error as Error).message}` }
  }
  const reply = decrypted.message
  if (decrypted.receiveId !== options.receiveId) {
    return {
      ok: false,
      reply,
      reason: `reply was encrypted for receive-id ${quote(decrypted.receiveId)}, expected ${quote(options.receiveId)}`,
    }
  }
  if (reply !== expected) {
    return { ok: false, reply, reason: `reply decrypts to ${quote(reply)}, expected ${quote(expected)}` }
  }
  return { ok: true, reply }
}

async function readLimited(response: Response): Promise<string> {
  if (!response.body) return ''
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > REPLY_LIMIT_BYTES) {
      await reader.cancel().catch(() => {})
      throw new ReplyTooLarge()
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks).toString('utf8')
}

class ReplyTooLarge extends Error {}

function failureReason(error: unknown): string {
  if (error instanceof ReplyTooLarge) return `reply is larger than ${REPLY_LIMIT_BYTES} bytes`
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause
  const code = typeof cause?.code === 'string' ? cause.code : undefined
  const detail = code ?? (typeof cause?.message === 'string' ? cause.message : (error as Error)?.message)
  return detail ? `connection failed (${detail})` : 'connection failed'
}

function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve()
    const done = (): void => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal?.addEventListener('abort', done, { once: true })
  })
}

interface AttemptContext {
  options: PushEventOptions
  expectedReply: string
  timeoutMs: number
  fetch: typeof fetch
}

async function attempt(context: AttemptContext): Promise<PushAttempt> {
  const { options } = context
  const push = buildPush(options)
  const controller = new AbortController()
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    controller.abort()
  }, context.timeoutMs)
  const onAbort = (): void => controller.abort()
  options.signal?.addEventListener('abort', onAbort, { once: true })
  const started = performance.now()
  const elapsed = (): number => Math.round(performance.now() - started)
  let status: number | undefined
  try {
    const response = await context.fetch(push.url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: push.body,
      redirect: 'manual',
      signal: controller.signal,
    })
    status = response.status
    const body = await readLimited(response)
    const verdict = checkReply({
      status: response.status,
      body,
      token: options.token,
      aesKey: options.aesKey,
      receiveId: options.receiveId,
      expectedReply: context.expectedReply,
    })
    return {
      ok: verdict.ok,
      status,
      ...(verdict.ok ? {} : { reason: verdict.reason }),
      ...(verdict.reply === undefined ? {} : { reply: verdict.reply }),
      durationMs: elapsed(),
    }
  } catch (error) {
    const reason = timedOut
      ? `timed out after ${context.timeoutMs} ms`
      : options.signal?.aborted
        ? 'aborted by the caller'
        : failureReason(error)
    return { ok: false, ...(status === undefined ? {} : { status }), reason, durationMs: elapsed() }
  } finally {
    clearTimeout(timer)
    options.signal?.removeEventListener('abort', onAbort)
  }
}

/**
 * Pushes one encrypted event to an app's callback URL the way DingTalk does, checks the encrypted reply
 * (see {@link checkReply}) and re-pushes with exponential backoff while the reply is wrong, late or the
 * connection fails. Each attempt is encrypted and signed afresh (new random prefix, timestamp and nonce),
 * so receivers must de-duplicate on the decrypted event. Never throws for the peer's misbehaviour, only
 * for invalid options.
 *
 * @example
 * const result = await pushEvent({
 *   url: 'http://127.0.0.1:3000/dingtalk/callback',
 *   token, aesKey, receiveId: 'dingcorp',
 *   event: { EventType: 'user_add_org', UserId: ['u1'], CorpId: 'dingcorp', TimeStamp: Date.now() },
 *   retries: 3,
 * })
 * if (!result.ok) console.log(result.attempts.map((a) => a.reason))
 */
export async function pushEvent(options: PushEventOptions): Promise<PushResult> {
  buildPush({ ...options, timestamp: '0', nonce: 'validate' })
  requireCount(options.retries, 'retries')
  requireCount(options.backoffMs, 'backoffMs')
  requireCount(options.maxBackoffMs, 'maxBackoffMs')
  requireCount(options.timeoutMs, 'timeoutMs', true)
  if (options.expectedReply !== undefined) requireString(options.expectedReply, 'expectedReply', true)
  if (options.queryStyle !== undefined && options.queryStyle !== 'legacy' && options.queryStyle !== 'new') {
    throw new TypeError("queryStyle must be 'legacy' or 'new'")
  }
  const fetchImpl = options.fetch ?? globalThis.fetch
  if (typeof fetchImpl !== 'function') throw new TypeError('fetch must be a function')
  const context: AttemptContext = {
    options,
    expectedReply: options.expectedReply ?? expectedReplyFor(options.event),
    timeoutMs: options.timeoutMs ?? 1500,
    fetch: fetchImpl,
  }
  const retries = Math.floor(options.retries ?? 0)
  const backoffMs = options.backoffMs ?? 10
  const maxBackoffMs = options.maxBackoffMs ?? 30_000
  const attempts: PushAttempt[] = []
  for (let n = 0; n <= retries; n++) {
    if (n > 0) await delay(Math.min(backoffMs * 2 ** (n - 1), maxBackoffMs), options.signal)
    if (options.signal?.aborted) return { ok: false, attempts, aborted: true }
    const result = await attempt(context)
    attempts.push(result)
    if (result.ok) return { ok: true, attempts }
  }
  return options.signal?.aborted ? { ok: false, attempts, aborted: true } : { ok: false, attempts }
}
