import type { TokenRefreshEvent } from '../auth/token-cache'
import { isRateLimited, isTokenInvalid } from '../errors/catalogue'
import {
  DingTalkApiError,
  DingTalkHttpError,
  DingTalkRateLimitError,
  type DingTalkRequestError,
  DingTalkTimeoutError,
  type RequestSummary,
} from '../errors/request-errors'
import type { Redactor } from './redact'

/** Query-string values; `undefined` entries are left out. */
export type QueryValue = string | number | boolean | undefined

/** Which token a call carries in its query string (§4.1). */
export type AuthMode = 'access_token' | 'suite_access_token' | 'none'

/**
 * One call to a DingTalk `oapi` endpoint.
 *
 * @example
 * ```ts
 * const body = await client.request<{ result: { name: string } }>({
 *   method: 'POST',
 *   path: '/topapi/v2/user/get',
 *   json: { userid: 'manager123', language: 'zh_CN' },
 * })
 * ```
 */
export interface DingTalkRequest {
  /** Default: `POST` when `json` or `form` is given, else `GET`. */
  method?: 'GET' | 'POST'
  /** Path on the base URL, e.g. `/topapi/v2/user/get`. */
  path: string
  query?: Record<string, QueryValue>
  /** Sent as raw UTF-8 JSON with `Content-Type: application/json` (§4.1, §6: 43004 otherwise). */
  json?: unknown
  /** Sent as `multipart/form-data` (§7: file field `media`). */
  form?: FormData
  /** Token put into the query string. Default `access_token`. */
  auth?: AuthMode
  /**
   * Whether the call may be repeated after a 5xx, reset, timeout or broken body. Default: `true` for
   * GET, `false` for POST (a POST that may have reached DingTalk is not sent twice).
   */
  idempotent?: boolean
  /** Overrides the client’s `timeoutMs` for this call. */
  timeoutMs?: number
  /** Cancels the call (not retried). */
  signal?: AbortSignal
  /**
   * `bytes` for downloads (`/media/get`): a non-JSON answer resolves to a {@link DingTalkBinaryResponse};
   * a JSON answer is still parsed as an envelope, so errors throw as usual. Default `json`.
   */
  responseType?: 'json' | 'bytes'
}

/**
 * A downloaded file (`responseType: 'bytes'`).
 *
 * @example
 * ```ts
 * const file = await client.request<DingTalkBinaryResponse>({
 *   path: '/media/get',
 *   query: { media_id: mediaId },
 *   responseType: 'bytes',
 * })
 * console.log(file.contentType, file.filename, file.bytes.byteLength)
 * ```
 */
export interface DingTalkBinaryResponse {
  bytes: Uint8Array
  contentType: string
  /** From `Content-Disposition`, when present. */
  filename: string | undefined
}

/**
 * A parsed DingTalk JSON answer (§9.1): the envelope plus the endpoint’s payload.
 *
 * @example
 * ```ts
 * const body: DingTalkResponse = await client.request({ path: '/department/list' })
 * ```
 */
export interface DingTalkResponse {
  errcode?: number | string
  errmsg?: string
  request_id?: string
  result?: unknown
  [field: string]: unknown
}

/**
 * Retry policy of {@link DingTalkRequest}s. A token-invalid replay (§4.5) happens once and does not count.
 *
 * @example
 * ```ts
 * createDingTalkClient(credentials, { retry: { maxRetries: 2, baseDelayMs: 500, maxDelayMs: 4000 } })
 * ```
 */
export interface RetryOptions {
  /** Retries after the first attempt, for -1, rate limits and (idempotent calls) transport failures. Default 3. */
  maxRetries?: number
  /** First backoff delay; doubled per retry, with jitter (§10: 1 s, 2 s, 4 s). Default 1000 ms. */
  baseDelayMs?: number
  /** Upper bound of one delay. Default 8000 ms. */
  maxDelayMs?: number
}

/** `onRequest`: an attempt is about to be sent. The URL has every secret replaced by `[redacted]`. */
export interface RequestEvent {
  method: string
  path: string
  url: string
  attempt: number
}

/** `onResponse`: an attempt got an answer (or failed in transport: `status` 0). */
export interface ResponseEvent extends RequestEvent {
  status: number
  durationMs: number
  errcode?: number
  errmsg?: string
  subCode?: string
  requestId?: string
  /** The error code (`NETWORK_ERROR`, `TIMEOUT`, …) when the attempt failed in transport. */
  error?: string
}

/** `onRetry`: a failed attempt will be repeated after `delayMs`. */
export interface RetryEvent {
  method: string
  path: string
  /** The attempt that failed. */
  attempt: number
  delayMs: number
  /** `TOKEN_INVALID`, `SYSTEM_BUSY`, `RATE_LIMITED`, `HTTP_ERROR`, `NETWORK_ERROR`, `INVALID_RESPONSE`, `TIMEOUT`. */
  reason: string
  errcode?: number
}

