import type { DingTalkClient } from '../client'
import { type CallbackCrypto, type CryptoBackend, createCallbackCrypto } from '../crypto/callback-crypto'
import { timingSafeEqualString } from '../encoding'
import { parseEvents } from '../events/parse'
import type { DingTalkEvent, DingTalkEventType, EventOf, ParsedEvent, SyncHttpItem } from '../events/types'
import { hashes } from '../hash/index'
import { memoryStore, type Store, storeKey } from '../store/store'
import { type CallbackErrorCode, DingTalkCallbackError } from './errors'
import {
  type CallbackRequest,
  getHeader,
  isJsonContentType,
  isRawBody,
  isRejection,
  type Rejection,
  readBodyText,
  signedQuery,
  topLevelKeys,
} from './request'

/**
 * What the callback handler needs from an ISV suite client (the suite client of `@dingtalk-kit/core`
 * satisfies it). Each method persists before it resolves: the handler acknowledges a suite event only
 * after it resolved, so a failure makes DingTalk re-push (§2.3).
 *
 * @example
 * ```ts
 * createCallbackHandler({ token, aesKey, suiteClient: createSuiteClient({ suiteKey, suiteSecret }, { store }), store })
 * ```
 */
export interface SuiteCallbackClient {
  readonly suiteKey: string
  /** The suite client's store; the handler de-duplicates in it unless given its own. */
  readonly store?: Store
  /** Stores the latest suite_ticket (§2.3, §4.3). */
  saveSuiteTicket(ticket: string): Promise<void>
  /** `service/get_permanent_code` → store → `service/activate_suite` (§2.3, within 5 s). */
  handleTmpAuthCode(authCode: string): Promise<{ corpId: string }>
  /** Drops everything stored for a corp that removed the suite (§2.3 suite_relieve). */
  removeCorp(corpId: string): Promise<void>
  /** Optional, for `SYNC_HTTP_PUSH_*` suites: stores the pushed permanent code (§2.3 org_suite_auth). */
  savePermanentCode?(
    corpId: string,
    permanentCode: string,
    info?: { agentId?: number; corpName?: string },
  ): Promise<void>
  /** Optional: `service/activate_suite` with the stored permanent code (§4.3). */
  activateSuite?(corpId: string): Promise<void>
  /** Optional: `service/get_agent`; `close` 2 means "waiting for activation" (§2.3 change_auth). */
  getAgent?(corpId: string): Promise<{ close: number | undefined }>
}

/**
 * What a handler receives besides the event.
 *
 * @example
 * ```ts
 * callback.on('user_add_org', async (e, ctx) => { await ctx.client?.request({ path: '/topapi/v2/user/get', json: { userid: e.UserId[0] } }) })
 * ```
 */
export interface EventContext<S extends SuiteCallbackClient = SuiteCallbackClient> {
  /** The receive-id the message was encrypted for. */
  receiveId: string
  /** The store key that de-duplicates this event (`undefined` for URL and licence checks). */
  dedupeKey: string | undefined
  /** The decrypted payload (or the `SYNC_HTTP_PUSH_*` item) as parsed JSON. */
  raw: unknown
  /** The `SYNC_HTTP_PUSH_*` item the event was normalised from, if any. */
  sync: SyncHttpItem | undefined
  /** The corp app client given in the options. */
  client: DingTalkClient | undefined
  /** The suite client given in the options. */
  suiteClient: S | undefined
  /**
   * What the adapter passed with this request as `locals` (its framework context: Koa's `ctx`, Hono's `c`),
   * so event handlers reach their request without AsyncLocalStorage. `undefined` when none was passed.
   */
  locals: unknown
}

/**
 * A handler of one event type; a returned promise is awaited (its value is ignored).
 *
 * @example
 * ```ts
 * const onJoin: EventHandler<'user_add_org'> = (e) => syncUsers(e.UserId)
 * ```
 */
export type EventHandler<K extends DingTalkEventType, S extends SuiteCallbackClient = SuiteCallbackClient> = (
  event: EventOf<K>,
  context: EventContext<S>,
) => unknown

/**
 * A handler of every event.
 *
 * @example
 * ```ts
 * const audit: AnyEventHandler = (e, ctx) => console.log(e.EventType, ctx.dedupeKey)
 * ```
 */
export type AnyEventHandler<S extends SuiteCallbackClient = SuiteCallbackClient> = (
  event: DingTalkEvent,
  context: EventContext<S>,
) => unknown

/**
 * Handlers by event type, for the `handlers` option.
 *
 * @example
 * ```ts
 * const handlers: EventHandlers = { user_leave_org: (e) => disableUsers(e.UserId) }
 * ```
 */
export type EventHandlers<S extends SuiteCallbackClient = SuiteCallbackClient> = {
  [K in DingTalkEventType]?: EventHandler<K, S>
}

