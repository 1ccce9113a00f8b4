import type { DingTalkClient } from '../client'
import type { DingTalkCallbackError } from '../errors/callback'
import { memoryStore, type Store } from '../store/store'
import type {
  AnyEventHandler,
  CallbackLogger,
  EventContext,
  EventHandler,
  EventHandlers,
  EventTransport,
  SuiteCallbackClient,
  WaitUntilContext,
} from './context'
import { createBackground, LATE, untilDeadline } from './deadline'
import { createHandlerRegistry, type HandlerRegistry } from './handler-registry'
import { createDedupeLedger, type DedupeLedger, type LedgerClaim } from './ledger'
import {
  type DeliveryOutcome,
  type DeliveryRecord,
  type EventObserver,
  EventObservers,
  observeDelivery,
  observeHandlers,
} from './observer'
import { createReporter, type Reporter } from './reporter'
import { suiteStepFor } from './suite-steps'

export type { DeliveryOutcome } from './observer'

import type { DingTalkEvent, DingTalkEventType, ParsedEvent } from './types'

/**
 * Options of {@link createEventDispatcher}.
 *
 * @example
 * ```ts
 * const events: EventDispatcherOptions = { client, logger: console, handlers: { user_leave_org: (e) => disable(e.UserId) } }
 * ```
 */
export interface EventDispatcherOptions<S extends SuiteCallbackClient = SuiteCallbackClient, L = unknown> {
  /** The corp app client, handed to handlers. */
  client?: DingTalkClient
  /** The ISV suite client: enables the built-in suite_ticket / tmp_auth_code / suite_relieve steps. */
  suiteClient?: S
  /**
   * Where de-duplication marks live; share one across instances. Default: the suite client's or the client's
   * store (so a Redis-backed client de-duplicates across instances with no extra setup), else `memoryStore()`.
   */
  store?: Store
  handlers?: EventHandlers<S, L>
  /** Where failures are written. Default: warnings and errors to the console; `{}` turns it off. */
  logger?: CallbackLogger
  onError?: (error: DingTalkCallbackError) => void
  /**
   * The app whose events these are, scoping the de-duplication marks. Default: the client's appKey, the suite
   * client's suiteKey or the client's corpId — the same for every transport, so an event that arrives over
   * both HTTP and Stream is handled once.
   */
  namespace?: string
  /** How long a handled event is remembered (default 24 h). */
  dedupeTtlMs?: number
  /** How long an in-flight mark lives if its process dies mid-event (default 60 s). */
  inflightTtlMs?: number
  /** How often a duplicate polls the store while another instance handles the event (default 50 ms). */
  pollIntervalMs?: number
  /** Clock in epoch ms (tests). */
  now?: () => number
}

/**
 * One event for {@link EventDispatcher.deliver}, with the business id that identifies it across
 * redeliveries and transports (see `eventIdOf`).
 *
 * @example
 * ```ts
 * const delivery: EventDelivery = { parsed, id: `id:${frame.headers.eventId}` }
 * ```
 */
export interface EventDelivery {
  parsed: ParsedEvent
  id: string
}

/**
 * How a transport hands events over.
 *
 * @example
 * ```ts
 * const options: DeliveryOptions = { transport: 'stream', receiveId: appKey, frame }
 * ```
 */
export interface DeliveryOptions extends WaitUntilContext {
  transport: EventTransport
  /** The receive-id (HTTP) or clientId (Stream) the events came for. */
  receiveId: string
  /**
   * Epoch ms by which the transport must answer: handlers still running then finish in the background and
   * the events are acknowledged. Default `Infinity`: wait for the handlers (Stream ACKs after them).
   */
  deadlineAt?: number
  /** The transport's envelope, handed to handlers as `EventContext.frame`. */
  frame?: unknown
  /** The HTTP status a retry is answered with, for reports (503 for callbacks). */
  retryStatus?: number
}

