import type { FaultKind } from './faults'

/**
 * One request as the emulator saw it. Secrets are replaced by `***`.
 *
 * @example
 * ```ts
 * expect(emu.log.at(-1)).toMatchObject({ path: '/gettoken', query: { appsecret: '***' }, errcode: 0 })
 * ```
 */
export interface RequestLogEntry {
  time: number
  method: string
  path: string
  query: Record<string, string>
  body: unknown
  /** The answer's errcode, when it was an oapi envelope. */
  errcode?: number
  /** The error `code` of a v1.0 (api.dingtalk.com) answer, e.g. `InvalidAuthentication`. */
  code?: string
  /** HTTP status; 0 when the connection was reset. */
  status: number
  /** The injected fault that shaped the answer, if any. */
  fault?: FaultKind
  ip: string
}

const SECRET_QUERY = new Set([
  'access_token',
  'suite_access_token',
  'corpsecret',
  'appsecret',
  'signature',
  'suiteTicket',
  'code',
  // Robot webhooks: a session webhook's session, a custom robot's signature.
  'session',
  'sign',
])
const SECRET_BODY = new Set([
  'suite_secret',
  'suite_ticket',
  'permanent_code',
  'tmp_auth_code',
  'aes_key',
  'token',
  'code',
  'appsecret',
  'corpsecret',
  // v1.0 (camelCase): the OAuth2 login's exchange and the Stream connection open.
  'clientSecret',
  'refreshToken',
])

/** The query as the log shows it, secrets replaced by `***`. */
export function redactQuery(params: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [key, value] of params) out[key] = SECRET_QUERY.has(key) ? '***' : value
  return out
}

/** A body as the log shows it, secret fields (at any depth) replaced by `***`. */
export function redactBody(body: unknown): unknown {
  if (Array.isArray(body)) return body.map(redactBody)
  if (body && typeof body === 'object') {
    const out: Record<string, unknown> = {}
    for (const [key, value] of Object.entries(body))
      out[key] = SECRET_BODY.has(key) ? '***' : redactBody(value)
    return out
  }
  return body
}