/** `onTokenRefresh`: a token or ticket was fetched, shared from the store, served stale, or failed. */
export interface TokenEvent {
  kind: string
  outcome: 'fetched' | 'shared' | 'stale' | 'failed'
  expiresAt?: number
  durationMs: number
  /**
   * The error’s code when the refresh failed or a stale value is served; `STORE_UNAVAILABLE` on
   * `fetched`/`shared` when the store failed and the cache ran per process.
   */
  error?: string
}

/**
 * Observers for logging and metrics. Every value they receive is already redacted; a hook that throws is
 * ignored.
 *
 * @example
 * ```ts
 * const hooks: ClientHooks = {
 *   onResponse: (e) => log.info({ path: e.path, status: e.status, errcode: e.errcode, ms: e.durationMs }),
 *   onRetry: (e) => log.warn(e),
 * }
 * ```
 */
export interface ClientHooks {
  onRequest?: (event: RequestEvent) => void
  onResponse?: (event: ResponseEvent) => void
  onRetry?: (event: RetryEvent) => void
  onTokenRefresh?: (event: TokenEvent) => void
}

/** A token source for one {@link AuthMode}: the token cache of the client. */
export interface TokenSource {
  get(): Promise<string>
  invalidate(value: string): Promise<void>
}

export interface PipelineConfig {
  baseUrl: string
  fetch: typeof fetch
  timeoutMs: number
  retry: Required<RetryOptions>
  hooks: ClientHooks
  redactor: Redactor
  tokens: Partial<Record<Exclude<AuthMode, 'none'>, TokenSource>>
  /** Added to the parameters of problem reports (the FAQ asks for the CorpId). */
  corpId?: string | undefined
}

type Outcome =
  | { kind: 'ok'; body: DingTalkResponse | DingTalkBinaryResponse }
  | { kind: 'token'; error: DingTalkRequestError }
  | { kind: 'retry'; reason: string; error: DingTalkRequestError; errcode?: number }
  | { kind: 'fail'; error: DingTalkRequestError }

const JSON_TYPE = 'application/json;charset=UTF-8'

export const safely = <E>(hook: ((event: E) => void) | undefined, event: E): void => {
  if (hook === undefined) return
  try {
    hook(event)
  } catch {
    // Observers never break calls.
  }
}

/**
 * Turns the token cache's refresh events into the `onTokenRefresh` hook's redacted `TokenEvent`: only an
 * error code, never the error (which may quote a value); a refresh that worked without the store reports
 * `STORE_UNAVAILABLE`.
 */
export const tokenRefreshReporter =
  (hooks: ClientHooks): ((event: TokenRefreshEvent) => void) =>
  (event) => {
    if (hooks.onTokenRefresh === undefined) return
    const out: TokenEvent = { kind: event.kind, outcome: event.outcome, durationMs: event.durationMs }
    if (event.expiresAt !== undefined) out.expiresAt = event.expiresAt
    if (event.error !== undefined) {
      const code = (event.error as { code?: unknown }).code
      const degraded = event.outcome === 'fetched' || event.outcome === 'shared'
      out.error = degraded ? 'STORE_UNAVAILABLE' : typeof code === 'string' ? code : 'UNKNOWN'
    }
    safely(hooks.onTokenRefresh, out)
  }

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

const toErrcode = (value: unknown): number | undefined => {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined
  if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return Number(value)
  return undefined
}

const optionalString = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined

/** Builds the request pipeline shared by every API group (and by token fetching itself). */
export function createPipeline(
  config: PipelineConfig,
): <T = DingTalkResponse>(req: DingTalkRequest) => Promise<T> {
  const base = config.baseUrl.replace(/\/+$/, '')
  const { hooks, redactor, retry } = config
  const observed =
    hooks.onRequest !== undefined || hooks.onResponse !== undefined || hooks.onRetry !== undefined

  const summarise = (req: DingTalkRequest, method: string, time: Date): RequestSummary => {
    const params: Record<string, unknown> = {}
    if (config.corpId !== undefined) params.corpid = config.corpId
    for (const [key, value] of Object.entries(req.query ?? {})) if (value !== undefined) params[key] = value
    if (req.json !== undefined) {
      if (req.json !== null && typeof req.json === 'object' && !Array.isArray(req.json))
        Object.assign(params, req.json)
      else params.body = req.json
    }
    if (req.form !== undefined) {
      for (const [key, value] of req.form) {
        params[key] = typeof value === 'string' ? value : `<file ${value.name}, ${value.size} bytes>`
      }
    }
    return {
      method,
      api: base + req.path,
      path: req.path,
      params: redactor.value(params) as Record<string, unknown>,
      time,
    }
  }

  const buildUrl = (req: DingTalkRequest, auth: AuthMode, token: string | undefined): string => {
    const params = new URLSearchParams()
    if (auth !== 'none' && token !== undefined) params.set(auth, token)
    for (const [key, value] of Object.entries(req.query ?? {}))
      if (value !== undefined) params.set(key, String(value))
    const search = params.toString()
    return search ? `${base}${req.path}?${search}` : `${base}${req.path}`
  }

  const delayFor = (retryIndex: number): number => {
    const ceiling = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** retryIndex)
    return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2)
  }

  return async function request<T = DingTalkResponse>(req: DingTalkRequest): Promise<T> {
    const method = req.method ?? (req.json !== undefined || req.form !== undefined ? 'POST' : 'GET')
    const auth = req.auth ?? 'access_token'
    const idempotent = req.idempotent ?? method === 'GET'
    const timeoutMs = req.timeoutMs ?? config.timeoutMs
    const started = new Date()
    let summary: RequestSummary | undefined
    const info = (): RequestSummary => {
      summary ??= summarise(req, method, started)
      return summary
    }
    const init: RequestInit = { method }
    if (req.json !== undefined) {
      // §4.1: raw UTF-8 (JSON.stringify never emits \uXXXX for non-ASCII) and the JSON Content-Type.
      init.body = JSON.stringify(req.json)
      init.headers = { 'Content-Type': JSON_TYPE }
    } else if (req.form !== undefined) {
      init.body = req.form
    }
    const source = auth === 'none' ? undefined : config.tokens[auth]
    if (auth !== 'none' && source === undefined) {
      throw new TypeError(`This client has no ${auth}; create it with the credentials that provide one`)
    }

    let attempt = 0
    let retries = 0
    let replayed = false
    for (;;) {
      attempt++
      const token = source === undefined ? undefined : await source.get()
      const url = buildUrl(req, auth, token)
      const redactedUrl = observed ? redactor.url(url) : ''
      safely(hooks.onRequest, { method, path: req.path, url: redactedUrl, attempt })
      const t0 = performance.now()
      const outcome = await attemptOnce(url, init, req, timeoutMs, attempt, auth, info, idempotent)
      if (hooks.onResponse !== undefined) {
        const event: ResponseEvent = {
          method,
          path: req.path,
          url: redactedUrl,
          attempt,
          status: outcome.status,
          durationMs: performance.now() - t0,
        }
        const error = outcome.result.kind === 'ok' ? undefined : outcome.result.error
        if (error instanceof DingTalkApiError) {
          event.errcode = error.errcode
          event.errmsg = error.errmsg
          if (error.subCode !== undefined) event.subCode = error.subCode
          if (error.requestId !== undefined) event.requestId = error.requestId
        } else if (error instanceof DingTalkRateLimitError && error.errcode !== undefined) {
          event.errcode = error.errcode
        } else if (error !== undefined) {
          event.error = error.code
        } else {
          event.errcode = 0
        }
        safely(hooks.onResponse, event)
      }
      const result = outcome.result
      if (result.kind === 'ok') return result.body as T
      if (result.kind === 'token' && token !== undefined && source !== undefined && !replayed) {
        // §4.5: drop exactly the token that failed, refresh, replay once.
        replayed = true
        await source.invalidate(token)
        safely(hooks.onRetry, {
          method,
          path: req.path,
          attempt,
          delayMs: 0,
          reason: 'TOKEN_INVALID',
          errcode: (result.error as DingTalkApiError).errcode,
        })
        continue
      }
      if (result.kind === 'retry' && retries < retry.maxRetries) {
        const delayMs = delayFor(retries++)
        const event: RetryEvent = { method, path: req.path, attempt, delayMs, reason: result.reason }
        if (result.errcode !== undefined) event.errcode = result.errcode
        safely(hooks.onRetry, event)
        await sleep(delayMs)
        continue
      }
      throw result.error
    }
  }

  async function attemptOnce(
    url: string,
    init: RequestInit,
    req: DingTalkRequest,
    timeoutMs: number,
    attempts: number,
    auth: AuthMode,
    info: () => RequestSummary,
    idempotent: boolean,
  ): Promise<{ status: number; result: Outcome }> {
    const timeout = AbortSignal.timeout(timeoutMs)
    const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout
    let status = 0
    let text: string
    try {
      const res = await config.fetch(url, { ...init, signal })
      status = res.status
      if (req.responseType === 'bytes') {
        const bytes = new Uint8Array(await res.arrayBuffer())
        const contentType = res.headers.get('content-type') ?? ''
        if (status === 200 && !/json|text\/plain/i.test(contentType)) {
          const filename = filenameOf(res.headers.get('content-disposition') ?? '')
          return { status, result: { kind: 'ok', body: { bytes, contentType, filename } } }
        }
        text = new TextDecoder().decode(bytes)
      } else {
        text = await res.text()
      }
    } catch (cause) {
      if (req.signal?.aborted) throw req.signal.reason ?? cause
      const error = timeout.aborted
        ? new DingTalkTimeoutError({ request: info(), attempts, timeoutMs, cause })
        : new DingTalkHttpError(
            'NETWORK_ERROR',
            `${req.path}: the connection failed (${redactor.text(describe(cause))})`,
            {
              request: info(),
              attempts,
              cause,
            },
          )
      return { status, result: transient(error, idempotent) }
    }
    return { status, result: classify(text, status, req, attempts, auth, info, idempotent) }
  }

  function classify(
    text: string,
    status: number,
    req: DingTalkRequest,
    attempts: number,
    auth: AuthMode,
    info: () => RequestSummary,
    idempotent: boolean,
  ): Outcome {
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      body = undefined
    }
    const record =
      body !== null && typeof body === 'object' && !Array.isArray(body)
        ? (body as DingTalkResponse)
        : undefined
    // §10: the IP-ban page has no errcode, only `"punish":"deny"`; it may also come as HTML.
    if (record?.punish !== undefined || (record === undefined && /punish/i.test(text))) {
      const error = new DingTalkRateLimitError({
        request: info(),
        attempts,
        httpStatus: status,
        punished: true,
      })
      return { kind: 'retry', reason: 'RATE_LIMITED', error }
    }
    const errcode = record === undefined ? undefined : toErrcode(record.errcode)
    if (status === 429 && errcode === undefined) {
      const error = new DingTalkRateLimitError({
        request: info(),
        attempts,
        httpStatus: status,
        punished: false,
      })
      return { kind: 'retry', reason: 'RATE_LIMITED', error }
    }
    if (status >= 500 || (status >= 300 && errcode === undefined)) {
      const error = new DingTalkHttpError('HTTP_ERROR', `${req.path}: HTTP ${status}`, {
        request: info(),
        attempts,
        httpStatus: status,
      })
      return status >= 500 ? transient(error, idempotent) : { kind: 'fail', error }
    }
    if (record === undefined) {
      const what = text.length === 0 ? 'an empty body' : 'a body that is not a JSON object'
      const error = new DingTalkHttpError('INVALID_RESPONSE', `${req.path}: DingTalk sent ${what}`, {
        request: info(),
        attempts,
        httpStatus: status,
      })
      return transient(error, idempotent)
    }
    if (errcode === undefined || errcode === 0) {
      if (record.errcode !== undefined && errcode === undefined) {
        const error = new DingTalkHttpError('INVALID_RESPONSE', `${req.path}: errcode is not a number`, {
          request: info(),
          attempts,
          httpStatus: status,
        })
        return { kind: 'fail', error }
      }
      return { kind: 'ok', body: record }
    }
    const subCode = optionalString(record.sub_code)
    const details = {
      errcode,
      errmsg: redactor.text(optionalString(record.errmsg) ?? ''),
      subCode,
      subMsg: optionalString(record.sub_msg),
      requestId: optionalString(record.request_id),
      request: info(),
      attempts,
      httpStatus: status,
    }
    if (auth !== 'none' && isTokenInvalid(errcode, subCode)) {
      return { kind: 'token', error: new DingTalkApiError(details) }
    }
    if (errcode === -1)
      return { kind: 'retry', reason: 'SYSTEM_BUSY', errcode, error: new DingTalkApiError(details) }
    if (isRateLimited(errcode)) {
      const error = new DingTalkRateLimitError({ ...details, punished: false })
      return { kind: 'retry', reason: 'RATE_LIMITED', errcode, error }
    }
    return { kind: 'fail', error: new DingTalkApiError(details) }
  }
}

function filenameOf(disposition: string): string | undefined {
  const extended = /filename\*=UTF-8''([^;]+)/i.exec(disposition)?.[1]
  if (extended !== undefined) {
    try {
      return decodeURIComponent(extended)
    } catch {
      // Fall through to the plain parameter.
    }
  }
  return /filename="?([^";]+)"?/i.exec(disposition)?.[1]
}

function transient(error: DingTalkRequestError, idempotent: boolean): Outcome {
  return idempotent ? { kind: 'retry', reason: error.code, error } : { kind: 'fail', error }
}

function describe(cause: unknown): string {
  if (cause instanceof Error) {
    const inner = cause.cause instanceof Error ? `: ${cause.cause.message}` : ''
    return `${cause.message}${inner}`
  }
  return String(cause)
}
