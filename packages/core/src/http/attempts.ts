import {
  DingTalkApiError,
  DingTalkHttpError,
  DingTalkRateLimitError,
  type DingTalkRequestError,
  DingTalkTimeoutError,
} from '../errors/request-errors'
import { DingTalkV1ApiError } from '../errors/v1-api'
import { readDownload } from './body'
import { type Call, type CallInput, type Outcome, transient } from './call'
import {
  DeadlineControllers,
  type DeadlineLease,
  runtimeFetch,
  type Timed,
  timeoutReason,
  undiciTimeouts,
  within,
} from './deadline'
import { type ClientHooks, type ResponseEvent, type RetryEvent, safely } from './hooks'
import { CallRecord, type ClientObservers, outcomeDetails } from './observer'
import type { Admission, RateLimitGate } from './rate-gate'
import type { Redactor } from './redact'
import type { DingTalkBinaryResponse, TokenSource } from './request'
import { backoffDelay, type RetryOptions, sleep } from './retry'

/** What differs between DingTalk's two APIs: where the token goes and how an answer is read. */
export interface Transport {
  url(call: Call, token: string | undefined): string
  headers(call: Call, token: string | undefined): Record<string, string> | undefined
  classify(call: Call, text: string, status: number): Outcome
  /** The `errcode` response events report for a success (`0` for the oapi envelope). */
  readonly okErrcode: number | undefined
  /** Which API this transport speaks, for observers. */
  readonly api: 'oapi' | 'v1'
}

/** What the attempt loop needs of its client. */
export interface AttemptConfig {
  fetch: typeof fetch
  retry: Required<RetryOptions>
  hooks: ClientHooks
  redactor: Redactor
  /** Where the client's callers wait out DingTalk's rate limits together (§10). */
  gate: RateLimitGate
  /** Observers of whole calls (`client.observe()`); read at every call. */
  observers?: ClientObservers | undefined
}

/**
 * Runs a call to its end: one attempt after another with the current token, a token replay once (§4.5),
 * retries with backoff (§10) — for rate limits the backoff of the path's gate, shared by every caller —, each
 * attempt observed by the hooks with its URL redacted.
 */
export function runAttempts<T>(
  call: Call,
  transport: Transport,
  source: TokenSource | undefined,
  config: AttemptConfig,
): Promise<T> {
  const around = config.observers?.around.call
  if (around === undefined) return attemptLoop<T>(call, transport, source, config, undefined)
  const record = new CallRecord(transport.api, call)
  return around(record, () => attemptLoop<T>(call, transport, source, config, record))
}

async function attemptLoop<T>(
  call: Call,
  transport: Transport,
  source: TokenSource | undefined,
  config: AttemptConfig,
  record: CallRecord | undefined,
): Promise<T> {
  const { hooks, redactor } = config
  const observed = hooks.onRequest !== undefined || hooks.onResponse !== undefined
  let retries = 0
  let replayed = false
  let limitedBy: Error | undefined
  for (;;) {
    const token = source === undefined ? undefined : await source.get()
    const admitted = config.gate.admit(call.path, call.input.signal)
    const admission: Admission = admitted instanceof Promise ? await admitted : admitted
    // §10: the path stayed limited through every backoff while this caller waited its turn.
    if (admission.gaveUp === true && limitedBy !== undefined) throw limitedBy
    const attempt = ++call.attempts
    const url = transport.url(call, token)
    const shownUrl = observed ? redactor.url(url) : ''
    if (hooks.onRequest !== undefined) {
      safely(hooks.onRequest, { method: call.input.method, path: call.path, url: shownUrl, attempt })
    }
    const t0 = hooks.onResponse === undefined ? 0 : performance.now()
    let outcome: Outcome | undefined
    let goOn = true
    try {
      outcome = await attemptOnce(call, transport, url, token, config)
    } finally {
      const limited = outcome?.kind === 'retry' && outcome.reason === 'RATE_LIMITED'
      goOn = config.gate.settle(call.path, admission, limited)
    }
    record?.settle(outcome, transport.okErrcode)
    if (hooks.onResponse !== undefined) {
      const durationMs = performance.now() - t0
      safely(
        hooks.onResponse,
        responseEvent(call, shownUrl, attempt, outcome, durationMs, transport.okErrcode),
      )
    }
    if (outcome.kind === 'ok') return outcome.body as T
    if (outcome.kind === 'token' && token !== undefined && source !== undefined && !replayed) {
      // §4.5: drop exactly the token that failed, refresh, replay once.
      replayed = true
      if (record !== undefined) record.replayed = true
      await source.invalidate(token)
      safely(hooks.onRetry, retryEvent(call, attempt, 0, 'TOKEN_INVALID', outcome.error))
      continue
    }
    if (outcome.kind === 'retry' && outcome.reason === 'RATE_LIMITED') {
      // §10: waited out in the path's gate with every other caller, as long as the path makes progress —
      // unless the call asked for no retries (client.cards: its limiter shares the pause across instances).
      if (!goOn || config.retry.maxRetries === 0) throw outcome.error
      limitedBy = outcome.error
      safely(
        hooks.onRetry,
        retryEvent(call, attempt, config.gate.waitMs(call.path), outcome.reason, outcome.error),
      )
      continue
    }
    if (outcome.kind === 'retry' && retries < config.retry.maxRetries) {
      const delayMs = backoffDelay(config.retry, retries++)
      if (record !== undefined) record.retries = retries
      safely(hooks.onRetry, retryEvent(call, attempt, delayMs, outcome.reason, outcome.error))
      await sleep(delayMs)
      continue
    }
    throw outcome.error
  }
}

