import type { IncomingHttpHeaders } from 'node:http'
import type { Internals, Payload } from '../context'
import type { OrgState, TokenRecord } from '../state'

/**
 * A v1.0 (api.dingtalk.com) error: the HTTP status and the body `{ code, message, requestid }`, thrown by
 * route handlers.
 */
export class V1Error extends Error {
  readonly status: number
  readonly code: string

  constructor(status: number, code: string, message: string) {
    super(message)
    this.status = status
    this.code = code
  }
}

/** What a v1.0 route handler gets. */
export interface V1Ctx {
  emu: Internals
  method: string
  path: string
  query: URLSearchParams
  headers: IncomingHttpHeaders
  /** The JSON body (`{}` when there is none). */
  body: Record<string, unknown>
  /** The `x-acs-dingtalk-access-token` it came with, when the route needs one. */
  token?: TokenRecord
  remoteIp: string
}

export interface V1RouteDef {
  /** `access`: a corp access_token in `x-acs-dingtalk-access-token` (the oapi token works here). */
  auth: 'access' | 'none'
  handle(ctx: V1Ctx): Payload | Promise<Payload>
}

/** v1.0 routes by `"METHOD /v1.0/…"`: the same path may serve several methods. */
export type V1Routes = Record<string, V1RouteDef>

/** `MissingX` (HTTP 400), the gateway's answer to a missing parameter. */
export function missing(name: string): V1Error {
  return new V1Error(400, `Missing${name}`, `${name} is mandatory for this action.`)
}

export function invalid(name: string, detail: string): V1Error {
  return new V1Error(400, 'InvalidParameter', `${name}: ${detail}`)
}

/** A required non-empty string parameter. */
export function text(body: Record<string, unknown>, name: string): string {
  const value = body[name]
  if (value === undefined || value === null || value === '') throw missing(name)
  if (typeof value !== 'string') throw invalid(name, 'must be a string')
  return value
}

/** The organisation of the request's token. */
export function tokenOrg(ctx: V1Ctx): OrgState {
  const org = ctx.emu.state.orgs.get(ctx.token?.corpId ?? '')
  if (!org) throw new V1Error(403, 'Forbidden.AccessDenied', 'the token belongs to no organisation')
  return org
}
