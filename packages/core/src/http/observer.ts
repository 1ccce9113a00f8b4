import type { ObservedRefresh } from '../auth/token-cache'
import { DingTalkApiError, DingTalkRateLimitError } from '../errors/request-errors'
import { DingTalkV1ApiError } from '../errors/v1-api'
import { ObserverSet } from '../observe'
import type { Call, Outcome } from './call'
import type { ResponseEvent } from './hooks'

/**
 * One API call as a {@link ClientObserver} sees it: what was called, then — updated after every attempt and
 * complete when the call settles — how it went. Never a token, a query string or a body.
 *
 * @example
 * ```ts
 * const observer: ClientObserver = {
 *   async call(call, run) {
 *     try {
 *       return await run()
 *     } finally {
 *       console.log(call.method, call.path, call.errcode, call.attempts, call.replayed)
 *     }
 *   },
 * }
 * ```
 */
export interface ObservedCall {
  /** `oapi` (oapi.dingtalk.com, the legacy API) or `v1` (api.dingtalk.com). */
  readonly api: 'oapi' | 'v1'
  readonly method: string
  /** The path as the request gave it, e.g. `/topapi/v2/user/get` (the token is never part of it). */
  readonly path: string
  /** Attempts sent so far: the first, the retries and a replay after a token refresh. */
  readonly attempts: number
  /** Attempts repeated after a transient failure or a rate limit (§10). */
  readonly retries: number
  /** Whether DingTalk rejected the token and the call was replayed once with a fresh one (§4.5). */
  readonly replayed: boolean
  /** HTTP status of the last answer; 0 before the first or when it failed in transport. */
  readonly status: number
  /** oapi errcode of the last answer: 0 for a success, `undefined` for v1.0 answers and transport failures. */
  readonly errcode: number | undefined
  /** oapi `sub_code` of the last answer, when DingTalk gave one. */
  readonly subCode: string | undefined
  /** api.dingtalk.com error `code` of the last answer (e.g. `InvalidAuthentication`). */
  readonly apiCode: string | undefined
  /** DingTalk's request id of the last answer, when it gave one. */
  readonly requestId: string | undefined
}

/**
 * Observes a client's API calls and token/ticket refreshes from the outside, e.g. to trace them
 * (`@dingtalk-kit/otel`). Each method runs `run` exactly once — typically inside a tracing context, so that
 * what the work does is traced beneath it — and returns its result unchanged. Added with
 * `client.observe()`; a client without observers pays one property read per call.
 *
 * @example
 * ```ts
 * const stop = client.observe({
 *   async call(call, run) {
 *     const started = performance.now()
 *     try {
 *       return await run()
 *     } finally {
 *       metrics.timing(`dingtalk${call.path}`, performance.now() - started, { errcode: call.errcode })
 *     }
 *   },
 *   refresh: (refresh, run) => run().finally(() => metrics.count(`refresh.${refresh.kind}.${refresh.event?.outcome}`)),
 * })
 * stop() // removes it
 * ```
 */
export interface ClientObserver {
  /** Around each API call, from before its token is read to its last attempt. */
  call?<T>(call: ObservedCall, run: () => Promise<T>): Promise<T>
  /** Around each refresh of a token or ticket (one per cache at a time, whatever the number of callers). */
  refresh?<T>(refresh: ObservedRefresh, run: () => Promise<T>): Promise<T>
}

/** Internal: the observers of one client, shared by its pipelines and its token caches. */
export class ClientObservers extends ObserverSet<ClientObserver> {
  constructor() {
    super(['call', 'refresh'])
  }
}

/** Internal: an {@link ObservedCall} filled in by the attempt loop; only made when a call is observed. */
export class CallRecord implements ObservedCall {
  retries = 0
  replayed = false
  status = 0
  errcode: number | undefined
  subCode: string | undefined
  apiCode: string | undefined
  requestId: string | undefined
  readonly #call: Call

  constructor(
    readonly api: 'oapi' | 'v1',
    call: Call,
  ) {
    this.#call = call
  }

  get method(): string {
    return this.#call.input.method
  }

  get path(): string {
    return this.#call.path
  }

  get attempts(): number {
    return this.#call.attempts
  }

  /** Takes in what one attempt came to. */
  settle(outcome: Outcome, okErrcode: number | undefined): void {
    const details = outcomeDetails(outcome, okErrcode)
    this.status = outcome.status
    this.errcode = details.errcode
    this.subCode = details.subCode
    this.apiCode = details.apiCode
    this.requestId = details.requestId
    if (outcome.kind === 'ok' && this.requestId === undefined) {
      const body = outcome.body as { request_id?: unknown } | null
      if (typeof body?.request_id === 'string') this.requestId = body.request_id
    }
  }
}

/** What DingTalk said in one attempt's answer, or the code of the error it failed with in transport. */
export type OutcomeDetails = Pick<
  ResponseEvent,
  'errcode' | 'errmsg' | 'subCode' | 'requestId' | 'apiCode' | 'error'
>

/** Reads the errcode, sub_code, v1.0 code and request id of an attempt's outcome (hooks and observers). */
export function outcomeDetails(outcome: Outcome, okErrcode: number | undefined): OutcomeDetails {
  const out: OutcomeDetails = {}
  if (outcome.kind === 'ok') {
    if (okErrcode !== undefined) out.errcode = okErrcode
    return out
  }
  const error = outcome.error
  if (error instanceof DingTalkApiError) {
    out.errcode = error.errcode
    out.errmsg = error.errmsg
    if (error.subCode !== undefined) out.subCode = error.subCode
    if (error.requestId !== undefined) out.requestId = error.requestId
  } else if (error instanceof DingTalkV1ApiError) {
    out.apiCode = error.apiCode
    out.errmsg = error.apiMessage
    if (error.requestId !== undefined) out.requestId = error.requestId
  } else if (error instanceof DingTalkRateLimitError && error.errcode !== undefined) {
    out.errcode = error.errcode
  } else if (error instanceof DingTalkRateLimitError && error.apiCode !== undefined) {
    out.apiCode = error.apiCode
    if (error.requestId !== undefined) out.requestId = error.requestId
  } else {
    out.error = error.code
  }
  return out
}
