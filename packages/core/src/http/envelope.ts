import { isRateLimited, isTokenInvalid } from '../errors/catalogue'
import { DingTalkApiError, DingTalkHttpError, DingTalkRateLimitError } from '../errors/request-errors'
import { type Call, type Outcome, transient } from './call'
import type { Redactor } from './redact'
import type { DingTalkResponse } from './request'

/** The answer parsed as a JSON object, or `undefined` when it is not one. */
export function parseObject(text: string): Record<string, unknown> | undefined {
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    return undefined
  }
  return body !== null && typeof body === 'object' && !Array.isArray(body)
    ? (body as Record<string, unknown>)
    : undefined
}

/** §10: the page that blocks an egress IP has no errcode, only `"punish":"deny"`; it may also come as HTML. */
export function isPunishPage(record: Record<string, unknown> | undefined, text: string): boolean {
  return record?.punish !== undefined || (record === undefined && /punish/i.test(text))
}

/**
 * The punish page or a bare HTTP 429 (neither carries a code). A 429 is retried like any rate limit; the punish
 * page is not (§10: the egress IP is blocked for minutes, and every request sent meanwhile only prolongs it).
 */
export function rateLimitedBy(call: Call, status: number, punished: boolean): Outcome {
  const error = new DingTalkRateLimitError({
    request: call.summary(),
    attempts: call.attempts,
    httpStatus: status,
    punished,
  })
  return punished ? { kind: 'fail', status, error } : { kind: 'retry', status, reason: 'RATE_LIMITED', error }
}

export const toErrcode = (value: unknown): number | undefined => {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined
  if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return Number(value)
  return undefined
}

export const optionalString = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined

/** A transport-level failure: no envelope came back. */
export function httpError(
  call: Call,
  status: number,
  code: 'HTTP_ERROR' | 'INVALID_RESPONSE',
  detail: string,
): DingTalkHttpError {
  return new DingTalkHttpError(code, `${call.path}: ${detail}`, {
    request: call.summary(),
    attempts: call.attempts,
    httpStatus: status,
  })
}

/**
 * Reads an `oapi` answer (§9.1): the `errcode` envelope, legacy or topapi (`sub_code`, `request_id`), with
 * HTTP status only a fallback (§4.1: errors come with HTTP 200). Decides what the attempt loop does: token
 * replay (§4.5), retry (-1, rate limits §10, transient failures of idempotent calls) or fail.
 */
export function classifyEnvelope(
  call: Call,
  text: string,
  status: number,
  withToken: boolean,
  redactor: Redactor,
): Outcome {
  const record = parseObject(text) as DingTalkResponse | undefined
  if (isPunishPage(record, text)) return rateLimitedBy(call, status, true)
  const errcode = record === undefined ? undefined : toErrcode(record.errcode)
  if (status === 429 && errcode === undefined) return rateLimitedBy(call, status, false)
  if (status >= 500 || (status >= 300 && errcode === undefined)) {
    const error = httpError(call, status, 'HTTP_ERROR', `HTTP ${status}`)
    return status >= 500 ? transient(call, status, error) : { kind: 'fail', status, error }
  }
  if (record === undefined) {
    const what = text.length === 0 ? 'an empty body' : 'a body that is not a JSON object'
    return transient(call, status, httpError(call, status, 'INVALID_RESPONSE', `DingTalk sent ${what}`))
  }
  if (errcode === undefined || errcode === 0) {
    if (record.errcode !== undefined && errcode === undefined) {
      const error = httpError(call, status, 'INVALID_RESPONSE', 'errcode is not a number')
      return { kind: 'fail', status, error }
    }
    return { kind: 'ok', status, body: record }
  }
  const subCode = optionalString(record.sub_code)
  const details = {
    errcode,
    errmsg: redactor.text(optionalString(record.errmsg) ?? ''),
    subCode,
    subMsg: optionalString(record.sub_msg),
    requestId: optionalString(record.request_id),
    request: call.summary(),
    attempts: call.attempts,
    httpStatus: status,
  }
  if (withToken && isTokenInvalid(errcode, subCode)) {
    return { kind: 'token', status, error: new DingTalkApiError(details) }
  }
  if (errcode === -1)
    return { kind: 'retry', status, reason: 'SYSTEM_BUSY', error: new DingTalkApiError(details) }
  if (isRateLimited(errcode)) {
    const error = new DingTalkRateLimitError({ ...details, punished: false })
    return { kind: 'retry', status, reason: 'RATE_LIMITED', error }
  }
  return { kind: 'fail', status, error: new DingTalkApiError(details) }
}
