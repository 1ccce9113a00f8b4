import {
  appCredentialsOf,
  type EventDispatcher,
  type EventDispatcherOptions,
  type SuiteCallbackClient,
} from '@dingtalk-kit/core'
import type { StreamCallbackHandler } from './callbacks'

/**
 * Listeners for what the connection does. Each is called synchronously; a throwing hook is ignored.
 *
 * @example
 * ```ts
 * createStreamClient({ ...options, hooks: { reconnect: ({ attempt, delayMs }) => metrics.count('reconnect', { attempt, delayMs }) } })
 * ```
 */
export interface StreamHooks {
  connect?(info: { connectionId: number; host: string; reconnect: boolean }): void
  disconnect?(info: { connectionId: number; reason: string; byServer: boolean }): void
  reconnect?(info: { attempt: number; delayMs: number; reason: string }): void
  ack?(info: {
    messageId: string
    type: 'EVENT' | 'CALLBACK'
    topic: string
    status: 'SUCCESS' | 'LATER' | 'NOT_FOUND'
    sent: boolean
  }): void
  /** A frame whose business id had already been handled (a redelivery): acknowledged, handlers not run. */
  redelivery?(info: { messageId: string; type: 'EVENT' | 'CALLBACK'; topic: string; id: string }): void
}

/**
 * Options of {@link createStreamClient}. Besides these, core's event dispatcher options (`client`,
 * `suiteClient`, `store`, `handlers`, `logger`, `onError`, `namespace`, `dedupeTtlMs`, `inflightTtlMs`) build
 * the dispatcher when no `dispatcher` is given; its de-duplication namespace defaults to the clientId.
 * `logger` also receives the connection's own lines (default: the dispatcher's, warnings and errors to the
 * console).
 *
 * @example
 * ```ts
 * const options: StreamClientOptions = { clientId: appKey, clientSecret: appSecret, store: redisStore({ client }) }
 * ```
 */
export interface StreamClientOptions<S extends SuiteCallbackClient = SuiteCallbackClient>
  extends EventDispatcherOptions<S> {
  /**
   * The app's AppKey (a third-party app: its SuiteKey). With neither `clientId` nor `clientSecret`, those
   * the client (else the suite client) was created with, given here or in the dispatcher.
   */
  clientId?: string
  /** Its AppSecret (SuiteSecret). Never logged. */
  clientSecret?: string
  /**
   * Where connections are opened (default `https://api.dingtalk.com`; overseas `https://api.dingtalk.io`,
   * pre-production `https://pre-api.dingtalk.com` or `https://pre-api.dingtalk.io`; the emulator's URL in tests).
   */
  apiBaseUrl?: string
  /**
   * The event pipeline to feed: core's `createEventDispatcher`, shared with HTTP callbacks (the same
   * handlers; an event delivered over both is handled once).
   */
  dispatcher?: EventDispatcher<S>
  /** CALLBACK handlers by topic; each topic is subscribed to. */
  callbacks?: Record<string, StreamCallbackHandler>
  hooks?: StreamHooks
  /** An HTTP(S) proxy for the `connections/open` call and the WebSocket, e.g. `http://user:pass@proxy:3128` (CONNECT tunnels). */
  proxy?: string | URL
  /**
   * Frames handled at once (default 32). Frames beyond it wait in order, un-ACKed, and are never dropped:
   * robot messages are not reliably redelivered (§13.4), so leaving one unanswered could lose it.
   */
  maxConcurrency?: number
  /**
   * The zombie check (§13.5): after `idleMs` without any frame (default 60 000), a WebSocket ping; no pong
   * within `pongTimeoutMs` (default 5 000) and the connection is replaced. `idleMs: 0` turns it off.
   */
  keepAlive?: { idleMs?: number; pongTimeoutMs?: number }
  /**
   * Reconnect backoff after a failure: `baseMs`·2ⁿ with equal jitter, capped at `maxMs` (defaults 1 000 and
   * 30 000, well within DingTalk's 60 s redelivery window). A server `disconnect` reconnects at once.
   */
  reconnect?: { baseMs?: number; maxMs?: number }
  /** Deadline of the `connections/open` call and of the WebSocket handshake (default 10 000 ms). */
  openTimeoutMs?: number
  /** Largest frame accepted (default 4 MiB); a larger one closes the connection, which is then replaced. */
  maxFrameBytes?: number
  /** How long a handled CALLBACK id is remembered (default 10 minutes; redeliveries come within 60 s, §13.4). */
  callbackDedupeTtlMs?: number
  /** The `ua` sent to `connections/open` (default `dingtalk-kit-stream-nodejs`). */
  ua?: string
}

