import type { DingTalkCallbackError, EventObserver, ObservedDelivery } from '@dingtalk-kit/core'
import { type Attributes, type Span, SpanKind, SpanStatusCode, type Tracer } from '@opentelemetry/api'
import { errorType, within } from './client-observer'
import type { Instruments } from './instruments'
import { ATTRIBUTES as A } from './names'

/** `ack`, `retry`, `duplicate` (every event handled before) or `late` (acknowledged at the deadline). */
export function outcomeOf(delivery: ObservedDelivery): string {
  const outcome = delivery.outcome
  if (outcome === undefined) return 'error'
  if (outcome.kind === 'retry') return 'retry'
  if (outcome.duplicate) return 'duplicate'
  return outcome.late ? 'late' : 'ack'
}

function spanName(delivery: ObservedDelivery): string {
  const [first] = delivery.eventTypes
  const what = delivery.eventTypes.length === 1 && first !== undefined ? first : 'batch'
  return `DingTalk ${delivery.transport} ${what}`
}

function endDelivery(span: Span, delivery: ObservedDelivery, m: Instruments, now: () => number): void {
  const outcome = outcomeOf(delivery)
  const elapsedMs = now() - delivery.startedAt
  const metric: Attributes = { [A.transport]: delivery.transport, [A.outcome]: outcome }
  m.deliveries.add(1, metric)
  m.deliveryDuration.record(Math.max(0, elapsedMs) / 1000, metric)
  if (delivery.duplicates > 0) m.duplicates.add(delivery.duplicates, { [A.transport]: delivery.transport })
  // Built anew, not copied: keys added to a copy made by `{ ...metric }` cost V8 microseconds each.
  const attributes: Attributes = { [A.transport]: delivery.transport, [A.outcome]: outcome }
  attributes[A.eventTypes] = [...delivery.eventTypes]
  attributes[A.eventCount] = delivery.eventTypes.length
  attributes[A.duplicates] = delivery.duplicates
  const budgetMs = delivery.deadlineAt - delivery.startedAt
  if (Number.isFinite(budgetMs) && budgetMs > 0) {
    attributes[A.deadlineMs] = budgetMs
    m.deadlineUsage.record(Math.max(0, elapsedMs) / budgetMs, metric)
  }
  span.setAttributes(attributes)
  if (outcome === 'retry' || outcome === 'error') {
    span.setStatus({ code: SpanStatusCode.ERROR, message: `answered ${outcome}` })
  }
  span.end()
}

/**
 * Spans and metrics for every delivery and every event's handlers of the dispatchers it observes: the
 * delivery span is active while the pipeline runs, the handler span while the handlers run, so the API
 * calls a handler makes are traced beneath the callback that caused them.
 */
export function eventObserver(tracer: Tracer, m: Instruments, now: () => number): EventObserver {
  return {
    async delivery(delivery, run) {
      // A callback is a request to this app (its HTTP span, when there is one, is the parent); a Stream
      // frame a message it consumes.
      const kind = delivery.transport === 'stream' ? SpanKind.CONSUMER : SpanKind.SERVER
      const span = tracer.startSpan(spanName(delivery), {
        kind,
        attributes: { [A.transport]: delivery.transport },
      })
      try {
        return await within(span, run)
      } finally {
        endDelivery(span, delivery, m, now)
      }
    },
    async handlers(event, run) {
      const attributes: Attributes = { [A.eventType]: event.type, [A.transport]: event.transport }
      const span = tracer.startSpan(`DingTalk handle ${event.type}`, { kind: SpanKind.INTERNAL, attributes })
      const t0 = performance.now()
      let failure: unknown
      try {
        return await within(span, run)
      } catch (caught) {
        failure = caught
        throw caught
      } finally {
        const outcome = failure === undefined ? 'ok' : 'error'
        m.handlerDuration.record((performance.now() - t0) / 1000, {
          [A.eventType]: event.type,
          [A.transport]: event.transport,
          [A.handlerOutcome]: outcome,
        })
        span.setAttribute(A.handlerOutcome, outcome)
        if (failure !== undefined) {
          span.setAttribute(A.errorType, errorType(failure))
          span.setStatus({ code: SpanStatusCode.ERROR, message: errorType(failure) })
        }
        span.end()
      }
    },
  }
}

/** Counts what the pipeline reports (rejections, handler and store failures) by code, never its message. */
export function errorListener(m: Instruments): (error: DingTalkCallbackError) => void {
  return (error) => {
    const attributes: Attributes = { [A.errorType]: error.code }
    if (error.transport !== undefined) attributes[A.transport] = error.transport
    m.eventErrors.add(1, attributes)
    if (error.code === 'CALLBACK_STORE_FAILED') {
      const cause = error.cause === undefined ? 'STORE_ERROR' : errorType(error.cause)
      m.storeErrors.add(1, { [A.errorType]: cause, [A.storeUse]: 'events' })
    }
  }
}