/**
 * The one event pipeline every transport feeds (ARCHITECTURE "one event pipeline, many transports"): typed
 * handlers, de-duplication on the business id through the shared store, the built-in ISV steps, the
 * transport's deadline, background work and error reports.
 *
 * @example
 * ```ts
 * const events = createEventDispatcher({ client })
 * events.on('user_add_org', (e) => syncUsers(e.UserId))
 * const callback = createCallbackHandler({ token, aesKey, dispatcher: events })
 * const stream = createStreamClient({ client, dispatcher: events }) // the same handlers, handled once
 * ```
 */
export interface EventDispatcher<S extends SuiteCallbackClient = SuiteCallbackClient, L = unknown> {
  /** The store the de-duplication marks live in. */
  readonly store: Store
  /** The corp app client handlers receive. */
  readonly client: DingTalkClient | undefined
  /** The suite client handlers receive (and the built-in ISV steps use). */
  readonly suiteClient: S | undefined
  /** Where failures go; transports report their own rejections here too. */
  readonly reporter: Reporter
  /** Adds a handler for one event type; returns a function that removes it. */
  on<K extends DingTalkEventType>(type: K, handler: EventHandler<K, S, L>): () => void
  /** Adds a handler for every event; returns a function that removes it. */
  onAny(handler: AnyEventHandler<S, L>): () => void
  /** Adds an error listener; returns a function that removes it. */
  onError(listener: (error: DingTalkCallbackError) => void): () => void
  /**
   * Handles events at least once and at most once per business id: claims each in the ledger, runs its
   * built-in step, then the handlers, and marks it done. Never throws.
   */
  deliver(deliveries: readonly EventDelivery[], options: DeliveryOptions): Promise<DeliveryOutcome>
  /** Runs the handlers of an event that needs no de-duplication (URL checks); failures are only reported. */
  announce(parsed: ParsedEvent, options: DeliveryOptions): Promise<void>
  /** Resolves when every handler still running after its answer has finished. */
  idle(): Promise<void>
  /**
   * Adds an observer of every delivery and of the handlers of every event (e.g. `@dingtalk-kit/otel`, which
   * traces them); returns a function that removes it. See {@link EventObserver}.
   *
   * @example
   * ```ts
   * const stop = dispatcher.observe({ delivery: (d, run) => run().finally(() => console.log(d.eventTypes, d.outcome)) })
   * ```
   */
  observe(observer: EventObserver): () => void
}

interface Claimed {
  parsed: ParsedEvent
  claim: LedgerClaim
  step: (() => Promise<void>) | undefined
}

/**
 * Creates the event pipeline that HTTP callbacks, Stream frames and robot requests share.
 *
 * @example
 * ```ts
 * const events = createEventDispatcher({ client, store: redisStore({ client: redis }) })
 * events.on('user_leave_org', (e, ctx) => console.log(ctx.transport, e.UserId))
 * ```
 */
