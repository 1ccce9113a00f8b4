import type { CallbackHeaders, CallbackQuery } from '../callback/request'
import { RouteFailure } from './failure'

/**
 * One request as an adapter hands it over.
 *
 * @example
 * ```ts
 * const request: RouteRequest = { method: 'GET', path: '/sso', query: { code }, headers: {} }
 * ```
 */
export interface RouteRequest {
  method: string
  /**
   * The path: relative to the mount prefix for `handle()` (e.g. `/callback`), the whole request path for
   * `serve()`. A query string after `?` is ignored.
   */
  path: string
  /** The request URL (absolute or path + query); the query is read from it when `query` is absent. */
  url?: string
  query?: CallbackQuery
  headers?: CallbackHeaders
  /** A parsed JSON object, the raw text or bytes, or the unread stream (callback routes only). */
  body?: unknown
  /**
   * The client's address as the framework knows it (behind a proxy: only when the framework is told to trust
   * it), for per-client limits such as the SSO route's failure limit.
   */
  clientAddress?: string
}

/**
 * The answer, for the adapter to write as is.
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

/** The query of a request, as the adapter gave it or from its URL. */
function queryOf(request: RouteRequest): URLSearchParams | Readonly<Record<string, unknown>> {
  const { query } = request
  if (query instanceof URLSearchParams) return query
  if (typeof query === 'string') return new URLSearchParams(query.startsWith('?') ? query.slice(1) : query)
  if (query !== undefined && query !== null && typeof query === 'object') return query
  const url = request.url ?? request.path
  const mark = url.indexOf('?')
  return new URLSearchParams(mark === -1 ? '' : url.slice(mark + 1).split('#', 1)[0])
}

/** One query parameter as text; repeated or non-text values are a 400. */
export function param(request: RouteRequest, name: string): string | undefined {
  const query = queryOf(request)
  const values = query instanceof URLSearchParams ? query.getAll(name) : [query[name]].flat()
  const present = values.filter((v) => v !== undefined && v !== null)
  if (present.length > 1)
    throw new RouteFailure(400, { error: 'bad_request', message: `${name} is repeated` })
  const [value] = present
  if (value === undefined) return undefined
  if (typeof value !== 'string')
    throw new RouteFailure(400, { error: 'bad_request', message: `${name} is not text` })
  return value
}

/** A required, non-empty query parameter. */
export function required(request: RouteRequest, name: string): string {
  const value = param(request, name)
  if (value === undefined || value === '') {
    throw new RouteFailure(400, { error: 'bad_request', message: `${name} is required` })
  }
  return value
}

/** The `scheme://host[:port]` of an absolute http(s) URL. */
export function originOf(url: string): string | undefined {
  try {
    const parsed = new URL(url)
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.origin : undefined
  } catch {
    return undefined
  }
}
