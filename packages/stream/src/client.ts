import { Agent as HttpAgent } from 'node:http'
import { Agent as HttpsAgent } from 'node:https'
import {
  type AnyEventHandler,
  type CallbackLogger,
  createDedupeLedger,
  createEventDispatcher,
  type DeliveryOutcome,
  type DingTalkCallbackError,
  type DingTalkEventType,
  type EventDispatcher,
  type EventDispatcherOptions,
  type EventHandler,
  parseStreamEvent,
  type SuiteCallbackClient,
} from '@dingtalk-kit/core'
import { type CloseInfo, Connection, type ConnectionEvents } from './connection'
import { DingTalkStreamCredentialsError, DingTalkStreamError } from './errors'
import { ackFrame, type DownFrame, parseFrame } from './frames'
import { connectUrl, openConnection, type Subscription } from './open'
import { proxyAgent } from './proxy'

/** The robot message topic (§13.6). */
export const TOPIC_ROBOT = '/v1.0/im/bot/messages/get'
/** The interactive card callback topic (§13.6). */
export const TOPIC_CARD = '/v1.0/card/instances/callback'

/**
 * What a CALLBACK handler receives besides the parsed `data`.
 *
 * @example
 * ```ts
 * stream.onCallback(TOPIC_ROBOT, (message, ctx) => console.log(ctx.topic, ctx.messageId))
 * ```
 */
export interface StreamCallbackContext {
  topic: string
  /** This delivery's `messageId` (a redelivery has a new one). */
  messageId: string
  /** The frame's headers (all strings, §13.2). */
  headers: Readonly<Record<string, string>>
  /** The business id the delivery was de-duplicated on (`robot:<msgId>`, `card:<outTrackId>:…`, `msg:<messageId>`). */
  id: string
}

/**
 * Handles one CALLBACK frame; what it returns (or resolves to) is sent back as the ACK's `{response}`
 * (a card callback's answer updates the card, §13.3). Throwing asks DingTalk to deliver it again.
 *
 * @example
 * ```ts
 * const onCard: StreamCallbackHandler = (data) => ({ cardData: { cardParamMap: { status: 'done' } } })
 * ```
 */
export type StreamCallbackHandler = (data: unknown, context: StreamCallbackContext) => unknown

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
  /** The app's AppKey (a third-party app: its SuiteKey). */
  clientId: string
  /** Its AppSecret (SuiteSecret). Never logged. */
  clientSecret: string
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
 * Counters of a {@link StreamClient}, for tests and health checks.
 *
 * @example
 * ```ts
 * const { connected, inFlight } = stream.stats()
 * ```
 */
export interface StreamStats {
  connected: boolean
  /** Connections that reached the open state. */
  connections: number
  /** Open (or draining) sockets right now. */
  sockets: number
  reconnects: number
  framesReceived: number
  acksSent: number
  /** ACKs that could not be sent because their connection had closed (DingTalk redelivers those). */
  acksUnsent: number
  redeliveries: number
  invalidFrames: number
  inFlight: number
  queued: number
}

/**
 * A running Stream client; see {@link createStreamClient}.
 *
 * @example
 * ```ts
 * const stream: StreamClient = createStreamClient({ clientId, clientSecret })
 * ```
 */
export interface StreamClient<S extends SuiteCallbackClient = SuiteCallbackClient> {
  /** Opens the first connection. Rejects with the first failure (and closes the client); after that, failures are retried. */
  start(): Promise<void>
  /** Stops taking frames, finishes and ACKs the ones taken, closes every socket and timer. */
  close(): Promise<void>
  /** Adds a handler for one event type (the same typed handlers as HTTP callbacks). */
  on<K extends DingTalkEventType>(type: K, handler: EventHandler<K, S>): () => void
  onAny(handler: AnyEventHandler<S>): () => void
  /** Handler failures (from the dispatcher) and connection failures. */
  onError(listener: (error: DingTalkCallbackError | DingTalkStreamError) => void): () => void
  /** Adds a CALLBACK handler; a new topic is subscribed from the next connection on. */
  onCallback(topic: string, handler: StreamCallbackHandler): () => void
  /** Resolves when no frame is being handled or waiting. */
  idle(): Promise<void>
  stats(): StreamStats
}