export function createEventDispatcher<S extends SuiteCallbackClient = SuiteCallbackClient, L = unknown>(
  options: EventDispatcherOptions<S, L> = {},
): EventDispatcher<S, L> {
  const { client, suiteClient } = options
  const store = options.store ?? suiteClient?.store ?? client?.store ?? memoryStore()
  const now = options.now ?? Date.now
  const namespace = options.namespace ?? client?.appKey ?? suiteClient?.suiteKey ?? client?.corpId
  const reporter = createReporter({ logger: options.logger, onError: options.onError })
  const ledger = createDedupeLedger({
    store,
    now,
    ...(options.dedupeTtlMs === undefined ? {} : { doneTtlMs: options.dedupeTtlMs }),
    ...(options.inflightTtlMs === undefined ? {} : { inflightTtlMs: options.inflightTtlMs }),
    ...(options.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.pollIntervalMs }),
    onStoreError: (message, cause) => reporter.report('CALLBACK_STORE_FAILED', message, { cause }),
  })
  const handlers = createHandlerRegistry<S, L>(options.handlers)
  const background = createBackground()
  const observers = new EventObservers()

  const contextOf = (parsed: ParsedEvent, delivery: DeliveryOptions, key: string | undefined) =>
    ({
      receiveId: delivery.receiveId,
      dedupeKey: key,
      raw: parsed.raw,
      sync: parsed.sync,
      client,
      suiteClient,
      locals: delivery.locals as L | undefined,
      transport: delivery.transport,
      frame: delivery.frame,
    }) satisfies EventContext<S, L>

  const run: RunSteps<S, L> = {
    reporter,
    ledger,
    handlers,
    background,
    now,
    suiteClient,
    contextOf,
    observers,
  }
  const deliverSafely = (
    deliveries: readonly EventDelivery[],
    delivery: DeliveryOptions,
    record: DeliveryRecord | undefined,
  ): Promise<DeliveryOutcome> =>
    deliverAll(run, deliveries, delivery, namespace ?? delivery.receiveId, record).catch((cause: unknown) => {
      // Unreachable by design; still never a throw at the transport.
      reporter.report('CALLBACK_STORE_FAILED', 'Handling failed; asking DingTalk to re-push', {
        status: delivery.retryStatus,
        cause,
        transport: delivery.transport,
      })
      return { kind: 'retry' } as const
    })
  return {
    store,
    client,
    suiteClient,
    reporter,
    on: handlers.on,
    onAny: handlers.onAny,
    onError: reporter.onError,
    idle: background.idle,
    observe: (observer) => observers.add(observer),
    deliver: (deliveries, delivery) => observeDelivery(observers, deliveries, delivery, now, deliverSafely),
    async announce(parsed, delivery) {
      // URL checks are answered `success` whatever the handlers do: the outcome is always an ack.
      await observeDelivery(observers, [{ parsed }], delivery, now, async () =>
        (await announce(parsed, delivery)) ? { kind: 'ack', late: true } : { kind: 'ack' },
      )
    },
  }

  /** Runs the handlers of a URL check; `true` when they were still running at the deadline. */
  async function announce(parsed: ParsedEvent, delivery: DeliveryOptions): Promise<boolean> {
    const { event } = parsed
    let answered = false
    const work = observeHandlers(observers, event.EventType, delivery.transport, () =>
      handlers.dispatch(event, contextOf(parsed, delivery, undefined)),
    ).catch((cause: unknown) => {
      reporter.report('CALLBACK_HANDLER_FAILED', `A ${event.EventType} handler failed (answered anyway)`, {
        eventType: event.EventType,
        cause,
        transport: delivery.transport,
        ...(answered ? {} : { status: 200 }),
      })
    })
    const result = await untilDeadline(work, delivery.deadlineAt ?? Number.POSITIVE_INFINITY, now)
    if (result !== LATE) return false
    answered = true
    background.run(work, delivery)
    return true
  }
}

interface RunSteps<S extends SuiteCallbackClient, L> {
  reporter: Reporter
  ledger: DedupeLedger
  handlers: HandlerRegistry<S, L>
  background: ReturnType<typeof createBackground>
  now: () => number
  suiteClient: S | undefined
  contextOf(parsed: ParsedEvent, delivery: DeliveryOptions, key: string | undefined): EventContext<S, L>
  observers: EventObservers
}

async function deliverAll<S extends SuiteCallbackClient, L>(
  run: RunSteps<S, L>,
  deliveries: readonly EventDelivery[],
  delivery: DeliveryOptions,
  namespace: string,
  record: DeliveryRecord | undefined,
): Promise<DeliveryOutcome> {
  const deadlineAt = delivery.deadlineAt ?? Number.POSITIVE_INFINITY
  const claimed = await claimAll(run, deliveries, delivery, namespace, deadlineAt, record)
  if (claimed === 'retry') return { kind: 'retry' }
  if (claimed.length === 0) return deliveries.length > 0 ? { kind: 'ack', duplicate: true } : { kind: 'ack' }
  let answered = false
  const work = runClaimed(run, claimed, delivery, () => answered)
  const outcome = await untilDeadline(work, deadlineAt, run.now)
  if (outcome === LATE) {
    answered = true
    run.reporter.logger.warn?.(
      'Handlers still running at the deadline; acknowledged, finishing in the background',
      {
        eventTypes: claimed.map((c) => c.parsed.event.EventType),
      },
    )
    run.background.run(work, delivery)
    return { kind: 'ack', late: true }
  }
  if (!outcome.ok) return { kind: 'retry' }
  return deliveries.length === 1 && outcome.result !== undefined
    ? { kind: 'ack', result: outcome.result }
    : { kind: 'ack' }
}

