import { DingTalkRateLimitError } from '../errors/request-errors'
import { DingTalkV1ApiError } from '../errors/v1-api'
import { runAttempts, type Transport } from './attempts'
import { encodeBody } from './body'
import { Call, type Outcome, transient } from './call'
import { httpError, isPunishPage, optionalString, parseObject, rateLimitedBy } from './envelope'
import { attemptConfig, type PipelineConfig } from './pipeline'
import type { Redactor } from './redact'
import type { QueryValue } from './request'
import { summariseCall } from './summary'
import { formatQuery, joinUrl, trimBase } from './url'

/**
 * One call to an api.dingtalk.com (v1.0) endpoint: robots, interactive cards, Stream connections, OAuth2
 * login. The client's cached access_token travels in the `x-acs-dingtalk-access-token` header.
 *
 * @example
 * ```ts
 * const sent = await client.requestV1<{ processQueryKey: string }>({
 *   method: 'POST',
 *   path: '/v1.0/robot/oToMessages/batchSend',
 *   json: { robotCode, userIds: ['manager123'], msgKey: 'sampleText', msgParam: JSON.stringify({ content: '你好' }) },
 * })
 * ```
 */
export interface DingTalkV1Request {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE'
  /** Path on the v1.0 base URL, e.g. `/v1.0/robot/oToMessages/batchSend`. */
  path: string
  query?: Record<string, QueryValue>
  /** Sent as raw UTF-8 JSON with `Content-Type: application/json`. */
  json?: unknown
  /** `access_token` (default): the client's cached access_token in the header; `none`: no token. */
  auth?: 'access_token' | 'none'
  /**
   * A user's access token (the OAuth2 login's `/v1.0/oauth2/userAccessToken`) to send in the header instead
   * of the app's: for the calls made on a user's behalf, such as `/v1.0/contact/users/me`. Never cached,
   * refreshed or replayed by the client.
   */
  userAccessToken?: string
  /**
   * Whether the call may be repeated after a 5xx, reset, timeout or broken body. Default: `true` for GET,
   * `false` otherwise (a PUT or DELETE that is safe to repeat may say so).
   */
  idempotent?: boolean
  /** Overrides the client’s `timeoutMs` for this call. */
  timeoutMs?: number
  /** Cancels the call (not retried). */
  signal?: AbortSignal
  /**
   * Overrides the client's `retry.maxRetries` for this call. `client.cards` passes `0` and retries a
   * `QpsLimit` itself, through its shared limiter, so that every retry also waits for a slot.
   */
  maxRetries?: number
}

/** Where api.dingtalk.com is when nothing else is said. */
export const DEFAULT_API_BASE_URL = 'https://api.dingtalk.com'
/** Where oapi.dingtalk.com is when nothing else is said. */
export const DEFAULT_OAPI_BASE_URL = 'https://oapi.dingtalk.com'

/**
 * The v1.0 base URL of a client: `apiBaseUrl` when given; api.dingtalk.com when `baseUrl` is oapi's default;
 * else `baseUrl` itself (the emulator, or a proxy, serves both APIs on one origin).
 */
export function resolveApiBaseUrl(options: {
  baseUrl?: string | undefined
  apiBaseUrl?: string | undefined
}): string {
  if (options.apiBaseUrl !== undefined) return trimBase(options.apiBaseUrl)
  if (options.baseUrl === undefined) return DEFAULT_API_BASE_URL
  const base = trimBase(options.baseUrl)
  return base === DEFAULT_OAPI_BASE_URL ? DEFAULT_API_BASE_URL : base
}

const TOKEN_HEADER = 'x-acs-dingtalk-access-token'
const QPS_LIMIT = /QpsLimit/i
// The codes api.dingtalk.com gives a token it does not accept (besides HTTP 401).
const TOKEN_INVALID = /^(InvalidAuthentication|InvalidAccessToken|AccessTokenExpired|AccessTokenInvalid)$/

function parseJson(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) }
  } catch {
    return undefined
  }
}

function apiError(
  call: Call,
  status: number,
  apiCode: string,
  apiMessage: string,
  requestId: string | undefined,
): DingTalkV1ApiError {
  const request = call.summary()
  return new DingTalkV1ApiError({
    httpStatus: status,
    apiCode,
    apiMessage,
    requestId,
    request,
    attempts: call.attempts,
  })
}

// `QpsLimit`: retried with backoff, then thrown as DingTalkRateLimitError (§10).
function qpsLimited(
  call: Call,
  status: number,
  apiCode: string | undefined,
  apiMessage: string,
  requestId: string | undefined,
): Outcome {
  const error = new DingTalkRateLimitError({
    request: call.summary(),
    attempts: call.attempts,
    httpStatus: status,
    apiCode,
    errmsg: apiMessage,
    requestId,
    punished: false,
  })
  return { kind: 'retry', status, reason: 'RATE_LIMITED', error }
}

// §14.4: some v1.0 endpoints (card `deliver`) answer HTTP 200 with `"success": false` and the
// failure inside the body; that is a failure, not a success. The public DingTalk docs name the fields
// `errorCode`/`errorMsg` (some answers say `code`/`message`).
function unsuccessful(
  call: Call,
  record: Record<string, unknown>,
  status: number,
  redactor: Redactor,
): Outcome {
  const apiCode = optionalString(record.errorCode ?? record.code) || 'UnsuccessfulResponse'
  const apiMessage = redactor.text(
    optionalString(record.errorMsg ?? record.message ?? record.errMsg) ??
      'DingTalk answered "success": false',
  )
  const requestId = optionalString(record.requestid ?? record.requestId)
  if (QPS_LIMIT.test(apiCode) || QPS_LIMIT.test(apiMessage))
    return qpsLimited(call, status, apiCode, apiMessage, requestId)
  return { kind: 'fail', status, error: apiError(call, status, apiCode, apiMessage, requestId) }
}

