import {
  type AnyEventHandler,
  type CallbackLogger,
  DingTalkCallbackError,
  type DingTalkClient,
  type DingTalkEvent,
  type DingTalkEventType,
  type EventContext,
  type EventHandler,
  type EventHandlers,
  memoryStore,
  type ParsedEvent,
  type Store,
  type SuiteCallbackClient,
} from '@dingtalk-kit/core'
import { Ledger } from './ledger'

/**
 * One event to deliver: the typed event and its business id for the de-duplication ledger.
 *
 * @example
 * ```ts
 * const unit: DeliveryUnit = { parsed: parseStreamEvent(headers, data), id: `id:${headers.eventId}` }
 * ```
 */
export interface DeliveryUnit {
  parsed: ParsedEvent
  id: string
}

/**
 * Where a delivery came from.
 *
 * @example
 * ```ts
 * const context: DeliveryContext = { transport: 'stream', receiveId: appKey, deadlineAt: Number.POSITIVE_INFINITY }
 * ```
 */
export interface DeliveryContext {
  transport: 'stream' | 'http'
  /** The app the event was delivered to (the Stream clientId). */
  receiveId: string
  /** When the transport needs its answer (Stream: never, the ACK waits for the handler). */
  deadlineAt: number
  /** Handed to handlers as `EventContext.locals` (the Stream client passes the frame). */
  locals?: unknown
}

/**
 * `ack`: acknowledge (the handlers finished, or the event was already handled); `retry`: ask DingTalk to
 * deliver it again. `duplicate` is set when the event had been handled before.
 *
 * @example
 * ```ts
 * const outcome: DeliveryOutcome = await dispatcher.deliver([unit], context)
 * ```
 */
export type DeliveryOutcome = { kind: 'ack'; result?: unknown; duplicate?: boolean } | { kind: 'retry' }

/**
 * The event pipeline the Stream client feeds: handlers by event type, the de-duplication ledger, error
 * listeners. Core's `createEventDispatcher` (shared with HTTP callbacks) fits it; without one, the client
 * builds its own from the dispatcher options.
 *
 * @example
 * ```ts
 * createStreamClient({ clientId, clientSecret, dispatcher })
 * ```
 */
export interface StreamDispatcher<S extends SuiteCallbackClient = SuiteCallbackClient> {
  on<K extends DingTalkEventType>(type: K, handler: EventHandler<K, S>): () => void
  onAny(handler: AnyEventHandler<S>): () => void
  onError(listener: (error: DingTalkCallbackError) => void): () => void
  idle(): Promise<void>
  deliver(units: readonly DeliveryUnit[], context: DeliveryContext): Promise<DeliveryOutcome>
}

/**
 * What the Stream client builds its dispatcher from when it is not given one.
 *
 * @example
 * ```ts
 * createStreamClient({ clientId, clientSecret, store: redisStore({ client: redis }), handlers: { user_add_org: onJoin } })
 * ```
 */
export interface DispatcherOptions<S extends SuiteCallbackClient = SuiteCallbackClient> {
  /** The corp app client, handed to handlers; its store is the default de-duplication store. */
  client?: DingTalkClient
  /** The ISV suite client, handed to handlers. */
  suiteClient?: S
  /** Where the de-duplication ledger lives; share it across instances (default: the client's store, else memory). */
  store?: Store
  handlers?: EventHandlers<S>
  onError?: (error: DingTalkCallbackError) => void
  /** How long a handled event id is remembered (default 24 h). */
  dedupeTtlMs?: number
  /** How long an in-flight lease outlives a dead instance (default 60 s). */
  inflightTtlMs?: number
}

export interface LocalDispatcher<S extends SuiteCallbackClient> extends StreamDispatcher<S> {
  readonly ledger: Ledger
  report(code: DingTalkCallbackError['code'], message: string, eventType?: string, cause?: unknown): void
}