/**
 * Where the handler writes what it rejected or why it asked for a re-push. Never given a secret.
 *
 * @example
 * ```ts
 * createCallbackHandler({ token, aesKey, receiveId, logger: { warn: (msg, data) => log.warn(data, msg) } })
 * ```
 */
export interface CallbackLogger {
  debug?(message: string, data?: Record<string, unknown>): void
  warn?(message: string, data?: Record<string, unknown>): void
  error?(message: string, data?: Record<string, unknown>): void
}

/**
 * Tuning of {@link createCallbackHandler}.
 *
 * @example
 * ```ts
 * createCallbackHandler({ token, aesKey, receiveId, options: { deadlineMs: 1000, maxBodyBytes: 64 * 1024 } })
 * ```
 */
export interface CallbackTuning {
  /** Largest body accepted, counted while reading (default 1 MiB); larger gets 413. */
  maxBodyBytes?: number
  /**
   * When user handlers are still running this many ms after the request arrived, the callback is
   * acknowledged and they finish in the background, errors going to `onError` (default 1200, DingTalk
   * waits 1500, §1.7). `false`: always wait for them (a late reply makes DingTalk re-push). The built-in
   * suite steps (storing a suite_ticket or permanent code) are always awaited: nothing is acknowledged
   * before it is stored. An event whose handler fails after the acknowledgement is not marked done, so a
   * later re-push or compensation pull runs it again.
   */
  deadlineMs?: number | false
  /**
   * Reject callbacks whose `timestamp` is further than this from now, in either direction (default
   * `false`, off). Off because whether DingTalk re-signs its re-pushes with a fresh timestamp is not
   * documented (callback-security R4): a window could turn every late re-push into a lost event. Turn it on
   * once you have seen your app's re-pushes. When on, the timestamp must be exactly 13 digits (ms) and
   * already-answered requests are remembered for twice the window.
   */
  timestampWindowMs?: number | false
  /** How long a processed event is remembered (default 24 h; never less than twice the window). */
  dedupeTtlMs?: number
  /** How long an in-flight marker lives if its process dies mid-event (default 60 s). */
  inflightTtlMs?: number
  /** How often a duplicate polls the store while another instance handles the event (default 50 ms). */
  pollIntervalMs?: number
  /** Accepted nonce format (default 1–64 letters and digits, §1.6). */
  nonceFormat?: RegExp
  /** AES implementation (default `auto`). */
  backend?: CryptoBackend | 'auto'
  /** Clock in epoch ms (tests). */
  now?: () => number
}

/**
 * Options of {@link createCallbackHandler}.
 *
 * @example
 * ```ts
 * const options: CallbackHandlerOptions = { token, aesKey, receiveId: corpId, store: redisStore({ client }) }
 * ```
 */
export interface CallbackHandlerOptions<S extends SuiteCallbackClient = SuiteCallbackClient> {
  /** The callback token registered with DingTalk. */
  token: string
  /** The 43-character EncodingAESKey. */
  aesKey: string
  /**
   * The corpId (registered callbacks), appKey (app event subscription) or suiteKey (ISV) messages are
   * encrypted for (§1.1). Default: the suite client's `suiteKey`, else the client's `corpId`.
   */
  receiveId?: string
  /**
   * Where de-duplication marks live; share one across instances. Default: the suite client's or the client's
   * store (so a Redis-backed client de-duplicates across instances with no extra setup), else `memoryStore()`.
   */
  store?: Store
  /** The corp app client, handed to handlers. */
  client?: DingTalkClient
  /** The ISV suite client: enables the built-in suite_ticket / tmp_auth_code / suite_relieve handling. */
  suiteClient?: S
  handlers?: EventHandlers<S>
  /**
   * Decides `check_suite_license_code` (§2.3): `true` replies `success` (valid), `false` anything else.
   * Without it every licence code is answered as invalid and reported to `onError`.
   */
  checkLicenseCode?: (
    event: EventOf<'check_suite_license_code'>,
    context: EventContext<S>,
  ) => boolean | Promise<boolean>
  onError?: (error: DingTalkCallbackError) => void
  logger?: CallbackLogger
  options?: CallbackTuning
}

/**
 * The handler's answer, for the adapter to write as is.
 *
 * @example
 * ```ts
 * const { status, headers, body } = await callback.handle(request)
 * res.writeHead(status, headers).end(body)
 * ```
 */
export interface CallbackResponse {
  status: number
  headers: Record<string, string>
  body: string
}

/**
 * Lets edge hosts keep background work alive after the reply (Workers' `ctx.waitUntil`).
 *
 * @example
 * ```ts
 * export default { fetch: (request: Request, env: unknown, ctx: ExecutionContext) => callback.fetch(request, ctx) }
 * ```
 */
