import type { DingTalkRequestError, RequestSummary } from '../errors/request-errors'
import type { QueryValue } from './request'

/** What one attempt came to, and what the attempt loop does next. */
export type Outcome =
  | { kind: 'ok'; status: number; body: unknown }
  /** §4.5: the token was rejected: drop it, refresh, replay once. */
  | { kind: 'token'; status: number; error: DingTalkRequestError }
  | { kind: 'retry'; status: number; reason: string; error: DingTalkRequestError }
  | { kind: 'fail'; status: number; error: DingTalkRequestError }

/** The parts of a request every transport shares, already defaulted. */
export interface CallInput {
  method: string
  path: string
  query: Record<string, QueryValue> | undefined
  json: unknown
  form: FormData | undefined
  idempotent: boolean
  timeoutMs: number
  signal: AbortSignal | undefined
  responseType: 'json' | 'bytes'
}

/**
 * One call on its way through the attempt loop: its request, the body encoded once, the attempts made so
 * far and, only if an error needs it, the redacted summary for messages and problem reports.
 */
export class Call {
  readonly input: CallInput
  /** Epoch ms when the first attempt started. */
  readonly started: number = Date.now()
  readonly body: string | FormData | undefined
  readonly contentType: string | undefined
  attempts = 0
  /** A transport's per-call cache (e.g. the query string, which every attempt repeats). */
  prepared: string | undefined
  #summary: RequestSummary | undefined
  readonly #summarise: (call: Call) => RequestSummary

  constructor(
    input: CallInput,
    encoded: { body: string | FormData | undefined; contentType: string | undefined },
    summarise: (call: Call) => RequestSummary,
  ) {
    this.input = input
    this.body = encoded.body
    this.contentType = encoded.contentType
    this.#summarise = summarise
  }

  get path(): string {
    return this.input.path
  }

  /** The redacted request, built the first time an error asks for it. */
  summary(): RequestSummary {
    this.#summary ??= this.#summarise(this)
    return this.#summary
  }
}

/** An attempt that failed on the way (5xx, reset, timeout, broken body): repeated only if idempotent. */
export function transient(
  call: Call,
  status: number,
  error: DingTalkRequestError,
  reason: string = error.code,
): Outcome {
  return call.input.idempotent ? { kind: 'retry', status, reason, error } : { kind: 'fail', status, error }
}
