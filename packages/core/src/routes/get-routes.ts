import type { DingTalkClient } from '../client'
import { normalizeJsapiUrl } from '../signing/jsapi'
import type { SuiteClient } from '../suite/suite-client'
import { failure, json, RouteFailure, type RouteResponse } from './failure'
import type { FailureLimiter } from './limiter'
import { originOf, param, type RouteRequest, required } from './request'

/**
 * The `GET {prefix}/jsapi-config` route: which page origins may get a `dd.config` signature, and for what.
 *
 * @example
 * ```ts
 * const jsapi: JsapiRouteOptions = { allowedOrigins: ['https://app.example.com'], jsApiList: ['biz.chat.pickConversation'] }
 * ```
 */
export interface JsapiRouteOptions {
  /**
   * Origins (`scheme://host[:port]`) whose pages may be signed; the page URL's origin must match one exactly.
   * Without this list nobody could tell your pages from someone else's, so the route is off without it.
   */
  allowedOrigins: readonly string[]
  /** JSAPIs to authorise, without the `dd.` prefix (default none). */
  jsApiList?: readonly string[]
  /** Default: the client's agentId (ISV: the corp's agent from `get_auth_info`). */
  agentId?: string | number
  /** Default: the client's corpId (ISV: the `corpId` query parameter). */
  corpId?: string
  /** 0 = micro-app JSAPI (default), 1 = service-window JSAPI (§3.4). */
  type?: 0 | 1
}

const CORP_ID = /^[A-Za-z0-9_-]{1,64}$/

/** What the GET routes work with: the corp app client and/or the suite client. */
export interface Clients {
  client: DingTalkClient | undefined
  suiteClient: SuiteClient | undefined
}

/** The client for the request: the corp app's, or with `?corpId=` an ISV corp's (`suiteClient.forCorp`). */
export function clientFor({ client, suiteClient }: Clients, request: RouteRequest): DingTalkClient {
  const corpId = param(request, 'corpId')
  if (corpId !== undefined && !CORP_ID.test(corpId)) {
    throw new RouteFailure(400, { error: 'bad_request', message: 'corpId is invalid' })
  }
  if (corpId !== undefined && suiteClient && corpId !== client?.corpId) return suiteClient.forCorp(corpId)
  if (client && (corpId === undefined || client.corpId === undefined || corpId === client.corpId))
    return client
  throw new RouteFailure(400, {
    error: 'bad_request',
    message: suiteClient ? 'corpId is required' : 'corpId is not this app’s corp',
  })
}

/** The page origins allowed to be signed, each checked to be an http(s) origin. */
export function allowedOrigins(options: JsapiRouteOptions | undefined): ReadonlySet<string> {
  return new Set(
    (options?.allowedOrigins ?? []).map((origin) => {
      const parsed = originOf(origin)
      if (parsed === undefined) {
        throw new TypeError(`jsapi.allowedOrigins: ${JSON.stringify(origin)} is not an http(s) origin`)
      }
      return parsed
    }),
  )
}

/** `GET {prefix}/jsapi-config?url=…`: a `dd.config` for a page of an allowed origin (§3). */
export async function jsapiConfigRoute(
  clients: Clients,
  options: JsapiRouteOptions,
  allowed: ReadonlySet<string>,
  request: RouteRequest,
): Promise<RouteResponse> {
  const url = required(request, 'url')
  const origin = originOf(url)
  let normalized: string
  try {
    normalized = normalizeJsapiUrl(url)
  } catch {
    throw new RouteFailure(400, { error: 'bad_request', message: 'url must be an absolute http(s) URL' })
  }
  if (origin === undefined) {
    throw new RouteFailure(400, { error: 'bad_request', message: 'url must be an absolute http(s) URL' })
  }
  if (!allowed.has(origin)) throw new RouteFailure(403, { error: 'origin_not_allowed', origin })
  const target = clientFor(clients, request)
  // An ISV corp client knows its own corpId and agentId; the options describe the corp app.
  const own = target === clients.client
  const config = await target.jsapi.createConfig({
    url,
    jsApiList: options.jsApiList ?? [],
    ...(own && options.agentId !== undefined ? { agentId: options.agentId } : {}),
    ...(own && options.corpId !== undefined ? { corpId: options.corpId } : {}),
    ...(options.type === undefined ? {} : { type: options.type }),
  })
  return json(200, { config, url: normalized })
}

// Free-login codes are short opaque tokens (32 hex characters today); anything else — quotes, `%00`, spaces —
// would only come back from DingTalk as 40033 after costing a call against the app's rate limit.
const CODE = /^[A-Za-z0-9._~-]{1,128}$/

/**
 * `GET {prefix}/sso?code=…`: the user behind a free-login code (§5.1). A malformed code is a 400 without a
 * call; a client whose codes keep failing gets 429 before DingTalk is asked again.
 */
export async function ssoRoute(
  clients: Clients,
  limiter: FailureLimiter | undefined,
  request: RouteRequest,
): Promise<RouteResponse> {
  const code = required(request, 'code')
  if (!CODE.test(code)) throw new RouteFailure(400, { error: 'bad_request', message: 'code is malformed' })
  const target = clientFor(clients, request)
  const client = request.clientAddress
  if (limiter && client !== undefined && !limiter.allows(client)) {
    return json(429, { error: 'too_many_failures' }, { 'retry-after': '60' })
  }
  try {
    const user = await target.sso.getUserInfo(code)
    return json(200, {
      ...user,
      isAdmin: user.sys,
      corpId: param(request, 'corpId') ?? target.corpId ?? null,
    })
  } catch (error) {
    if (limiter && client !== undefined && failure(error).status === 401) limiter.fail(client)
    throw error
  }
}
