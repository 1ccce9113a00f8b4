import { ObserverSet } from '../observe'
import type { EventTransport } from './context'
import type { ParsedEvent } from './types'

/**
 * What the transport answers: `ack` (with the handler's return value for a single event, e.g. a card
 * update; `duplicate` when every event had been handled before, so no handler ran; `late` when handlers were
 * still running at the deadline and finish in the background) or `retry` (DingTalk delivers again: a 503 to a
 * callback, `LATER` to a Stream frame).
 *
 * @example
 * ```ts
 * const outcome: DeliveryOutcome = await dispatcher.deliver([delivery], options)
 * ack(outcome.kind === 'ack' ? 'SUCCESS' : 'LATER')
 * ```
 */
export type DeliveryOutcome =
  | { kind: 'ack'; result?: unknown; duplicate?: true; late?: true }
  | { kind: 'retry' }

/**
 * One delivery (an HTTP callback, a Stream frame) as an {@link EventObserver} sees it: how it came and, once
 * `run` has settled, what it was answered. Never the payload.
 *
 * @example
 * ```ts
 * const observer: EventObserver = {
 *   delivery: (d, run) => run().finally(() => console.log(d.transport, d.eventTypes, d.outcome?.kind, d.duplicates)),
 * }
 * ```
 */
export interface ObservedDelivery {
  readonly transport: EventTransport
  /** The types of the delivered events, in order (`check_url` and the like for `announce()`). */
  readonly eventTypes: readonly string[]
  /** Epoch ms (the dispatcher's clock) when the delivery reached the pipeline. */
  readonly startedAt: number
  /** Epoch ms by which the transport must answer; `Infinity` when it waits for the handlers (Stream). */
  readonly deadlineAt: number
  /** Events acknowledged without running their handlers because they had been handled before (re-pushes). */
  readonly duplicates: number
  /**
   * The answer, set when `run` settles: `ack` (with `late` when handlers were still running at the deadline,
   * `duplicate` when every event had been handled before) or `retry` (DingTalk delivers again).
   */
  readonly outcome: DeliveryOutcome | undefined
}

/**
 * The handlers of one event about to run, as an {@link EventObserver} sees them.
 *
 * @example
 * ```ts
 * const observer: EventObserver = { handlers: (e, run) => run().finally(() => console.log('handled', e.type)) }
 * ```
 */
export interface ObservedEvent {
  /** The event type, e.g. `user_add_org` (`unknown` for an unrecognised one). */
  readonly type: string
  readonly transport: EventTransport
}

/**
 * Observes an event pipeline from the outside, e.g. to trace it (`@dingtalk-kit/otel`). Each method runs
 * `run` exactly once and returns its result unchanged: `delivery` around each delivery from the first
 * de-duplication claim to the answer, `handlers` around the handlers of each event — so a tracing context
 * made active there reaches every API call the handlers make. Added with `dispatcher.observe()`; a
 * dispatcher without observers pays one property read per delivery and per event.
 *
 * @example
 * ```ts
 * const stop = dispatcher.observe({
 *   async handlers(event, run) {
 *     const started = performance.now()
 *     try {
 *       return await run()
 *     } finally {
 *       metrics.timing(`handler.${event.type}`, performance.now() - started)
 *     }
 *   },
 * })
 * ```
 */
export interface EventObserver {
  delivery?<T>(delivery: ObservedDelivery, run: () => Promise<T>): Promise<T>
  handlers?<T>(event: ObservedEvent, run: () => Promise<T>): Promise<T>
}

/** Internal: the observers of one dispatcher. */
export class EventObservers extends ObserverSet<EventObserver> {
  constructor() {
    super(['delivery', 'handlers'])
  }
}

/** What {@link observeDelivery} reads of a delivery. */
interface ObservableDelivery {
  transport: EventTransport
  deadlineAt?: number | undefined
}

/** Internal: an {@link ObservedDelivery} the dispatcher fills in; only made when a delivery is observed. */
export class DeliveryRecord implements ObservedDelivery {
  duplicates = 0
  outcome: DeliveryOutcome | undefined

  constructor(
    readonly transport: EventTransport,
    readonly eventTypes: readonly string[],
    readonly startedAt: number,
    readonly deadlineAt: number,
  ) {}
}

/**
 * Runs `work(events, delivery, record)` inside the delivery observers, when there are any (`record` is then
 * `undefined`). `work` takes its inputs as arguments, so a delivery nobody observes allocates nothing here.
 */
export function observeDelivery<E extends { parsed: ParsedEvent }, D extends ObservableDelivery>(
  observers: EventObservers,
  events: readonly E[],
  delivery: D,
  now: () => number,
  work: (events: readonly E[], delivery: D, record: DeliveryRecord | undefined) => Promise<DeliveryOutcome>,
): Promise<DeliveryOutcome> {
  const around = observers.around.delivery
  if (around === undefined) return work(events, delivery, undefined)
  const types = events.map((e): string => e.parsed.event.EventType)
  const deadlineAt = delivery.deadlineAt ?? Number.POSITIVE_INFINITY
  const record = new DeliveryRecord(delivery.transport, types, now(), deadlineAt)
  return around(record, async () => {
    record.outcome = await work(events, delivery, record)
    return record.outcome
  })
}

/** Runs an event's handlers inside the handler observers, when there are any. */
export function observeHandlers<T>(
  observers: EventObservers,
  type: string,
  transport: EventTransport,
  run: () => Promise<T>,
): Promise<T> {
  const around = observers.around.handlers
  return around === undefined ? run() : around({ type, transport }, run)
}