const deadlines = new DeadlineControllers()

const abortOnTimeout = (controller: AbortController, state: AttemptState): void => {
  state.timedOut = true
  controller.abort(timeoutReason())
}

/** What an attempt learnt on the way: its status once the answer began, and whether its timer fired. */
class AttemptState implements Timed {
  status = 0
  timedOut = false
}

/** Sends the request and reads the answer: its text, or a download's bytes. */
async function receive(
  config: AttemptConfig,
  url: string,
  init: RequestInit,
  responseType: CallInput['responseType'],
  state: AttemptState,
): Promise<string | DingTalkBinaryResponse> {
  const res = await config.fetch(url, init)
  state.status = res.status
  return responseType === 'bytes' ? readDownload(res) : res.text()
}

async function attemptOnce(
  call: Call,
  transport: Transport,
  url: string,
  token: string | undefined,
  config: AttemptConfig,
): Promise<Outcome> {
  const { input } = call
  const state = new AttemptState()
  const init: RequestInit & { dispatcher?: object } = {
    method: input.method,
    headers: transport.headers(call, token),
    body: call.body,
  }
  // The attempt's timeout: on Node's own fetch, a race plus undici's timeouts, with no signal to pay for;
  // otherwise an abort signal (see ./deadline).
  const dispatcher = config.fetch === runtimeFetch ? undiciTimeouts(input.timeoutMs) : undefined
  let lease: DeadlineLease | undefined
  let timer: ReturnType<typeof setTimeout> | undefined
  let answer: string | DingTalkBinaryResponse
  try {
    if (dispatcher !== undefined) {
      init.dispatcher = dispatcher
      if (input.signal !== undefined) init.signal = input.signal
      answer = await within(receive(config, url, init, input.responseType, state), input.timeoutMs, state)
    } else {
      lease = deadlines.acquire()
      timer = setTimeout(abortOnTimeout, input.timeoutMs, lease.controller, state)
      const own = lease.controller.signal
      init.signal = input.signal === undefined ? own : AbortSignal.any([input.signal, own])
      answer = await receive(config, url, init, input.responseType, state)
    }
  } catch (cause) {
    if (input.signal?.aborted) throw input.signal.reason ?? cause
    const error = state.timedOut
      ? new DingTalkTimeoutError({
          request: call.summary(),
          attempts: call.attempts,
          timeoutMs: input.timeoutMs,
          cause,
        })
      : new DingTalkHttpError(
          'NETWORK_ERROR',
          `${call.path}: the connection failed (${config.redactor.text(describe(cause))})`,
          { request: call.summary(), attempts: call.attempts, cause },
        )
    return transient(call, state.status, error)
  } finally {
    if (lease !== undefined) {
      clearTimeout(timer)
      deadlines.release(lease)
    }
  }
  if (typeof answer !== 'string') return { kind: 'ok', status: state.status, body: answer }
  return transport.classify(call, answer, state.status)
}

function responseEvent(
  call: Call,
  url: string,
  attempt: number,
  outcome: Outcome,
  durationMs: number,
  okErrcode: number | undefined,
): ResponseEvent {
  const { method } = call.input
  const event: ResponseEvent = { method, path: call.path, url, attempt, status: outcome.status, durationMs }
  return Object.assign(event, outcomeDetails(outcome, okErrcode))
}

function retryEvent(
  call: Call,
  attempt: number,
  delayMs: number,
  reason: string,
  error: DingTalkRequestError,
): RetryEvent {
  const event: RetryEvent = { method: call.input.method, path: call.path, attempt, delayMs, reason }
  const errcode =
    error instanceof DingTalkApiError || error instanceof DingTalkRateLimitError ? error.errcode : undefined
  if (errcode !== undefined) event.errcode = errcode
  const apiCode =
    error instanceof DingTalkV1ApiError || error instanceof DingTalkRateLimitError ? error.apiCode : undefined
  if (apiCode !== undefined) event.apiCode = apiCode
  return event
}

function describe(cause: unknown): string {
  if (cause instanceof Error) {
    const inner = cause.cause instanceof Error ? `: ${cause.cause.message}` : ''
    return `${cause.message}${inner}`
  }
  return String(cause)
}