function success(call: Call, text: string, status: number, redactor: Redactor): Outcome {
  if (text.trim() === '') return { kind: 'ok', status, body: {} }
  const parsed = parseJson(text)
  if (parsed === undefined) {
    if (/punish/i.test(text)) return rateLimitedBy(call, status, true)
    return transient(
      call,
      status,
      httpError(call, status, 'INVALID_RESPONSE', 'DingTalk sent a body that is not JSON'),
    )
  }
  const record = parsed.value
  if (record !== null && typeof record === 'object' && 'punish' in record)
    return rateLimitedBy(call, status, true)
  if (record !== null && typeof record === 'object' && (record as { success?: unknown }).success === false)
    return unsuccessful(call, record as Record<string, unknown>, status, redactor)
  return { kind: 'ok', status, body: record }
}

/**
 * Reads an api.dingtalk.com answer: 2xx is the payload; an error is the HTTP status with
 * `{ code, message, requestid }`. Token rejections (401, `InvalidAuthentication`) replay once with a fresh
 * token (§4.5), `QpsLimit` on 403/429 is retried with backoff like oapi's rate limits (§10).
 */
export function classifyV1(
  call: Call,
  text: string,
  status: number,
  withToken: boolean,
  redactor: Redactor,
): Outcome {
  if (status >= 200 && status < 300) return success(call, text, status, redactor)
  const record = parseObject(text)
  if (isPunishPage(record, text)) return rateLimitedBy(call, status, true)
  const apiCode = typeof record?.code === 'string' && record.code !== '' ? record.code : undefined
  const apiMessage = redactor.text(optionalString(record?.message) ?? '')
  const requestId = optionalString(record?.requestid ?? record?.requestId)
  if (status === 429 || (status === 403 && (QPS_LIMIT.test(apiCode ?? '') || QPS_LIMIT.test(text))))
    return qpsLimited(call, status, apiCode, apiMessage, requestId)
  const error =
    apiCode === undefined
      ? httpError(call, status, 'HTTP_ERROR', `HTTP ${status}`)
      : apiError(call, status, apiCode, apiMessage, requestId)
  if (withToken && (status === 401 || TOKEN_INVALID.test(apiCode ?? '')))
    return { kind: 'token', status, error }
  return status >= 500 ? transient(call, status, error, 'HTTP_ERROR') : { kind: 'fail', status, error }
}

function v1Transport(base: string, withToken: boolean, redactor: Redactor): Transport {
  return {
    okErrcode: undefined,
    api: 'v1',
    url(call) {
      call.prepared ??= joinUrl(base, call.path, formatQuery(call.input.query))
      return call.prepared
    },
    headers(call, token) {
      const headers: Record<string, string> = { Accept: 'application/json' }
      if (call.contentType !== undefined) headers['Content-Type'] = call.contentType
      if (token !== undefined) headers[TOKEN_HEADER] = token
      return headers
    },
    classify: (call, text, status) => classifyV1(call, text, status, withToken, redactor),
  }
}

/**
 * The v1.0 transport of a client: the same attempt loop, hooks, retries, redaction and access_token cache
 * as its oapi pipeline, with the token in a header and v1.0 error bodies.
 */
export function createV1Pipeline(
  config: PipelineConfig,
): <T = Record<string, unknown>>(req: DingTalkV1Request) => Promise<T> {
  const base = trimBase(config.baseUrl)
  const engine = attemptConfig(config)
  const summarise = (call: Call) => summariseCall(call, base, config.corpId, config.redactor)
  const withToken = v1Transport(base, true, config.redactor)
  const anonymous = v1Transport(base, false, config.redactor)

  const callInput = (req: DingTalkV1Request) => ({
    method: req.method,
    path: req.path,
    query: req.query,
    json: req.json,
    form: undefined,
    idempotent: req.idempotent ?? req.method === 'GET',
    timeoutMs: req.timeoutMs ?? config.timeoutMs,
    signal: req.signal,
    responseType: 'json' as const,
  })
  // The user's token goes in the header; classified as an anonymous call, so a rejected user token is the
  // caller's error (the app's token cache is not touched, nothing is replayed).
  const runAsUser = <T>(req: DingTalkV1Request, token: string): Promise<T> => {
    if (typeof token !== 'string' || token === '') {
      return Promise.reject(new TypeError('userAccessToken must be a non-empty string'))
    }
    const source = { get: () => Promise.resolve(token), invalidate: () => Promise.resolve() }
    const call = new Call(callInput(req), encodeBody(req.json, undefined), summarise)
    return runAttempts<T>(call, anonymous, source, engine)
  }

  return <T = Record<string, unknown>>(req: DingTalkV1Request): Promise<T> => {
    try {
      if (req.userAccessToken !== undefined) return runAsUser<T>(req, req.userAccessToken)
      const auth = req.auth ?? 'access_token'
      const source = auth === 'none' ? undefined : config.tokens.access_token
      if (auth !== 'none' && source === undefined) {
        throw new TypeError(
          'This client has no access_token; create it with the credentials that provide one',
        )
      }
      const call = new Call(callInput(req), encodeBody(req.json, undefined), summarise)
      const attempts =
        req.maxRetries === undefined
          ? engine
          : { ...engine, retry: { ...engine.retry, maxRetries: req.maxRetries } }
      return runAttempts<T>(call, source === undefined ? anonymous : withToken, source, attempts)
    } catch (error) {
      return Promise.reject(error)
    }
  }
}