const DEFAULT_API = 'https://api.dingtalk.com'

function robotTopic(topic: string): boolean {
  return topic === TOPIC_ROBOT || topic === '/v1.0/im/bot/messages/delegate'
}

// §13.4: redeliveries carry a new messageId, so callbacks are de-duplicated on their business id.
function callbackId(topic: string, data: unknown, messageId: string): string {
  const record = data !== null && typeof data === 'object' ? (data as Record<string, unknown>) : {}
  if (robotTopic(topic) && typeof record.msgId === 'string' && record.msgId) return `robot:${record.msgId}`
  if (topic === TOPIC_CARD && typeof record.outTrackId === 'string' && record.outTrackId) {
    const content =
      typeof record.content === 'string' ? record.content : JSON.stringify(record.content ?? null)
    return `card:${record.outTrackId}:${String(record.userId ?? '')}:${content}`
  }
  return `msg:${topic}:${messageId}`
}

function safeJson(value: unknown): string | undefined {
  try {
    return JSON.stringify(value)
  } catch {
    return undefined
  }
}

function causeCode(cause: unknown): string | undefined {
  if (cause === undefined) return undefined
  const code = (cause as { code?: unknown } | null)?.code
  if (typeof code === 'string') return code
  return cause instanceof Error ? cause.name : typeof cause
}

function positive(value: number | undefined, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : fallback
}

/**
 * Receives DingTalk events, robot messages and card callbacks over Stream mode (§13): a WebSocket the app
 * opens, so no public HTTPS URL is needed. Every frame is acknowledged after its handler finished
 * (`SUCCESS`, or `LATER` when it threw, so DingTalk redelivers), once. Events are typed exactly as HTTP
 * callbacks and de-duplicated on their business id through the store (share a Redis store and N
 * instances handle each event once). A server `disconnect` opens the new connection before the old one
 * is drained; dead connections are detected by WebSocket pings and replaced with backoff.
 *
 * @example
 * ```ts
 * import { createStreamClient, TOPIC_ROBOT } from '@dingtalk-kit/stream'
 *
 * const stream = createStreamClient({ clientId: process.env.APP_KEY!, clientSecret: process.env.APP_SECRET! })
 * stream.on('user_add_org', async (event) => {
 *   await syncUsers(event.CorpId, event.UserId)
 * })
 * stream.onCallback(TOPIC_ROBOT, async (message) => {
 *   await answer(message)
 * })
 * await stream.start()
 * process.on('SIGTERM', () => void stream.close())
 * ```
 */
