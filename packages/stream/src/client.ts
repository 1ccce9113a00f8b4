import {
  type AnyEventHandler,
  createEventDispatcher,
  type DingTalkCallbackError,
  type DingTalkEventType,
  type EventDispatcher,
  type EventHandler,
  type SuiteCallbackClient,
} from '@dingtalk-kit/core'
import { StreamAgents } from './agents'
import { CallbackRunner, type StreamCallbackHandler, TOPIC_CARD, TOPIC_ROBOT } from './callbacks'
import type { DingTalkStreamError } from './errors'
import { ConcurrencyGate } from './gate'
import { ConnectionLifecycle } from './lifecycle'
import type { Subscription } from './open'
import { resolveSettings, type StreamClientOptions } from './options'
import { type StreamCounters, StreamReporter, type StreamStats } from './report'
import { FrameRouter } from './router'

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
  /**
   * Adds a raw CALLBACK handler (the frame's parsed `data`); a new topic is subscribed from the next connection
   * on. For the robot and card topics it takes precedence over the typed `robot_message` / `card_callback`.
   */
  onCallback(topic: string, handler: StreamCallbackHandler): () => void
  /** Resolves when no frame is being handled or waiting. */
  idle(): Promise<void>
  stats(): StreamStats
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
 * import { createStreamClient } from '@dingtalk-kit/stream'
 *
 * const stream = createStreamClient({ clientId: process.env.APP_KEY!, clientSecret: process.env.APP_SECRET! })
 * stream.on('user_add_org', async (event) => {
 *   await syncUsers(event.CorpId, event.UserId)
 * })
 * stream.on('robot_message', async (message) => {
 *   await message.reply(`you said: ${message.text}`)
 * })
 * await stream.start()
 * process.on('SIGTERM', () => void stream.close())
 * ```
 */
export function createStreamClient<S extends SuiteCallbackClient = SuiteCallbackClient>(
  options: StreamClientOptions<S>,
): StreamClient<S> {
  const settings = resolveSettings(options)
  const dispatcher: EventDispatcher<S> =
    options.dispatcher ?? createEventDispatcher<S>({ ...options, namespace: settings.namespace })
  const reporter = new StreamReporter(options.logger ?? dispatcher.reporter.logger, options.hooks ?? {})
  const counters: StreamCounters = {
    connections: 0,
    reconnects: 0,
    framesReceived: 0,
    acksSent: 0,
    acksUnsent: 0,
    redeliveries: 0,
    invalidFrames: 0,
  }
  const callbacks = new CallbackRunner({
    dispatcher,
    namespace: settings.namespace,
    ttlMs: settings.callbackTtlMs,
    inflightTtlMs: options.inflightTtlMs,
    handlers: options.callbacks,
  })
  const gate = new ConcurrencyGate(settings.maxConcurrency)
  const lifecycle: ConnectionLifecycle = new ConnectionLifecycle({
    settings,
    agents: new StreamAgents(settings.proxy, settings.openTimeoutMs),
    reporter,
    counters,
    // Robot messages and card callbacks are always subscribed: typed `on('robot_message')` /
    // `on('card_callback')` handlers may be added at any time; DingTalk pushes them only to apps with a robot
    // or interactive cards.
    subscriptions: (): Subscription[] => [
      { type: 'EVENT', topic: '*' },
      ...[...new Set([TOPIC_ROBOT, TOPIC_CARD, ...callbacks.handlers.keys()])].map((topic) => ({
        type: 'CALLBACK' as const,
        topic,
      })),
    ],
    frames: {
      frame: (connection, text) => router.frame(connection, text),
      invalid: (connection, why) => router.invalid(connection, why),
    },
    drain: () => router.idle(),
  })
  const router = new FrameRouter<S>({
    clientId: settings.clientId,
    dispatcher,
    callbacks,
    gate,
    lifecycle,
    reporter,
    counters,
  })

  return {
    start: () => lifecycle.start(),
    close: () => lifecycle.close(),
    on: (type, handler) => dispatcher.on(type, handler),
    onAny: (handler) => dispatcher.onAny(handler),
    onError(listener) {
      const off = dispatcher.onError(listener)
      reporter.listeners.add(listener)
      return () => {
        off()
        reporter.listeners.delete(listener)
      }
    },
    onCallback(topic, handler) {
      callbacks.handlers.set(topic, handler)
      return () => {
        if (callbacks.handlers.get(topic) === handler) callbacks.handlers.delete(topic)
      }
    },
    idle: () => router.idle(),
    stats: () => ({
      connected: lifecycle.connected,
      ...counters,
      sockets: lifecycle.sockets,
      inFlight: gate.running,
      queued: gate.queued,
    }),
  }
}
