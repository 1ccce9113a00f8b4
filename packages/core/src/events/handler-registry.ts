import type {
  AnyEventHandler,
  EventContext,
  EventHandler,
  EventHandlers,
  SuiteCallbackClient,
} from './context'
import type { DingTalkEvent, DingTalkEventType } from './types'

/** The handlers of one pipeline, by event type and for every event. */
export interface HandlerRegistry<S extends SuiteCallbackClient, L> {
  on<K extends DingTalkEventType>(type: K, handler: EventHandler<K, S, L>): () => void
  onAny(handler: AnyEventHandler<S, L>): () => void
  /** Runs every handler of the event; resolves to the first value a type's handler returned. */
  dispatch(event: DingTalkEvent, context: EventContext<S, L>): Promise<unknown>
}

export function createHandlerRegistry<S extends SuiteCallbackClient, L>(
  initial: EventHandlers<S, L> | undefined,
): HandlerRegistry<S, L> {
  const specific = new Map<string, Set<AnyEventHandler<S, L>>>()
  const any = new Set<AnyEventHandler<S, L>>()
  const on = <K extends DingTalkEventType>(type: K, handler: EventHandler<K, S, L>): (() => void) => {
    let set = specific.get(type)
    if (!set) {
      set = new Set()
      specific.set(type, set)
    }
    const fn = handler as unknown as AnyEventHandler<S, L>
    set.add(fn)
    return () => {
      set.delete(fn)
    }
  }
  for (const [type, handler] of Object.entries(initial ?? {})) {
    if (typeof handler === 'function')
      on(type as DingTalkEventType, handler as EventHandler<DingTalkEventType, S, L>)
  }
  return {
    on,
    onAny(handler) {
      any.add(handler)
      return () => {
        any.delete(handler)
      }
    },
    async dispatch(event, context) {
      // Every-event handlers start first: adapters use them to put the event on their request context.
      const first = any.size
      const own = specific.get(event.EventType)
      // One handler (the common case): run it without gathering results.
      if (first + (own?.size ?? 0) === 1) {
        const only = (first === 1 ? any : own!).values().next().value!
        const value = await only(event, context)
        return first === 1 ? undefined : value
      }
      const fns = [...any, ...(own ?? [])]
      if (fns.length === 0) return undefined
      const results = await Promise.allSettled(fns.map(async (fn) => fn(event, context)))
      const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []))
      if (failures.length === 1) throw failures[0]
      if (failures.length > 1) throw new AggregateError(failures, `${failures.length} handlers failed`)
      for (const r of results.slice(first)) {
        if (r.status === 'fulfilled' && r.value !== undefined) return r.value
      }
      return undefined
    },
  }
}