export interface WaitUntilContext {
  waitUntil?(promise: Promise<unknown>): void
  /** Handed to the event handlers of this request as `EventContext.locals` (adapters pass their context). */
  locals?: unknown
}

/**
 * A mounted DingTalk callback endpoint. Status codes: 200 with the encrypted reply; 405 for a method
 * other than POST; 415 for a non-JSON body; 413 over the size limit; 400 for a malformed request
 * (repeated or conflicting query parameters, a timestamp or nonce of the wrong format, a body that is not
 * a JSON object with one string `encrypt`); one opaque 401 for every signature, timestamp-window,
 * decryption and receive-id failure; 503 when the app's handler or the store failed, which asks DingTalk
 * to re-push. Never 500.
 *
 * @example
 * ```ts
 * const callback: CallbackHandler = createCallbackHandler({ token, aesKey, receiveId: corpId })
 * const off = callback.on('user_leave_org', (e) => disableUsers(e.UserId))
 * ```
 */
export interface CallbackHandler<S extends SuiteCallbackClient = SuiteCallbackClient> {
  /** The Node-framework face: normalised request in, status/headers/body out. Never throws. */
  handle(request: CallbackRequest, context?: WaitUntilContext): Promise<CallbackResponse>
  /** The Web-standard face (`Request → Response`), for Hono, Workers, Bun, Deno. Never throws. */
  fetch(request: Request, context?: WaitUntilContext): Promise<Response>
  /** Adds a handler for one event type; returns a function that removes it. */
  on<K extends DingTalkEventType>(type: K, handler: EventHandler<K, S>): () => void
  /** Adds a handler for every event; returns a function that removes it. */
  onAny(handler: AnyEventHandler<S>): () => void
  /** Adds an error listener; returns a function that removes it. */
  onError(listener: (error: DingTalkCallbackError) => void): () => void
  /** Resolves when every handler still running after its reply has finished. */
  idle(): Promise<void>
}

const PLACEHOLDER = 'suite4xxxxxxxxxxxxxxx'
const SIGNATURE_FORMAT = /^[0-9a-f]{40}$/
const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }
const DONE = 'done'
const BUILTIN_DONE = 'builtin'
const URL_CHECKS: ReadonlySet<string> = new Set([
  'check_url',
  'check_create_suite_url',
  'check_update_suite_url',
])

const ERROR_BODIES: Readonly<Record<number, string>> = {
  400: '{"error":"bad_request"}',
  401: '{"error":"unauthorized"}',
  405: '{"error":"method_not_allowed"}',
  413: '{"error":"payload_too_large"}',
  415: '{"error":"unsupported_media_type"}',
  503: '{"error":"retry_later"}',
}

function errorResponse(status: number): CallbackResponse {
  const headers: Record<string, string> = { ...JSON_HEADERS }
  if (status === 405) headers.allow = 'POST'
  if (status === 413) headers.connection = 'close'
  if (status === 503) headers['retry-after'] = '1'
  return { status, headers, body: ERROR_BODIES[status] ?? '{"error":"error"}' }
}

interface Unit {
  parsed: ParsedEvent
  key: string
  builtin: (() => Promise<void>) | undefined
}

interface Owned {
  unit: Unit
  lock: string
  builtinDone: boolean
  settle: (done: boolean) => void
}

type Outcome = { kind: 'ack'; message?: string; receiveId?: string } | { kind: 'retry' }

