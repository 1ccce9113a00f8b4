import type { ClientObserver, DingTalkCallbackError, EventObserver } from '@dingtalk-kit/core'
import { type MeterProvider, metrics, type TracerProvider, trace } from '@opentelemetry/api'
import { clientObserver } from './client-observer'
import { errorListener, eventObserver } from './event-observer'
import { createInstruments } from './instruments'
import { type StreamTelemetryHooks, streamHooks } from './stream-hooks'

/**
 * What `instrument()` can observe: anything with core's `observe()` — a `DingTalkClient`, a `SuiteClient`
 * (its corp clients included).
 *
 * @example
 * ```ts
 * const targets: ObservableClient[] = [client, suiteClient]
 * ```
 */
export interface ObservableClient {
  observe(observer: ClientObserver): () => void
}

/**
 * An event pipeline `instrument()` can observe: core's `EventDispatcher` (`routes.dispatcher`, the one a
 * Stream client feeds).
 *
 * @example
 * ```ts
 * const pipeline: ObservableDispatcher = routes.dispatcher
 * ```
 */
export interface ObservableDispatcher {
  observe(observer: EventObserver): () => void
  onError(listener: (error: DingTalkCallbackError) => void): () => void
}

/**
 * What to instrument. Every field is optional; `instrument()` observes what it is given, and `add()` more.
 *
 * @example
 * ```ts
 * const targets: InstrumentTargets = { client, suiteClient, routes: dt.dingtalk }
 * ```
 */
export interface InstrumentTargets {
  /** Corp app clients: a span and metrics per API call and per token/ticket refresh. */
  client?: ObservableClient | readonly ObservableClient[]
  /** An ISV suite client: its calls and suite_access_token refreshes, and those of every `forCorp()` client. */
  suiteClient?: ObservableClient
  /** An event pipeline: a span per delivery (callback, Stream event) and per event's handlers. */
  dispatcher?: ObservableDispatcher
  /** The routes of an adapter (`createDingTalkRoutes`, Koa's `dt.dingtalk`, Nest's `DingTalkRoutes`): their dispatcher. */
  routes?: { readonly dispatcher: ObservableDispatcher }
}

/**
 * Options of {@link instrument}: the targets, and where spans and metrics go.
 *
 * @example
 * ```ts
 * const options: InstrumentOptions = { client, routes, tracerProvider, meterProvider }
 * ```
 */
export interface InstrumentOptions extends InstrumentTargets {
  /** Default: the global one (`trace.getTracerProvider()`), a no-op until an SDK is registered. */
  tracerProvider?: TracerProvider
  /** Default: the global one (`metrics.getMeterProvider()`). */
  meterProvider?: MeterProvider
}

/**
 * The handle {@link instrument} returns.
 *
 * @example
 * ```ts
 * const telemetry: DingTalkTelemetry = instrument({ client })
 * telemetry.add({ suiteClient })
 * telemetry.detach()
 * ```
 */
export interface DingTalkTelemetry {
  /**
   * Hooks for `createStreamClient({ hooks })`: Stream reconnects, lost connections, ACKs and redeliveries as
   * metrics (the events a Stream client delivers are traced through the dispatcher it feeds).
   */
  readonly streamHooks: StreamTelemetryHooks
  /** Observes more clients and pipelines with the same tracer and meter (e.g. ones created later). */
  add(targets: InstrumentTargets): void
  /** Stops observing everything; spans already started still end. The Stream hooks then record nothing. */
  detach(): void
}

const SCOPE = '@dingtalk-kit/otel'

/**
 * Traces and measures a DingTalk integration with OpenTelemetry: a span per API call (method, path without the
 * token, errcode, request id, attempts, retries, token replay), per token/ticket refresh (kind, outcome,
 * whether this instance held the lease or waited), per callback or Stream event (event types, transport,
 * re-pushes, outcome, the deadline) and per event's handlers — with the trace carried from the callback into
 * the API calls its handler makes (given a context manager, as every Node SDK setup registers) — and metrics of
 * the same (see `METRICS`). No secret, token, ticket, code, query string or body is ever recorded.
 *
 * @example
 * ```ts
 * import { instrument } from '@dingtalk-kit/otel'
 *
 * const telemetry = instrument({ client, suiteClient, routes: dt.dingtalk })
 * const stream = createStreamClient({ clientId, clientSecret, dispatcher: dt.dingtalk.dispatcher, hooks: telemetry.streamHooks })
 * ```
 */
export function instrument(options: InstrumentOptions = {}): DingTalkTelemetry {
  const tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(SCOPE)
  const meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter(SCOPE)
  const instruments = createInstruments(meter)
  const calls = clientObserver(tracer, instruments)
  const events = eventObserver(tracer, instruments, Date.now)
  const onError = errorListener(instruments)
  const stops: (() => void)[] = []
  let attached = true

  const add = (targets: InstrumentTargets): void => {
    if (!attached) throw new Error('This telemetry was detached; call instrument() again')
    const clients = targets.client === undefined ? [] : [targets.client].flat()
    if (targets.suiteClient !== undefined) clients.push(targets.suiteClient)
    for (const client of new Set(clients)) stops.push(client.observe(calls))
    const dispatchers = new Set([targets.dispatcher, targets.routes?.dispatcher])
    for (const dispatcher of dispatchers) {
      if (dispatcher === undefined) continue
      stops.push(dispatcher.observe(events), dispatcher.onError(onError))
    }
  }
  add(options)
  return {
    streamHooks: streamHooks(instruments, () => attached),
    add,
    detach() {
      attached = false
      for (const stop of stops.splice(0)) stop()
    },
  }
}
