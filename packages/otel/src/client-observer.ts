import type { ClientObserver, ObservedCall, ObservedRefresh } from '@dingtalk-kit/core'
import {
  type Attributes,
  context,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api'
import type { Instruments } from './instruments'
import { ATTRIBUTES as A } from './names'

/** A name for what failed that never quotes a value: a DingTalk error's `code`, else the error's name. */
export function errorType(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code
  if (typeof code === 'string' && code !== '') return code
  if (error instanceof Error) return error.name
  return typeof error
}

/** The path without a query string (a path given with one could carry a value). */
function cleanPath(path: string): string {
  const end = path.search(/[?#]/)
  return end === -1 ? path : path.slice(0, end)
}

/** Runs `run` with `span` as the active span, so that work started inside is traced beneath it. */
export function within<T>(span: Span, run: () => Promise<T>): Promise<T> {
  return context.with(trace.setSpan(context.active(), span), run)
}

function callAttributes(call: ObservedCall, path: string, error: unknown): Attributes {
  const attributes: Attributes = { [A.api]: call.api, [A.method]: call.method, [A.path]: path }
  if (call.errcode !== undefined) attributes[A.errcode] = call.errcode
  if (call.apiCode !== undefined) attributes[A.apiCode] = call.apiCode
  if (error !== undefined) attributes[A.errorType] = errorType(error)
  return attributes
}

function endCall(span: Span, call: ObservedCall, path: string, error: unknown, m: Instruments, t0: number) {
  const metric = callAttributes(call, path, error)
  const seconds = (performance.now() - t0) / 1000
  m.apiCalls.add(1, metric)
  m.apiDuration.record(seconds, metric)
  if (call.retries > 0) m.apiRetries.add(call.retries, { [A.api]: call.api, [A.path]: path })
  // Built anew, not copied: keys added to a copy made by `{ ...metric }` cost V8 microseconds each.
  const attributes = callAttributes(call, path, error)
  attributes[A.attempts] = call.attempts
  attributes[A.retries] = call.retries
  attributes[A.replayed] = call.replayed
  if (call.status > 0) attributes[A.status] = call.status
  if (call.subCode !== undefined) attributes[A.subCode] = call.subCode
  if (call.requestId !== undefined) attributes[A.requestId] = call.requestId
  span.setAttributes(attributes)
  if (error !== undefined) {
    m.apiErrors.add(1, metric)
    const reason = call.errcode !== undefined ? `errcode ${call.errcode}` : (call.apiCode ?? errorType(error))
    span.setStatus({ code: SpanStatusCode.ERROR, message: reason })
  }
  span.end()
}

function endRefresh(span: Span, refresh: ObservedRefresh, error: unknown, m: Instruments, t0: number) {
  const event = refresh.event
  const outcome = event?.outcome ?? 'failed'
  const attributes: Attributes = {
    [A.tokenKind]: refresh.kind,
    [A.tokenOutcome]: outcome,
    [A.tokenLease]: event?.lease ?? 'none',
  }
  const failure = event?.error ?? error
  if (failure !== undefined) {
    const type = errorType(failure)
    attributes[A.errorType] = type
    // A refresh that worked without the store (or served a stale value because of it) is a store failure.
    if (type.startsWith('STORE_')) m.storeErrors.add(1, { [A.errorType]: type, [A.storeUse]: 'token' })
  }
  m.tokenRefreshes.add(1, attributes)
  m.tokenRefreshDuration.record((performance.now() - t0) / 1000, attributes)
  span.setAttributes(attributes)
  if (outcome === 'failed') span.setStatus({ code: SpanStatusCode.ERROR, message: errorType(failure) })
  span.end()
}

/** Spans and metrics for every API call and token/ticket refresh of the clients it observes. */
export function clientObserver(tracer: Tracer, m: Instruments): ClientObserver {
  return {
    async call(call, run) {
      const path = cleanPath(call.path)
      const span = tracer.startSpan(`DingTalk ${call.method} ${path}`, {
        kind: SpanKind.CLIENT,
        attributes: { [A.api]: call.api, [A.method]: call.method, [A.path]: path },
      })
      const t0 = performance.now()
      let error: unknown
      try {
        return await within(span, run)
      } catch (caught) {
        error = caught
        throw caught
      } finally {
        endCall(span, call, path, error, m, t0)
      }
    },
    async refresh(refresh, run) {
      const span = tracer.startSpan(`DingTalk refresh ${refresh.kind}`, {
        kind: SpanKind.INTERNAL,
        attributes: { [A.tokenKind]: refresh.kind },
      })
      const t0 = performance.now()
      let error: unknown
      try {
        return await within(span, run)
      } catch (caught) {
        error = caught
        throw caught
      } finally {
        endRefresh(span, refresh, error, m, t0)
      }
    },
  }
}
