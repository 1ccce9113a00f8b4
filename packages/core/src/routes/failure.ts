import { DingTalkError } from '../errors/base'
import {
  DingTalkApiError,
  DingTalkRateLimitError,
  DingTalkRequestError,
  DingTalkTokenError,
} from '../errors/request-errors'
import { DingTalkStoreError } from '../errors/store'
import { DingTalkSuiteError } from '../errors/suite'

/**
 * The answer of a route, for the adapter to write as is.
 *
 * @example
 * ```ts
 * res.writeHead(response.status, response.headers).end(response.body)
 * ```
 */
export interface RouteResponse {
  status: number
  headers: Record<string, string>
  body: string
}

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }

/** A route's refusal with its status and JSON body (bad parameters, a foreign origin, …). */
export class RouteFailure {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {}
}

/** A JSON answer that is never cached. */
export function json(status: number, body: unknown, extra?: Record<string, string>): RouteResponse {
  return { status, headers: { ...JSON_HEADERS, ...extra }, body: JSON.stringify(body) }
}

/** The one mapping of errors to HTTP status for the GET routes; never a secret in the body. */
export function failure(error: unknown): RouteResponse {
  if (error instanceof RouteFailure) return json(error.status, error.body)
  if (error instanceof DingTalkApiError) {
    // §5.1: an invalid, expired or used free-login code (40078 on newer DingTalk, 40029 on older).
    const status = error.errcode === 40029 || error.errcode === 40078 ? 401 : 502
    const name = status === 401 ? 'invalid_code' : 'dingtalk_error'
    return json(status, { error: name, errcode: error.errcode, requestId: error.requestId ?? null })
  }
  if (error instanceof DingTalkRateLimitError) {
    return json(
      429,
      { error: 'rate_limited', errcode: error.errcode ?? null, requestId: error.requestId ?? null },
      { 'retry-after': '1' },
    )
  }
  if (error instanceof DingTalkRequestError)
    return json(502, { error: 'dingtalk_unavailable', code: error.code })
  if (error instanceof DingTalkSuiteError) {
    // 48004: the corp has not authorised the suite; 40085: no suite_ticket pushed yet (§2.3, §4.3).
    return error.code === 'CORP_NOT_AUTHORIZED'
      ? json(403, { error: 'corp_not_authorized', errcode: error.errcode })
      : json(503, { error: 'suite_not_ready', errcode: error.errcode }, { 'retry-after': '1' })
  }
  // The shared store (Redis) is down or another instance's refresh did not finish: try again shortly.
  if (error instanceof DingTalkStoreError || error instanceof DingTalkTokenError) {
    return json(503, { error: 'temporarily_unavailable', code: error.code }, { 'retry-after': '1' })
  }
  if (error instanceof DingTalkError) return json(500, { error: 'misconfigured', code: error.code })
  return json(500, { error: 'internal_error' })
}