export function createStreamClient<S extends SuiteCallbackClient = SuiteCallbackClient>(
  options: StreamClientOptions<S>,
): StreamClient<S> {
  if (typeof options.clientId !== 'string' || options.clientId === '') {
    throw new TypeError(
      'createStreamClient needs a clientId: the app’s AppKey (third-party apps: the SuiteKey)',
    )
  }
  if (typeof options.clientSecret !== 'string' || options.clientSecret === '') {
    throw new TypeError(
      'createStreamClient needs a clientSecret: the app’s AppSecret (third-party apps: the SuiteSecret)',
    )
  }
  const clientId = options.clientId
  const apiBaseUrl = new URL(options.apiBaseUrl ?? DEFAULT_API).toString()
  const hooks = options.hooks ?? {}
  const maxConcurrency = Math.max(1, Math.floor(positive(options.maxConcurrency, 32)))
  const idleMs = positive(options.keepAlive?.idleMs, 60_000)
  const pongTimeoutMs = positive(options.keepAlive?.pongTimeoutMs, 5_000) || 5_000
  const baseMs = positive(options.reconnect?.baseMs, 1_000)
  const maxMs = Math.max(baseMs, positive(options.reconnect?.maxMs, 30_000))
  const openTimeoutMs = positive(options.openTimeoutMs, 10_000) || 10_000
  const maxFrameBytes = positive(options.maxFrameBytes, 4 * 1024 * 1024) || 4 * 1024 * 1024
  const proxy = options.proxy === undefined ? undefined : new URL(options.proxy)
  if (proxy && proxy.protocol !== 'http:' && proxy.protocol !== 'https:') {
    throw new TypeError('proxy must be an http:// or https:// URL')
  }

  const dispatcher: EventDispatcher<S> =
    options.dispatcher ?? createEventDispatcher<S>({ ...options, namespace: options.namespace ?? clientId })
  const logger: CallbackLogger = options.logger ?? dispatcher.reporter.logger
  const namespace = options.namespace ?? clientId
  const callbackTtlMs = positive(options.callbackDedupeTtlMs, 10 * 60_000) || 10 * 60_000
  const callbackLedger = createDedupeLedger({
    store: dispatcher.store,
    doneTtlMs: callbackTtlMs,
    ...(options.inflightTtlMs === undefined ? {} : { inflightTtlMs: options.inflightTtlMs }),
    onStoreError: (message, cause) =>
      dispatcher.reporter.report('CALLBACK_STORE_FAILED', message, { cause, transport: 'stream' }),
  })
  const callbacks = new Map<string, StreamCallbackHandler>(Object.entries(options.callbacks ?? {}))
  const streamErrorListeners = new Set<(error: DingTalkStreamError) => void>()

  const agents = new Map<string, HttpAgent>()
  const agentFor = (protocol: string): HttpAgent => {
    const secure = protocol === 'https:' || protocol === 'wss:'
    const key = secure ? 'secure' : 'plain'
    let agent = agents.get(key)
    if (!agent) {
      // Own agents without keep-alive: nothing lingers in a shared pool after close().
      agent = proxy
        ? proxyAgent(proxy, secure, openTimeoutMs)
        : secure
          ? new HttpsAgent({ keepAlive: false })
          : new HttpAgent({ keepAlive: false })
      agents.set(key, agent)
    }
    return agent
  }

  const connections = new Set<Connection>()
  const gotFrame = new WeakSet<Connection>()
  let active: Connection | undefined
  let establishing: Promise<Connection> | undefined
  let reconnectTimer: ReturnType<typeof setTimeout> | undefined
  let attempt = 0
  let closing = false
  let closed: Promise<void> | undefined
  let started: Promise<void> | undefined
  const abort = new AbortController()
  const stats = {
    connections: 0,
    reconnects: 0,
    framesReceived: 0,
    acksSent: 0,
    acksUnsent: 0,
    redeliveries: 0,
    invalidFrames: 0,
  }

  let running = 0
  const queue: Array<() => void> = []
  const tasks = new Set<Promise<void>>()

  const safe = (fn: (() => void) | undefined): void => {
    try {
      fn?.()
    } catch {
      // A throwing hook or logger must not break the connection.
    }
  }

  const reportStream = (error: DingTalkStreamError, level: 'warn' | 'error'): void => {
    safe(() => logger[level]?.(error.message, { code: error.code, cause: causeCode(error.cause) }))
    for (const listener of streamErrorListeners) safe(() => listener(error))
  }

  const subscriptions = (): Subscription[] => [
    { type: 'EVENT', topic: '*' },
    ...[...callbacks.keys()].map((topic) => ({ type: 'CALLBACK' as const, topic })),
  ]

  const settleDrained = (): void => {
    if (!active) return
    for (const c of connections) {
      if (c !== active && c.state === 'draining' && c.inFlight === 0) c.close('drained after disconnect')
    }
  }

  const backoff = (n: number): number => {
    const capped = Math.min(maxMs, baseMs * 2 ** Math.min(n, 20))
    return capped / 2 + (Math.random() * capped) / 2
  }

  const establish = async (reconnect: boolean): Promise<Connection> => {
    const opened = await openConnection({
      apiBaseUrl,
      clientId,
      clientSecret: options.clientSecret,
      subscriptions: subscriptions(),
      ua: options.ua ?? 'dingtalk-kit-stream-nodejs',
      timeoutMs: openTimeoutMs,
      agent: agentFor(new URL(apiBaseUrl).protocol),
      signal: abort.signal,
    })
    if (closing) throw new DingTalkStreamError('STREAM_CLOSED', 'The Stream client was closed')
    const url = connectUrl(opened)
    const connection = new Connection(
      url,
      { agent: agentFor(url.protocol), maxFrameBytes, openTimeoutMs, idleMs, pongTimeoutMs },
      events,
    )
    connections.add(connection)
    await connection.opened
    if (closing) {
      connection.close('closed by the client')
      throw new DingTalkStreamError('STREAM_CLOSED', 'The Stream client was closed')
    }
    active = connection
    stats.connections++
    safe(() => logger.debug?.('Stream connected', { connectionId: connection.id, host: url.host, reconnect }))
    safe(() => hooks.connect?.({ connectionId: connection.id, host: url.host, reconnect }))
    settleDrained()
    return connection
  }

  const connectSoon = (reason: string, immediate: boolean): void => {
    if (closing || establishing || reconnectTimer || active) return
    const delayMs = immediate ? 0 : backoff(attempt)
    stats.reconnects++
    safe(() => hooks.reconnect?.({ attempt, delayMs, reason }))
    safe(() => logger.debug?.('Stream reconnecting', { attempt, delayMs: Math.round(delayMs), reason }))
    const run = (): void => {
      reconnectTimer = undefined
      if (closing) return
      const current = establish(true)
      establishing = current
      current.then(
        () => {
          establishing = undefined
        },
        (error: unknown) => {
          establishing = undefined
          if (closing) return
          attempt++
          if (error instanceof DingTalkStreamError) {
            reportStream(error, error instanceof DingTalkStreamCredentialsError ? 'error' : 'warn')
          }
          connectSoon(error instanceof Error ? error.message : 'connect failed', false)
        },
      )
    }
    if (delayMs === 0) run()
    else reconnectTimer = setTimeout(run, delayMs)
  }

  const send = (connection: Connection, messageId: string, text: string): boolean => {
    if (connection.send(text)) {
      stats.acksSent++
      return true
    }
    stats.acksUnsent++
    safe(() =>
      logger.debug?.('ACK not sent: its connection closed; DingTalk redelivers the frame', { messageId }),
    )
    return false
  }

  const acquire = (): Promise<void> | undefined => {
    if (running < maxConcurrency) {
      running++
      return undefined
    }
    return new Promise<void>((resolve) => queue.push(resolve))
  }

  const release = (): void => {
    const next = queue.shift()
    if (next) next()
    else running--
  }

  const handleEvent = async (frame: DownFrame): Promise<{ outcome: DeliveryOutcome; id: string }> => {
    const parsed = parseStreamEvent(frame.headers, frame.data)
    const eventId = frame.headers.eventId
    const id = eventId ? `id:${eventId}` : `msg:${frame.messageId}`
    try {
      const outcome = await dispatcher.deliver([{ parsed, id }], {
        transport: 'stream',
        receiveId: clientId,
        deadlineAt: Number.POSITIVE_INFINITY,
        frame,
      })
      return { outcome, id }
    } catch (cause) {
      // A dispatcher given by the app could throw (core's never does).
      dispatcher.reporter.report(
        'CALLBACK_STORE_FAILED',
        'The event dispatcher failed; asking DingTalk to redeliver',
        {
          cause,
          transport: 'stream',
        },
      )
      return { outcome: { kind: 'retry' }, id }
    }
  }

  const handleCallback = async (frame: DownFrame): Promise<{ outcome: DeliveryOutcome; id: string }> => {
    let data: unknown = frame.data
    try {
      data = JSON.parse(frame.data)
    } catch {
      // Not JSON: the handler gets the text.
    }
    const id = callbackId(frame.topic, data, frame.messageId)
    const handler = callbacks.get(frame.topic)
    const key = callbackLedger.keyFor(namespace, id)
    // The answer is kept beside the ledger's mark: a redelivered card callback gets the same card update.
    const responseKey = `${key}:response`
    try {
      const claim = await callbackLedger.claim(key, Number.POSITIVE_INFINITY)
      if (claim === 'done') {
        const stored = await dispatcher.store.get(responseKey)
        const result: unknown = stored === undefined ? undefined : JSON.parse(stored)
        return { outcome: { kind: 'ack', result, duplicate: true }, id }
      }
      if (claim === 'busy') return { outcome: { kind: 'retry' }, id }
      let result: unknown
      try {
        result = await handler?.(data, {
          topic: frame.topic,
          messageId: frame.messageId,
          headers: frame.headers,
          id,
        })
      } catch (cause) {
        await claim.finish(false)
        dispatcher.reporter.report(
          'CALLBACK_HANDLER_FAILED',
          `A ${frame.topic} callback handler failed; asking DingTalk to redeliver`,
          { eventType: frame.topic, cause, transport: 'stream' },
        )
        return { outcome: { kind: 'retry' }, id }
      }
      const json = result === undefined ? undefined : safeJson(result)
      if (json !== undefined) await dispatcher.store.set(responseKey, json, callbackTtlMs)
      await claim.finish(true)
      return { outcome: { kind: 'ack', result }, id }
    } catch (cause) {
      dispatcher.reporter.report('CALLBACK_STORE_FAILED', 'The store failed; asking DingTalk to redeliver', {
        eventType: frame.topic,
        cause,
        transport: 'stream',
      })
      return { outcome: { kind: 'retry' }, id }
    }
  }

  const take = (connection: Connection, frame: DownFrame, type: 'EVENT' | 'CALLBACK'): void => {
    connection.inFlight++
    const task = (async () => {
      await acquire()
      try {
        const { outcome, id } = type === 'EVENT' ? await handleEvent(frame) : await handleCallback(frame)
        if (outcome.kind === 'ack' && outcome.duplicate) {
          stats.redeliveries++
          safe(() =>
            logger.debug?.('Redelivery acknowledged without running handlers', { type, topic: frame.topic }),
          )
          safe(() => hooks.redelivery?.({ messageId: frame.messageId, type, topic: frame.topic, id }))
        }
        const ok = outcome.kind === 'ack'
        // §13.3: EVENT → {status}; CALLBACK → {response}. One ACK per frame, after the handler.
        const text =
          type === 'EVENT'
            ? ackFrame(
                frame.messageId,
                ok ? { status: 'SUCCESS', message: 'OK' } : { status: 'LATER', message: 'handler failed' },
              )
            : ok
              ? ackFrame(frame.messageId, { response: outcome.result ?? null })
              : ackFrame(frame.messageId, { response: null }, 500, 'handler failed')
        const sent = send(connection, frame.messageId, text)
        safe(() =>
          hooks.ack?.({
            messageId: frame.messageId,
            type,
            topic: frame.topic,
            status: ok ? 'SUCCESS' : 'LATER',
            sent,
          }),
        )
      } finally {
        release()
        connection.inFlight--
        if (connection.state === 'draining' && connection.inFlight === 0) settleDrained()
      }
    })()
    tasks.add(task)
    void task.finally(() => tasks.delete(task))
  }

  const handover = (connection: Connection, frame: DownFrame): void => {
    let reason = ''
    try {
      const data: unknown = JSON.parse(frame.data)
      if (data && typeof data === 'object' && typeof (data as { reason?: unknown }).reason === 'string') {
        reason = (data as { reason: string }).reason
      }
    } catch {
      reason = ''
    }
    if (connection.state !== 'open') return
    // §13.5: the server sends nothing more on this connection and closes it ~10 s later. Open the new
    // connection now; the old one keeps its in-flight frames until their ACKs are sent, then closes.
    connection.state = 'draining'
    if (active === connection) active = undefined
    safe(() => logger.debug?.('Stream disconnect from the server', { connectionId: connection.id, reason }))
    safe(() =>
      hooks.disconnect?.({ connectionId: connection.id, reason: reason || 'disconnect', byServer: true }),
    )
    connectSoon('server disconnect', true)
    settleDrained()
  }

  const events: ConnectionEvents = {
    frame(connection, text) {
      stats.framesReceived++
      if (!gotFrame.has(connection)) {
        // A frame proves the connection healthy: the next failure backs off from the start again.
        gotFrame.add(connection)
        attempt = 0
      }
      const frame = parseFrame(text)
      if (typeof frame === 'string') {
        events.invalid(connection, frame)
        return
      }
      if (frame.type === 'SYSTEM') {
        if (frame.topic === 'ping') {
          // §13.5: answered at once, the opaque echoed.
          send(connection, frame.messageId, ackFrame(frame.messageId, frame.data))
        } else if (frame.topic === 'disconnect') {
          handover(connection, frame)
        } else {
          safe(() => logger.debug?.('SYSTEM frame ignored', { topic: frame.topic }))
        }
        return
      }
      if (frame.type !== 'EVENT' && frame.type !== 'CALLBACK') {
        events.invalid(connection, `unknown frame type ${JSON.stringify(frame.type).slice(0, 40)}`)
        return
      }
      // Closing: frames are no longer taken; unanswered, DingTalk redelivers them to another connection.
      if (closing) return
      if (frame.type === 'CALLBACK' && !callbacks.has(frame.topic)) {
        // §13.3: 404 = topic not supported.
        send(
          connection,
          frame.messageId,
          ackFrame(frame.messageId, { response: null }, 404, 'topic not supported'),
        )
        safe(() =>
          logger.warn?.('CALLBACK for a topic without a handler answered 404', { topic: frame.topic }),
        )
        safe(() =>
          hooks.ack?.({
            messageId: frame.messageId,
            type: 'CALLBACK',
            topic: frame.topic,
            status: 'NOT_FOUND',
            sent: true,
          }),
        )
        return
      }
      take(connection, frame, frame.type)
    },
    invalid(_connection, why) {
      stats.invalidFrames++
      safe(() => logger.warn?.('Malformed Stream frame ignored', { why }))
    },
    closed(connection, info: CloseInfo) {
      connections.delete(connection)
      const wasActive = active === connection
      if (!wasActive || closing) return
      // The active connection went away without a disconnect frame (network, zombie, server crash).
      active = undefined
      safe(() => hooks.disconnect?.({ connectionId: connection.id, reason: info.reason, byServer: false }))
      safe(() =>
        logger.warn?.('Stream connection lost; reconnecting', {
          connectionId: connection.id,
          code: info.code,
          reason: info.reason,
        }),
      )
      connectSoon(info.reason, false)
    },
  }

  const idle = async (): Promise<void> => {
    while (tasks.size > 0) await Promise.allSettled([...tasks])
  }

  const close = (): Promise<void> => {
    closed ??= (async () => {
      closing = true
      if (reconnectTimer) clearTimeout(reconnectTimer)
      reconnectTimer = undefined
      abort.abort()
      for (const c of connections) if (c.state === 'connecting') c.close('closed by the client')
      await establishing?.catch(() => undefined)
      await idle()
      const open = [...connections]
      for (const c of open) c.close('closed by the client')
      await Promise.all(open.map((c) => c.closedDone))
      for (const agent of agents.values()) agent.destroy()
      agents.clear()
      active = undefined
    })()
    return closed
  }

  return {
    start() {
      started ??= (async () => {
        if (closing) throw new DingTalkStreamError('STREAM_CLOSED', 'The Stream client was closed')
        const first = establish(false)
        establishing = first
        try {
          await first
        } catch (error) {
          establishing = undefined
          await close()
          throw error
        }
        establishing = undefined
      })()
      return started
    },
    close,
    on: (type, handler) => dispatcher.on(type, handler),
    onAny: (handler) => dispatcher.onAny(handler),
    onError(listener) {
      const off = dispatcher.onError(listener)
      streamErrorListeners.add(listener)
      return () => {
        off()
        streamErrorListeners.delete(listener)
      }
    },
    onCallback(topic, handler) {
      callbacks.set(topic, handler)
      return () => {
        if (callbacks.get(topic) === handler) callbacks.delete(topic)
      }
    },
    idle,
    stats: () => ({
      connected: active !== undefined,
      ...stats,
      sockets: connections.size,
      inFlight: running,
      queued: queue.length,
    }),
  }
}
