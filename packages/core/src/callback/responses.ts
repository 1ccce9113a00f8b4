/**
 * The handler's answer, for the adapter to write as is.
 *
 * @example
 * ```ts
 * const { status, headers, body } = await callback.handle(request)
 * res.writeHead(status, headers).end(body)
 * ```
 */
export interface CallbackResponse {
  status: number
  headers: Record<string, string>
  body: string
}

const ERROR_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }
const ERROR_BODIES: Readonly<Record<number, string>> = {
  400: '{"error":"bad_request"}',
  401: '{"error":"unauthorized"}',
  405: '{"error":"method_not_allowed"}',
  413: '{"error":"payload_too_large"}',
  415: '{"error":"unsupported_media_type"}',
  503: '{"error":"retry_later"}',
}

/** An error answer: a small JSON body, `no-store`, and what the status needs (`Allow`, `Retry-After`). */
export function errorResponse(status: number): CallbackResponse {
  const headers: Record<string, string> = { ...ERROR_HEADERS }
  if (status === 405) headers.allow = 'POST'
  if (status === 413) headers.connection = 'close'
  if (status === 503) headers['retry-after'] = '1'
  return { status, headers, body: ERROR_BODIES[status] ?? '{"error":"error"}' }
}

// The encrypted reply carries no `cache-control`: a response to POST without explicit freshness is not
// stored by any cache (RFC 9111 §3, §4.2.2), and one header fewer keeps Hono's plain-object fast path.
// Error answers keep `no-store` (a 405 to a GET is heuristically cacheable).
const REPLY_HEADERS = { 'content-type': 'application/json; charset=utf-8' }

/** The 200 answer carrying the encrypted reply `{msg_signature, timeStamp, nonce, encrypt}` (§1.7). */
export function encryptedReply(body: object): CallbackResponse {
  return { status: 200, headers: { ...REPLY_HEADERS }, body: JSON.stringify(body) }
}