function randomToken(): string {
  const bytes = new Uint8Array(12)
  globalThis.crypto.getRandomValues(bytes)
  let out = ''
  for (const b of bytes) out += b.toString(16).padStart(2, '0')
  return out
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/**
 * Creates the framework-free callback endpoint (reference §1.6–§1.7, §2; ARCHITECTURE "A callback, end
 * to end"): verifies, decrypts, checks the receive-id, types the event, de-duplicates re-pushes, runs the
 * built-in ISV steps (persisting before it acknowledges), runs your handlers, and answers with the
 * encrypted reply. Adapters only translate requests and responses.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http'
 * import { createCallbackHandler } from '@dingtalk-kit/core'
 *
 * const callback = createCallbackHandler({ token, aesKey, receiveId: corpId })
 * callback.on('user_add_org', async (event) => {
 *   await syncUsers(event.UserId)
 * })
 * createServer(async (req, res) => {
 *   const reply = await callback.handle({ method: req.method ?? '', url: req.url, headers: req.headers, body: req })
 *   res.writeHead(reply.status, reply.headers).end(reply.body)
 * }).listen(3000)
 *
 * // Web-standard hosts: export default { fetch: (request, env, ctx) => callback.fetch(request, ctx) }
 * ```
 */
export function createCallbackHandler<S extends SuiteCallbackClient = SuiteCallbackClient>(
  options: CallbackHandlerOptions<S>,
): CallbackHandler<S> {
  const tuning = options.options ?? {}
  const suiteClient = options.suiteClient
  const receiveId = options.receiveId ?? suiteClient?.suiteKey ?? options.client?.corpId
  if (typeof receiveId !== 'string' || receiveId.length === 0) {
    throw new TypeError(
      'createCallbackHandler needs a receiveId: the corpId, appKey or suiteKey the callback is registered for',
    )
  }
  const backend = tuning.backend === undefined || tuning.backend === 'auto' ? {} : { backend: tuning.backend }
  const crypto = createCallbackCrypto({ token: options.token, aesKey: options.aesKey, receiveId, ...backend })
  let placeholderCrypto: CallbackCrypto | undefined
  const replyCrypto = (id: string): CallbackCrypto => {
    if (id !== PLACEHOLDER) return crypto
    placeholderCrypto ??= createCallbackCrypto({
      token: options.token,
      aesKey: options.aesKey,
      receiveId: PLACEHOLDER,
      ...backend,
    })
    return placeholderCrypto
  }
  const store = options.store ?? options.suiteClient?.store ?? options.client?.store ?? memoryStore()
  const now = tuning.now ?? Date.now
  const maxBody = positive(tuning.maxBodyBytes, 1024 * 1024)
  const deadlineMs = tuning.deadlineMs === false ? false : positive(tuning.deadlineMs, 1200)
  const windowMs =
    tuning.timestampWindowMs === undefined || tuning.timestampWindowMs === false
      ? false
      : positive(tuning.timestampWindowMs, 300_000)
  const dedupeTtl = Math.max(
    positive(tuning.dedupeTtlMs, 24 * 3600_000),
    windowMs === false ? 0 : 2 * windowMs,
  )
  const inflightTtl = positive(tuning.inflightTtlMs, 60_000)
  const pollMs = positive(tuning.pollIntervalMs, 50)
  const nonceFormat = tuning.nonceFormat ?? /^[A-Za-z0-9]{1,64}$/
  // §1.6 / R4: DingTalk sends ms; any plausible epoch is 10–13 digits. With a window, exactly 13.
  const timestampFormat = windowMs === false ? /^\d{10,13}$/ : /^\d{13}$/
  const sha256 = hashes().sha256Hex
  const logger = options.logger ?? {}

  const specific = new Map<string, Set<AnyEventHandler<S>>>()
  const any = new Set<AnyEventHandler<S>>()
  const errorListeners = new Set<(error: DingTalkCallbackError) => void>()
  if (options.onError) errorListeners.add(options.onError)
  const pending = new Set<Promise<unknown>>()
  const inflight = new Map<string, Promise<boolean>>()

  const on = <K extends DingTalkEventType>(type: K, handler: EventHandler<K, S>): (() => void) => {
    let set = specific.get(type)
    if (!set) {
      set = new Set()
      specific.set(type, set)
    }
    const fn = handler as unknown as AnyEventHandler<S>
    set.add(fn)
    return () => {
      set.delete(fn)
    }
  }
  for (const [type, handler] of Object.entries(options.handlers ?? {})) {
    if (typeof handler === 'function')
      on(type as DingTalkEventType, handler as EventHandler<DingTalkEventType, S>)
  }

  const report = (
    code: CallbackErrorCode,
    message: string,
    extra: { status?: number; eventType?: string; cause?: unknown } = {},
  ): void => {
    const level = code === 'CALLBACK_REJECTED' || code === 'CALLBACK_BUSY' ? 'warn' : 'error'
    try {
      logger[level]?.(message, {
        code,
        status: extra.status,
        eventType: extra.eventType,
        cause: causeCode(extra.cause),
      })
    } catch {
      // A failing logger must not change the reply.
    }
    if (errorListeners.size === 0) return
    const error = new DingTalkCallbackError(code, message, extra)
    for (const listener of errorListeners) {
      try {
        listener(error)
      } catch {
        // Same for a failing listener.
      }
    }
  }

  const reject = (rejection: Rejection, cause?: unknown): CallbackResponse => {
    report('CALLBACK_REJECTED', `Callback rejected (${rejection.status}): ${rejection.reason}`, {
      status: rejection.status,
      ...(cause === undefined ? {} : { cause }),
    })
    return errorResponse(rejection.status)
  }

  const background = (work: Promise<unknown>, context: WaitUntilContext | undefined): void => {
    const tracked = work.then(
      () => undefined,
      () => undefined,
    )
    pending.add(tracked)
    void tracked.finally(() => pending.delete(tracked))
    try {
      context?.waitUntil?.(tracked)
    } catch {
      // The host refused: the work still runs in this process.
    }
  }

  const contextOf = (
    parsed: ParsedEvent,
    matched: string,
    dedupeKey: string | undefined,
    request: WaitUntilContext | undefined,
  ): EventContext<S> => ({
    receiveId: matched,
    dedupeKey,
    raw: parsed.raw,
    sync: parsed.sync,
    client: options.client,
    suiteClient,
    locals: request?.locals,
  })

  const dispatch = async (event: DingTalkEvent, context: EventContext<S>): Promise<void> => {
    const fns = [...(specific.get(event.EventType) ?? []), ...any]
    if (fns.length === 0) return
    const results = await Promise.allSettled(fns.map(async (fn) => fn(event, context)))
    const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []))
    if (failures.length === 1) throw failures[0]
    if (failures.length > 1) throw new AggregateError(failures, `${failures.length} handlers failed`)
  }

  const untilDeadline = <T>(
    work: Promise<T>,
    deadlineAt: number,
  ): Promise<{ late: true } | { late: false; value: T }> => {
    const wrapped = work.then((value) => ({ late: false as const, value }))
    if (deadlineAt === Number.POSITIVE_INFINITY) return wrapped
    let timer: ReturnType<typeof setTimeout> | undefined
    const timeout = new Promise<{ late: true }>((resolve) => {
      timer = setTimeout(() => resolve({ late: true }), Math.max(0, deadlineAt - now()))
    })
    return Promise.race([wrapped, timeout]).finally(() => clearTimeout(timer))
  }

  const builtinFor = (event: DingTalkEvent): (() => Promise<void>) | undefined => {
    if (!suiteClient) return undefined
    const mismatch = (key: string): boolean => {
      if (key === suiteClient.suiteKey) return false
      report('CALLBACK_SUITE_KEY_MISMATCH', `${event.EventType} is for another suite; not stored`, {
        eventType: event.EventType,
      })
      return true
    }
    switch (event.EventType) {
      case 'suite_ticket':
        if (mismatch(event.SuiteKey)) return undefined
        return () => suiteClient.saveSuiteTicket(event.SuiteTicket)
      case 'tmp_auth_code':
        if (mismatch(event.SuiteKey)) return undefined
        return async () => {
          await suiteClient.handleTmpAuthCode(event.AuthCode)
        }
      case 'change_auth': {
        const { getAgent, activateSuite } = suiteClient
        if (!getAgent || !activateSuite) return undefined
        return async () => {
          // §2.3: close 2 = authorised but waiting for activation.
          if ((await getAgent.call(suiteClient, event.AuthCorpId)).close === 2) {
            await activateSuite.call(suiteClient, event.AuthCorpId)
          }
        }
      }
      case 'suite_relieve':
        return () => suiteClient.removeCorp(event.AuthCorpId)
      case 'org_suite_auth': {
        const { savePermanentCode, activateSuite } = suiteClient
        if (!savePermanentCode) return undefined
        const agent = (event.auth_info?.agent as Array<{ agentid?: unknown }> | undefined)?.[0]?.agentid
        const corpName = event.auth_corp_info?.corp_name
        return async () => {
          await savePermanentCode.call(suiteClient, event.CorpId, event.permanent_code, {
            ...(typeof agent === 'number' ? { agentId: agent } : {}),
            ...(typeof corpName === 'string' ? { corpName } : {}),
          })
          await activateSuite?.call(suiteClient, event.CorpId)
        }
      }
      default:
        return undefined
    }
  }

  const dedupeKeyOf = (parsed: ParsedEvent, message: string, single: boolean): string => {
    const payload = parsed.raw
    let id: string
    if (parsed.sync) id = `sync:${JSON.stringify(parsed.sync.item)}`
    else if (isObject(payload) && typeof payload.BizId === 'string' && payload.BizId)
      id = `biz:${payload.BizId}`
    else if (isObject(payload) && typeof payload.eventId === 'string' && payload.eventId)
      id = `id:${payload.eventId}`
    else id = `msg:${single ? message : JSON.stringify(payload)}`
    // R5: keyed by the decrypted event, never by ciphertext or nonce (both change on each re-push).
    return storeKey({ owner: receiveId, kind: `callback_${sha256(id)}` })
  }

  const waitForOther = async (key: string, deadlineAt: number): Promise<boolean> => {
    const local = inflight.get(key)
    if (local) {
      const result = await untilDeadline(local, deadlineAt)
      if (!result.late && result.value) return true
      return (await store.get(key)) === DONE
    }
    for (;;) {
      if ((await store.get(key)) === DONE) return true
      if (now() + pollMs > deadlineAt) return false
      await new Promise((resolve) => setTimeout(resolve, pollMs))
    }
  }

  const release = async (owned: Owned[], done: boolean): Promise<void> => {
    for (const o of owned) {
      o.settle(done)
      inflight.delete(o.unit.key)
      try {
        await store.deleteIfEquals(`${o.unit.key}:lock`, o.lock)
      } catch (cause) {
        report('CALLBACK_STORE_FAILED', 'Could not release an in-flight marker', { cause })
      }
    }
  }

  const runUnits = async (
    units: Unit[],
    matched: string,
    deadlineAt: number,
    waitUntil: WaitUntilContext | undefined,
  ): Promise<Outcome> => {
    const owned: Owned[] = []
    try {
      for (const unit of units) {
        const eventType = unit.parsed.event.EventType
        if ((await store.get(unit.key)) === DONE) {
          logger.debug?.('Duplicate callback acknowledged', { eventType })
          continue
        }
        const lock = randomToken()
        if (!(await store.setIfAbsent(`${unit.key}:lock`, lock, inflightTtl))) {
          if (await waitForOther(unit.key, deadlineAt)) continue
          report('CALLBACK_BUSY', 'The same event is still being handled; asking DingTalk to re-push', {
            status: 503,
            eventType,
          })
          await release(owned, false)
          return { kind: 'retry' }
        }
        let settle: (done: boolean) => void = () => {}
        inflight.set(
          unit.key,
          new Promise<boolean>((resolve) => {
            settle = resolve
          }),
        )
        const entry: Owned = { unit, lock, builtinDone: false, settle }
        owned.push(entry)
        const state = await store.get(unit.key)
        if (state === DONE) {
          owned.pop()
          await release([entry], true)
          continue
        }
        entry.builtinDone = state === BUILTIN_DONE
      }
      // Built-in ISV steps persist before anything is acknowledged, whatever the deadline (§2.3).
      for (const o of owned) {
        if (!o.unit.builtin || o.builtinDone) continue
        try {
          await o.unit.builtin()
        } catch (cause) {
          report(
            'CALLBACK_SUITE_FAILED',
            `Built-in ${o.unit.parsed.event.EventType} handling failed; asking DingTalk to re-push`,
            {
              status: 503,
              eventType: o.unit.parsed.event.EventType,
              cause,
            },
          )
          await release(owned, false)
          return { kind: 'retry' }
        }
        o.builtinDone = true
        await store.set(o.unit.key, BUILTIN_DONE, dedupeTtl)
      }
    } catch (cause) {
      report('CALLBACK_STORE_FAILED', 'The store failed; asking DingTalk to re-push', { status: 503, cause })
      await release(owned, false)
      return { kind: 'retry' }
    }
    if (owned.length === 0) return { kind: 'ack' }

    let replied = false
    const work = (async (): Promise<boolean> => {
      let ok = true
      for (const o of owned) {
        const { event } = o.unit.parsed
        let done = false
        try {
          await dispatch(event, contextOf(o.unit.parsed, matched, o.unit.key, waitUntil))
          done = true
        } catch (cause) {
          ok = false
          report(
            'CALLBACK_HANDLER_FAILED',
            replied
              ? `A ${event.EventType} handler failed after the reply was sent`
              : `A ${event.EventType} handler failed; asking DingTalk to re-push`,
            { eventType: event.EventType, cause, ...(replied ? {} : { status: 503 }) },
          )
        }
        if (done) {
          try {
            await store.set(o.unit.key, DONE, dedupeTtl)
          } catch (cause) {
            report('CALLBACK_STORE_FAILED', 'Could not mark an event as done', {
              eventType: event.EventType,
              cause,
            })
          }
        }
        await release([o], done)
      }
      return ok
    })()
    const result = await untilDeadline(work, deadlineAt)
    if (result.late) {
      replied = true
      logger.warn?.('Handlers still running at the deadline; acknowledged, finishing in the background', {
        eventTypes: owned.map((o) => o.unit.parsed.event.EventType),
      })
      background(work, waitUntil)
      return { kind: 'ack' }
    }
    return result.value ? { kind: 'ack' } : { kind: 'retry' }
  }

  const processRequest = async (
    request: CallbackRequest,
    waitUntil: WaitUntilContext | undefined,
  ): Promise<CallbackResponse> => {
    const startedAt = now()
    const deadlineAt = deadlineMs === false ? Number.POSITIVE_INFINITY : startedAt + deadlineMs
    if (typeof request?.method !== 'string' || request.method.toUpperCase() !== 'POST') {
      return reject({ status: 405, reason: `method ${String(request?.method)} is not POST` })
    }
    const contentType = getHeader(request.headers, 'content-type')
    if (isRejection(contentType)) return reject(contentType)
    const raw = isRawBody(request.body)
    if (contentType === undefined ? raw : !isJsonContentType(contentType)) {
      return reject({ status: 415, reason: 'the body is not application/json' })
    }
    const query = signedQuery(request)
    if (isRejection(query)) return reject(query)
    if (query.timestamp === undefined || query.nonce === undefined) {
      return reject({ status: 400, reason: 'timestamp or nonce is missing' })
    }
    if (!timestampFormat.test(query.timestamp))
      return reject({ status: 400, reason: 'the timestamp is malformed' })
    if (!nonceFormat.test(query.nonce)) return reject({ status: 400, reason: 'the nonce is malformed' })

    let body: unknown = request.body
    if (raw) {
      const length = getHeader(request.headers, 'content-length')
      if (isRejection(length)) return reject(length)
      const encoding = getHeader(request.headers, 'transfer-encoding')
      if (isRejection(encoding)) return reject(encoding)
      if (length !== undefined && encoding !== undefined) {
        return reject({ status: 400, reason: 'both Content-Length and Transfer-Encoding are set' })
      }
      if (length !== undefined && !/^\d{1,15}$/.test(length))
        return reject({ status: 400, reason: 'Content-Length is malformed' })
      const declared = length === undefined ? undefined : Number(length)
      if (declared !== undefined && declared > maxBody) {
        cancel(request.body)
        return reject({ status: 413, reason: `Content-Length is over ${maxBody} bytes` })
      }
      const text = await readBodyText(request.body, { limit: maxBody, declared })
      if (isRejection(text)) return reject(text)
      try {
        body = JSON.parse(text)
      } catch {
        return reject({ status: 400, reason: 'the body is not JSON' })
      }
      if (isObject(body)) {
        const keys = topLevelKeys(text)
        if (new Set(keys).size !== keys.length)
          return reject({ status: 400, reason: 'the body repeats a key' })
      }
    }
    if (!isObject(body)) return reject({ status: 400, reason: 'the body is not a JSON object' })
    const encrypt = body.encrypt
    if (typeof encrypt !== 'string' || encrypt.length === 0) {
      return reject({ status: 400, reason: 'the body has no "encrypt" string' })
    }
    if (encrypt.length > maxBody)
      return reject({ status: 413, reason: `"encrypt" is over ${maxBody} characters` })

    const params = { signature: query.signature, timestamp: query.timestamp, nonce: query.nonce, encrypt }
    const signature = query.signature
    if (
      signature === undefined ||
      !SIGNATURE_FORMAT.test(signature) ||
      !timingSafeEqualString(crypto.sign(query.timestamp, query.nonce, encrypt), signature)
    ) {
      // The detailed reason is only worth an exception when someone listens for it.
      let cause: unknown
      if (errorListeners.size > 0) {
        try {
          crypto.checkSignature(params)
        } catch (error) {
          cause = error
        }
      }
      return reject({ status: 401, reason: 'verification failed' }, cause)
    }
    if (windowMs !== false && Math.abs(now() - Number(query.timestamp)) > windowMs) {
      return reject({ status: 401, reason: 'verification failed (timestamp outside the window)' })
    }
    const replayKey =
      windowMs === false
        ? undefined
        : storeKey({ owner: receiveId, kind: `callback_replay_${query.signature}` })
    if (replayKey !== undefined) {
      try {
        if ((await store.get(replayKey)) !== undefined) {
          logger.debug?.('Replayed request acknowledged', {})
          return reply(await crypto.reply())
        }
      } catch (cause) {
        report('CALLBACK_STORE_FAILED', 'The store failed; asking DingTalk to re-push', {
          status: 503,
          cause,
        })
        return errorResponse(503)
      }
    }
    let message: string
    let matched: string
    try {
      const opened = await crypto.decrypt(encrypt, { receiveIds: [PLACEHOLDER] })
      message = opened.message
      matched = opened.receiveId
    } catch (cause) {
      return reject({ status: 401, reason: 'verification failed' }, cause)
    }
    const parsed = parseEvents(message, { suiteKey: suiteClient?.suiteKey ?? receiveId })
    const first = parsed[0]
    // §1.1: the placeholder receive-id is only ever used for check_create_suite_url.
    if (
      matched !== receiveId &&
      (parsed.length !== 1 || first?.event.EventType !== 'check_create_suite_url')
    ) {
      return reject({ status: 401, reason: 'verification failed (placeholder receive-id)' })
    }
    let outcome: Outcome
    try {
      outcome = await decide(parsed, message, matched, deadlineAt, waitUntil)
    } catch (cause) {
      report('CALLBACK_STORE_FAILED', 'Handling failed; asking DingTalk to re-push', { status: 503, cause })
      return errorResponse(503)
    }
    if (outcome.kind === 'retry') return errorResponse(503)
    let response: CallbackResponse
    try {
      response = reply(await replyCrypto(matched).reply(outcome.message ?? 'success'))
    } catch (cause) {
      report('CALLBACK_STORE_FAILED', 'Could not encrypt the reply', { status: 503, cause })
      return errorResponse(503)
    }
    if (replayKey !== undefined) {
      try {
        await store.set(replayKey, '1', 2 * (windowMs as number))
      } catch (cause) {
        report('CALLBACK_STORE_FAILED', 'Could not remember an answered request', { cause })
      }
    }
    return response
  }

  const decide = async (
    parsed: ParsedEvent[],
    message: string,
    matched: string,
    deadlineAt: number,
    waitUntil: WaitUntilContext | undefined,
  ): Promise<Outcome> => {
    const first = parsed[0]
    if (parsed.length === 1 && first) {
      const { event } = first
      if (URL_CHECKS.has(event.EventType)) {
        // §1.7, §2.3: URL checks are answered every time (no de-duplication); handlers are best effort.
        await bestEffort(event, contextOf(first, matched, undefined, waitUntil), deadlineAt, waitUntil)
        return event.EventType === 'check_url'
          ? { kind: 'ack' }
          : { kind: 'ack', message: (event as { Random: string }).Random }
      }
      if (event.EventType === 'check_suite_license_code') {
        const context = contextOf(first, matched, undefined, waitUntil)
        let valid = false
        if (options.checkLicenseCode) {
          try {
            valid = (await options.checkLicenseCode(event, context)) === true
          } catch (cause) {
            report('CALLBACK_LICENSE_CODE', 'checkLicenseCode failed; answered as invalid', {
              eventType: event.EventType,
              cause,
            })
          }
        } else {
          report('CALLBACK_LICENSE_CODE', 'No checkLicenseCode option; licence code answered as invalid', {
            eventType: event.EventType,
          })
        }
        await bestEffort(event, context, deadlineAt, waitUntil)
        // §2.3: only `success` means valid; anything else means invalid.
        return { kind: 'ack', message: valid ? 'success' : 'invalid' }
      }
    }
    const units: Unit[] = parsed.map((p) => {
      if (p.event.EventType === 'unknown') {
        report('CALLBACK_UNKNOWN_EVENT', `Unrecognised event acknowledged (${p.event.reason})`, {
          eventType: p.event.rawEventType ?? 'unknown',
        })
      }
      return { parsed: p, key: dedupeKeyOf(p, message, parsed.length === 1), builtin: builtinFor(p.event) }
    })
    return runUnits(units, matched, deadlineAt, waitUntil)
  }

  const bestEffort = async (
    event: DingTalkEvent,
    context: EventContext<S>,
    deadlineAt: number,
    waitUntil: WaitUntilContext | undefined,
  ): Promise<void> => {
    let replied = false
    const work = dispatch(event, context).catch((cause: unknown) => {
      report(
        'CALLBACK_HANDLER_FAILED',
        `A ${event.EventType} handler failed (the check is answered anyway)`,
        {
          eventType: event.EventType,
          cause,
          ...(replied ? {} : { status: 200 }),
        },
      )
    })
    const result = await untilDeadline(work, deadlineAt)
    if (result.late) {
      replied = true
      background(work, waitUntil)
    }
  }

  const handle = async (request: CallbackRequest, context?: WaitUntilContext): Promise<CallbackResponse> => {
    try {
      return await processRequest(request, context)
    } catch (cause) {
      // Unreachable by design; still never a 500 nor a crash.
      report('CALLBACK_STORE_FAILED', 'Unexpected failure; asking DingTalk to re-push', {
        status: 503,
        cause,
      })
      return errorResponse(503)
    }
  }

  return {
    handle,
    async fetch(request, context) {
      const out = await handle(
        {
          method: request.method,
          url: request.url,
          headers: request.headers,
          body: request.body ?? undefined,
        },
        context,
      )
      return new Response(out.body, { status: out.status, headers: out.headers })
    },
    on,
    onAny(handler) {
      any.add(handler)
      return () => {
        any.delete(handler)
      }
    },
    onError(listener) {
      errorListeners.add(listener)
      return () => {
        errorListeners.delete(listener)
      }
    },
    async idle() {
      while (pending.size > 0) await Promise.allSettled([...pending])
    },
  }
}

// The encrypted reply carries no `cache-control`: a response to POST without explicit freshness is not
// stored by any cache (RFC 9111 §3, §4.2.2), and one header fewer keeps Hono's plain-object fast path.
// Error answers keep `no-store` (a 405 to a GET is heuristically cacheable).
const REPLY_HEADERS = { 'content-type': 'application/json; charset=utf-8' }

function reply(body: object): CallbackResponse {
  return { status: 200, headers: { ...REPLY_HEADERS }, body: JSON.stringify(body) }
}

function positive(value: number | undefined, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : fallback
}

function causeCode(cause: unknown): string | undefined {
  if (cause === undefined) return undefined
  const code = (cause as { code?: unknown } | null)?.code
  if (typeof code === 'string') return code
  return cause instanceof Error ? cause.name : typeof cause
}

function cancel(body: unknown): void {
  const stream = body as ReadableStream | undefined
  if (typeof stream?.cancel === 'function' && typeof stream.getReader === 'function') {
    stream.cancel().catch(() => {})
  }
}
