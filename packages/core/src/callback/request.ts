/**
 * Header values as Node frameworks hand them over, or a Web `Headers`. Names are case-insensitive.
 *
 * @example
 * ```ts
 * await callback.handle({ method: 'POST', url: req.url, headers: req.headers, body: req })
 * ```
 */
export type CallbackHeaders =
  | Headers
  | Readonly<Record<string, string | readonly string[] | number | undefined>>

/**
 * Query values as frameworks hand them over, a `URLSearchParams`, or a raw query string.
 *
 * @example
 * ```ts
 * await callback.handle({ method: 'POST', query: ctx.query, headers: ctx.headers, body: ctx.req })
 * ```
 */
export type CallbackQuery =
  | URLSearchParams
  | string
  | Readonly<Record<string, string | readonly string[] | undefined | unknown>>

/**
 * The request as an adapter sees it. `body` may be the framework's parsed JSON object, the raw text, the
 * raw bytes, or the unread stream (`ReadableStream` or any async iterable of chunks, such as Node's
 * `IncomingMessage`), in which case the size limit is enforced while reading.
 *
 * @example
 * ```ts
 * const request: CallbackRequest = { method: req.method, url: req.originalUrl, headers: req.headers, body: req.body }
 * ```
 */
export interface CallbackRequest {
  method: string
  /** The query; when absent it is taken from `url`. */
  query?: CallbackQuery
  /** The request URL (absolute or path + query), used when `query` is absent. */
  url?: string
  headers?: CallbackHeaders
  body?: unknown
}

export type Rejection = { status: 400 | 401 | 405 | 413 | 415; reason: string }

export interface SignedQuery {
  signature: string | undefined
  timestamp: string | undefined
  nonce: string | undefined
}

const SIGNED_NAMES = ['signature', 'msg_signature', 'timestamp', 'timeStamp', 'nonce'] as const

function headerValue(headers: CallbackHeaders | undefined, name: string): string | undefined | Rejection {
  if (!headers) return undefined
  if (typeof (headers as Headers).get === 'function' && typeof (headers as Headers).has === 'function') {
    return (headers as Headers).get(name) ?? undefined
  }
  let found: string | undefined
  for (const [key, value] of Object.entries(headers as Record<string, unknown>)) {
    if (key.toLowerCase() !== name) continue
    const values = Array.isArray(value) ? value : value === undefined ? [] : [value]
    for (const v of values) {
      if (found !== undefined) return { status: 400, reason: `header ${name} is repeated` }
      found = String(v)
    }
  }
  return found
}

/** Reads a header by case-insensitive name; repeated values are a rejection. */
export function getHeader(
  headers: CallbackHeaders | undefined,
  name: string,
): string | undefined | Rejection {
  return headerValue(headers, name.toLowerCase())
}

export function isRejection(value: unknown): value is Rejection {
  return typeof value === 'object' && value !== null && 'status' in value && 'reason' in value
}

function queryParams(request: CallbackRequest): URLSearchParams | Record<string, unknown> | Rejection {
  const { query } = request
  if (query === undefined || query === null) {
    const { url } = request
    if (typeof url !== 'string') return new URLSearchParams()
    // Only the query matters here: slicing it out is much cheaper than parsing a whole URL per request,
    // and URLSearchParams decodes it exactly as URL#searchParams would.
    const start = url.indexOf('?')
    if (start === -1) return new URLSearchParams()
    const hash = url.indexOf('#', start)
    return new URLSearchParams(url.slice(start + 1, hash === -1 ? undefined : hash))
  }
  if (typeof query === 'string') return new URLSearchParams(query.startsWith('?') ? query.slice(1) : query)
  if (query instanceof URLSearchParams) return query
  if (typeof query === 'object') return query as Record<string, unknown>
  return { status: 400, reason: 'the query is not an object or string' }
}

function single(
  params: URLSearchParams | Record<string, unknown>,
  name: string,
): string | undefined | Rejection {
  if (params instanceof URLSearchParams) {
    const all = params.getAll(name)
    if (all.length > 1) return { status: 400, reason: `query parameter ${name} is repeated` }
    return all[0]
  }
  const value = params[name]
  if (value === undefined || value === null) return undefined
  if (Array.isArray(value)) {
    if (value.length > 1) return { status: 400, reason: `query parameter ${name} is repeated` }
    const [first] = value as unknown[]
    if (first === undefined) return undefined
    return typeof first === 'string' ? first : { status: 400, reason: `query parameter ${name} is not text` }
  }
  return typeof value === 'string' ? value : { status: 400, reason: `query parameter ${name} is not text` }
}

function either(a: string | undefined, b: string | undefined, names: string): string | undefined | Rejection {
  if (a !== undefined && b !== undefined && a !== b) {
    return { status: 400, reason: `query parameters ${names} are both present and differ` }
  }
  return a ?? b
}

/**
 * The signed query values (§1.6): `msg_signature` or `signature`, `timeStamp` or `timestamp`, and
 * `nonce`. A repeated parameter, a non-text value, or both spellings with different values is a rejection.
 */
export function signedQuery(request: CallbackRequest): SignedQuery | Rejection {
  const params = queryParams(request)
  if (isRejection(params)) return params
  const values: Record<string, string | undefined> = {}
  for (const name of SIGNED_NAMES) {
    const value = single(params, name)
    if (isRejection(value)) return value
    values[name] = value
  }
  const signature = either(values.msg_signature, values.signature, 'msg_signature and signature')
  if (isRejection(signature)) return signature
  const timestamp = either(values.timeStamp, values.timestamp, 'timeStamp and timestamp')
  if (isRejection(timestamp)) return timestamp
  return { signature, timestamp, nonce: values.nonce }
}

export function isJsonContentType(value: string): boolean {
  const media = value.split(';', 1)[0]?.trim().toLowerCase()
  return media === 'application/json'
}
