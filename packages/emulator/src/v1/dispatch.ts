import { type Internals, type Payload, randomId } from '../context'
import type { Api, Exchange } from '../exchange'
import { JSON_TYPE } from '../faults'
import type { LimitSubject, Refusal } from '../limits'
import { redactBody } from '../request-log'
import { send } from '../server'
import type { TokenRecord } from '../state'
import { type V1Ctx, V1Error, type V1RouteDef } from './context'
import { v1Routes } from './routes'

const TOKEN_HEADER = 'x-acs-dingtalk-access-token'

/** The corp access_token in `x-acs-dingtalk-access-token`: the same tokens oapi's `gettoken` issues. */
function authenticate(emu: Internals, route: V1RouteDef, exchange: Exchange): TokenRecord | undefined {
  if (route.auth === 'none') return undefined
  const header = exchange.req.headers[TOKEN_HEADER]
  const value = Array.isArray(header) ? header[0] : header
  if (!value) {
    throw new V1Error(
      400,
      'MissingacsDingtalkAccessToken',
      'acsDingtalkAccessToken is mandatory for this action.',
    )
  }
  const record = emu.state.tokens.get(value)
  if (record?.kind !== 'corp' || record.expiresAt <= emu.now()) {
    throw new V1Error(401, 'InvalidAuthentication', '不合法的access_token')
  }
  return record
}

function readJson(exchange: Exchange, maxBodyBytes: number): Record<string, unknown> {
  const { body, entry } = exchange
  if (body.size === 0) return {}
  if (body.tooLarge) {
    entry.body = `<${body.size} bytes>`
    throw new V1Error(400, 'InvalidParameter', `the body is larger than ${maxBodyBytes} bytes`)
  }
  const contentType = String(exchange.req.headers['content-type'] ?? '').toLowerCase()
  if (!contentType.includes('application/json')) {
    entry.body = `<${body.size} bytes of ${contentType || 'no content type'}>`
    throw new V1Error(400, 'InvalidParameter', 'the body must be JSON with Content-Type application/json')
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(body.bytes.toString('utf8'))
  } catch {
    entry.body = `<${body.size} bytes of malformed JSON>`
    throw new V1Error(400, 'InvalidParameter', 'the body is not valid JSON')
  }
  entry.body = redactBody(parsed)
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new V1Error(400, 'InvalidParameter', 'the body must be a JSON object')
  }
  return parsed as Record<string, unknown>
}

function refusalError(refusal: Refusal): V1Error {
  if (refusal.kind === 'ip') {
    return new V1Error(
      403,
      'Forbidden.AccessDenied.IpNotInWhiteList',
      `ip ${refusal.ip} is not in the whitelist`,
    )
  }
  // Stream reference §7: a rate limit is HTTP 403 with `QpsLimit` in the code.
  return new V1Error(403, 'Forbidden.AccessDenied.QpsLimitForApi', 'the API is called above its QPS limit')
}

type V1Deps = { emu: Internals; check: (subject: LimitSubject) => Refusal | undefined; maxBodyBytes: number }

async function answer(exchange: Exchange, deps: V1Deps): Promise<Payload> {
  if (exchange.fault === 'busy') throw new V1Error(503, 'ServiceUnavailable', '系统繁忙')
  const { method, path, url } = exchange
  const route = v1Routes[`${method} ${path}`]
  if (!route) {
    throw new V1Error(
      404,
      'InvalidAction.NotFound',
      'Specified api is not found, please check your url and method.',
    )
  }
  const token = authenticate(deps.emu, route, exchange)
  const body = readJson(exchange, deps.maxBodyBytes)
  const ctx: V1Ctx = {
    emu: deps.emu,
    method,
    path,
    query: url.searchParams,
    headers: exchange.req.headers,
    body,
    ...(token ? { token } : {}),
    remoteIp: exchange.entry.ip,
  }
  const refusal = deps.check({ path, input: body, remoteIp: ctx.remoteIp, ...(token ? { token } : {}) })
  if (refusal) throw refusalError(refusal)
  return route.handle(ctx)
}

function reply(exchange: Exchange, status: number, payload: Payload): void {
  let text = JSON.stringify(payload)
  if (exchange.fault === 'truncated') text = text.slice(0, Math.max(1, Math.floor(text.length / 2)))
  send(exchange.res, exchange.entry, status, { 'Content-Type': JSON_TYPE }, text)
}

/**
 * `api.dingtalk.com` (v1.0) on the emulator's port: the token in `x-acs-dingtalk-access-token`, JSON
 * bodies, success as HTTP 2xx with the bare payload, errors as an HTTP status with
 * `{ code, message, requestid }`.
 */
export function v1Api(deps: V1Deps): Api {
  return {
    bodyLimit: () => deps.maxBodyBytes,
    async dispatch(exchange) {
      try {
        reply(exchange, 200, await answer(exchange, deps))
      } catch (error) {
        const failure =
          error instanceof V1Error
            ? error
            : new V1Error(500, 'InternalError', `emulator bug: ${(error as Error).message}`)
        exchange.entry.code = failure.code
        const body = { code: failure.code, message: failure.message, requestid: randomId(8) }
        reply(exchange, failure.status, body)
      }
    },
  }
}