/** Runs the handlers of each claimed event in turn, and finishes its claim: done, or given back. */
async function runClaimed<S extends SuiteCallbackClient, L>(
  run: RunSteps<S, L>,
  claimed: readonly Claimed[],
  delivery: DeliveryOptions,
  answered: () => boolean,
): Promise<{ ok: boolean; result: unknown }> {
  let ok = true
  let result: unknown
  for (const { parsed, claim } of claimed) {
    const { event } = parsed
    let done = false
    try {
      result = await observeHandlers(run.observers, event.EventType, delivery.transport, () =>
        run.handlers.dispatch(event, run.contextOf(parsed, delivery, claim.key)),
      )
      done = true
    } catch (cause) {
      ok = false
      run.reporter.report(
        'CALLBACK_HANDLER_FAILED',
        answered()
          ? `A ${event.EventType} handler failed after the reply was sent`
          : `A ${event.EventType} handler failed; asking DingTalk to re-push`,
        {
          eventType: event.EventType,
          cause,
          transport: delivery.transport,
          ...(answered() ? {} : { status: delivery.retryStatus }),
        },
      )
    }
    await claim.finish(done)
  }
  return { ok, result }
}

/** Gives every claim back (a redelivery is handled again). */
async function giveBack(claimed: readonly Claimed[]): Promise<'retry'> {
  for (const c of claimed) await c.claim.finish(false)
  return 'retry'
}

const details = (event: DingTalkEvent, delivery: DeliveryOptions) => ({
  status: delivery.retryStatus,
  eventType: event.EventType,
  transport: delivery.transport,
})

/** Claims every event in the ledger and runs the built-in steps, or gives every claim back. */
async function claimAll<S extends SuiteCallbackClient, L>(
  run: RunSteps<S, L>,
  deliveries: readonly EventDelivery[],
  delivery: DeliveryOptions,
  namespace: string,
  deadlineAt: number,
  record: DeliveryRecord | undefined,
): Promise<Claimed[] | 'retry'> {
  const { reporter } = run
  const claimed: Claimed[] = []
  try {
    for (const { parsed, id } of deliveries) {
      const { event } = parsed
      if (event.EventType === 'unknown') {
        reporter.report('CALLBACK_UNKNOWN_EVENT', `Unrecognised event acknowledged (${event.reason})`, {
          eventType: event.rawEventType ?? 'unknown',
          transport: delivery.transport,
        })
      }
      const step = suiteStepFor(event, run.suiteClient, reporter)
      const claim = await run.ledger.claim(run.ledger.keyFor(namespace, id), deadlineAt)
      if (claim === 'done') {
        if (record !== undefined) record.duplicates++
        reporter.logger.debug?.('Duplicate event acknowledged', { eventType: event.EventType })
        continue
      }
      if (claim === 'busy') {
        reporter.report(
          'CALLBACK_BUSY',
          'The same event is still being handled; asking DingTalk to re-push',
          details(event, delivery),
        )
        return giveBack(claimed)
      }
      claimed.push({ parsed, claim, step })
    }
    // Built-in ISV steps persist before anything is acknowledged, whatever the deadline (§2.3).
    for (const { parsed, claim, step } of claimed) {
      if (!step || (await claim.builtinDone())) continue
      try {
        await step()
      } catch (cause) {
        const type = parsed.event.EventType
        reporter.report(
          'CALLBACK_SUITE_FAILED',
          `Built-in ${type} handling failed; asking DingTalk to re-push`,
          {
            ...details(parsed.event, delivery),
            cause,
          },
        )
        return giveBack(claimed)
      }
      await claim.markBuiltinDone()
    }
    return claimed
  } catch (cause) {
    reporter.report('CALLBACK_STORE_FAILED', 'The store failed; asking DingTalk to re-push', {
      status: delivery.retryStatus,
      cause,
      transport: delivery.transport,
    })
    return giveBack(claimed)
  }
}
