import type { CryptoBackend } from '../crypto/callback-crypto'
import type { DingTalkCallbackError } from '../errors/callback'
import type {
  AnyEventHandler,
  CallbackLogger,
  EventContext,
  EventHandler,
  EventHandlers,
  SuiteCallbackClient,
  WaitUntilContext,
} from '../events/context'
import type { EventDispatcher, EventDispatcherOptions } from '../events/dispatcher'
import type { DingTalkEventType, EventOf } from '../events/types'
import type { Store } from '../store/store'
import type { CallbackRequest } from './request'
import type { CallbackResponse } from './responses'

/**
 * Tuning of `createCallbackHandler`.
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
 * Options of `createCallbackHandler`.
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
  client?: EventDispatcherOptions<S>['client']
  /** The ISV suite client: enables the built-in suite_ticket / tmp_auth_code / suite_relieve handling. */
  suiteClient?: S
  handlers?: EventHandlers<S>
  /**
   * The event pipeline to feed (see `createEventDispatcher`): share one with a Stream client so the same
   * handlers serve both transports and an event delivered over both is handled once. When given, its client,
   * suite client, store, logger and de-duplication settings are used, and `handlers`/`onError` are added to it.
   */
  dispatcher?: EventDispatcher<S>
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
  /** The event pipeline this endpoint feeds. */
  readonly dispatcher: EventDispatcher<S>
}