/**
 * The options of a Stream client fed by a pipeline made elsewhere (a framework module's, the routes'
 * `dispatcher`): everything but what builds the pipeline, and the `logger` for the connection's own lines.
 *
 * @example
 * ```ts
 * const options: StreamConnectionOptions = { callbacks: { [TOPIC_ROBOT]: reply }, maxConcurrency: 8 }
 * createStreamClient({ ...options, dispatcher: routes.dispatcher })
 * ```
 */
export type StreamConnectionOptions = Omit<
  StreamClientOptions,
  Exclude<keyof EventDispatcherOptions, 'logger'> | 'dispatcher'
>

/** The options checked, with their defaults filled in. */
export interface StreamSettings {
  clientId: string
  clientSecret: string
  apiBaseUrl: string
  ua: string
  /** The de-duplication namespace (default the clientId). */
  namespace: string
  maxConcurrency: number
  idleMs: number
  pongTimeoutMs: number
  baseMs: number
  maxMs: number
  openTimeoutMs: number
  maxFrameBytes: number
  callbackTtlMs: number
  proxy: URL | undefined
}

const DEFAULT_API = 'https://api.dingtalk.com'

function positive(value: number | undefined, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : fallback
}

// Neither given: those of the app client (else the suite client) the pipeline runs with.
function credentialsOf<S extends SuiteCallbackClient>(
  options: StreamClientOptions<S>,
): { clientId?: string | undefined; clientSecret?: string | undefined } {
  if (options.clientId !== undefined || options.clientSecret !== undefined) return options
  return (
    appCredentialsOf(options.client ?? options.dispatcher?.client) ??
    appCredentialsOf(options.suiteClient ?? options.dispatcher?.suiteClient) ??
    {}
  )
}

/** Checks the options (throwing a `TypeError` that says what is missing) and fills in the defaults. */
export function resolveSettings<S extends SuiteCallbackClient>(
  options: StreamClientOptions<S>,
): StreamSettings {
  const { clientId, clientSecret } = credentialsOf(options)
  if (typeof clientId !== 'string' || clientId === '') {
    throw new TypeError(
      'createStreamClient needs a clientId: the app’s AppKey (third-party apps: the SuiteKey), or a client created with them',
    )
  }
  if (typeof clientSecret !== 'string' || clientSecret === '') {
    throw new TypeError(
      'createStreamClient needs a clientSecret: the app’s AppSecret (third-party apps: the SuiteSecret)',
    )
  }
  const apiBaseUrl = new URL(options.apiBaseUrl ?? DEFAULT_API).toString()
  const baseMs = positive(options.reconnect?.baseMs, 1_000)
  const proxy = options.proxy === undefined ? undefined : new URL(options.proxy)
  if (proxy && proxy.protocol !== 'http:' && proxy.protocol !== 'https:') {
    throw new TypeError('proxy must be an http:// or https:// URL')
  }
  return {
    clientId,
    clientSecret,
    apiBaseUrl,
    ua: options.ua ?? 'dingtalk-kit-stream-nodejs',
    namespace: options.namespace ?? clientId,
    maxConcurrency: Math.max(1, Math.floor(positive(options.maxConcurrency, 32))),
    idleMs: positive(options.keepAlive?.idleMs, 60_000),
    pongTimeoutMs: positive(options.keepAlive?.pongTimeoutMs, 5_000) || 5_000,
    baseMs,
    maxMs: Math.max(baseMs, positive(options.reconnect?.maxMs, 30_000)),
    openTimeoutMs: positive(options.openTimeoutMs, 10_000) || 10_000,
    maxFrameBytes: positive(options.maxFrameBytes, 4 * 1024 * 1024) || 4 * 1024 * 1024,
    callbackTtlMs: positive(options.callbackDedupeTtlMs, 10 * 60_000) || 10 * 60_000,
    proxy,
  }
}