// Until core's shared event dispatcher lands, the Stream client runs this one: the same handler
// signatures and ledger semantics as the HTTP callback handler, minus the HTTP-only deadline.
export function createLocalDispatcher<S extends SuiteCallbackClient>(
  options: DispatcherOptions<S>,
  owner: string,
  logger: CallbackLogger,
): LocalDispatcher<S> {
  const store = options.store ?? options.suiteClient?.store ?? options.client?.store ?? memoryStore()
  const ledger = new Ledger({
    store,
    owner,
    dedupeTtlMs: options.dedupeTtlMs ?? 24 * 3600_000,
    inflightTtlMs: options.inflightTtlMs ?? 60_000,
    pollMs: 50,
  })
  const specific = new Map<string, Set<AnyEventHandler<S>>>()
  const any = new Set<AnyEventHandler<S>>()
  const listeners = new Set<(error: DingTalkCallbackError) => void>()
  if (options.onError) listeners.add(options.onError)
  const running = new Set<Promise<unknown>>()

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
    code: DingTalkCallbackError['code'],
    message: string,
    eventType?: string,
    cause?: unknown,
  ): void => {
    const level = code === 'CALLBACK_UNKNOWN_EVENT' || code === 'CALLBACK_BUSY' ? 'warn' : 'error'
    try {
      logger[level]?.(message, { code, eventType, cause: causeName(cause) })
    } catch {
      // A failing logger must not change the ACK.
    }
    if (listeners.size === 0) return
    const error = new DingTalkCallbackError(code, message, {
      ...(eventType === undefined ? {} : { eventType }),
      ...(cause === undefined ? {} : { cause }),
    })
    for (const listener of listeners) {
      try {
        listener(error)
      } catch {
        // Same for a failing listener.
      }
    }
  }

  const dispatch = async (event: DingTalkEvent, context: EventContext<S>): Promise<void> => {
    const fns = [...(specific.get(event.EventType) ?? []), ...any]
    if (fns.length === 0) return
    const results = await Promise.allSettled(fns.map(async (fn) => fn(event, context)))
    const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []))
    if (failures.length === 1) throw failures[0]
    if (failures.length > 1) throw new AggregateError(failures, `${failures.length} handlers failed`)
  }

  const deliverOne = async (unit: DeliveryUnit, context: DeliveryContext): Promise<DeliveryOutcome> => {
    const { event } = unit.parsed
    if (event.EventType === 'unknown') {
      report(
        'CALLBACK_UNKNOWN_EVENT',
        `Unrecognised event acknowledged (${event.reason})`,
        event.rawEventType ?? 'unknown',
      )
    }
    const outcome = await ledger.run(unit.id, () =>
      dispatch(event, {
        receiveId: context.receiveId,
        dedupeKey: ledger.keyOf(unit.id),
        raw: unit.parsed.raw,
        sync: unit.parsed.sync,
        client: options.client,
        suiteClient: options.suiteClient,
        locals: context.locals,
      }),
    )
    if (outcome.kind === 'ack') return { kind: 'ack', duplicate: outcome.duplicate }
    if (outcome.stage === 'handler') {
      report(
        'CALLBACK_HANDLER_FAILED',
        `A ${event.EventType} handler failed; asking DingTalk to redeliver`,
        event.EventType,
        outcome.cause,
      )
    } else {
      report(
        'CALLBACK_STORE_FAILED',
        'The store failed; asking DingTalk to redeliver',
        event.EventType,
        outcome.cause,
      )
    }
    return { kind: 'retry' }
  }

  return {
    ledger,
    report,
    on,
    onAny(handler) {
      any.add(handler)
      return () => {
        any.delete(handler)
      }
    },
    onError(listener) {
      listeners.add(listener)
      return () => {
        listeners.delete(listener)
      }
    },
    async idle() {
      while (running.size > 0) await Promise.allSettled([...running])
    },
    async deliver(units, context) {
      const work = (async (): Promise<DeliveryOutcome> => {
        let duplicate = true
        for (const unit of units) {
          const outcome = await deliverOne(unit, context)
          if (outcome.kind === 'retry') return outcome
          duplicate &&= outcome.duplicate === true
        }
        return { kind: 'ack', duplicate }
      })()
      running.add(work)
      try {
        return await work
      } finally {
        running.delete(work)
      }
    },
  }
}

export function causeName(cause: unknown): string | undefined {
  if (cause === undefined) return undefined
  const code = (cause as { code?: unknown } | null)?.code
  if (typeof code === 'string') return code
  return cause instanceof Error ? cause.name : typeof cause
}
