import type { CallbackHandler, CallbackHandlerOptions } from '../callback/handler'
import { createCallbackHandler } from '../callback/handler'
import type { CallbackHeaders, CallbackQuery } from '../callback/request'
import type { DingTalkClient } from '../client'
import { DingTalkError } from '../errors'
import {
  DingTalkApiError,
  DingTalkRateLimitError,
  DingTalkRequestError,
  DingTalkTokenError,
} from '../errors/request-errors'
import type { WaitUntilContext } from '../events/context'
import { normalizeJsapiUrl } from '../signing/jsapi'
import { DingTalkStoreError } from '../store/store-error'
import { DingTalkSuiteError, type SuiteClient } from '../suite/suite-client'

/**
 * The suite callback's options: those of `createCallbackHandler`, where `token` and `aesKey` default to the
 * suite client's.
 *
 * @example
 * ```ts
 * const suiteCallback: SuiteCallbackRouteOptions = { handlers: { suite_relieve: (event) => forget(event.AuthCorpId) } }
 * ```
 */
export type SuiteCallbackRouteOptions = Omit<CallbackHandlerOptions<SuiteClient>, 'token' | 'aesKey'> & {
  token?: string
  aesKey?: string
}

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

/**
 * Which routes {@link createDingTalkRoutes} mounts, and with what. Every route is optional; an adapter
 * answers 404 (or calls `next`) for the ones not configured.
 *
 * @example
 * ```ts
 * const options: DingTalkRoutesOptions = {
 *   client,
 *   callback: { token: env.DINGTALK_CALLBACK_TOKEN, aesKey: env.DINGTALK_CALLBACK_AES_KEY },
 *   jsapi: { allowedOrigins: ['https://app.example.com'] },
 * }
 * ```
 */
export interface DingTalkRoutesOptions {
  /** Corp app callback → `POST {prefix}/callback`. A handler or the options to create one (client given). */
  callback?: CallbackHandler | CallbackHandlerOptions
  /**
   * ISV suite callback → `POST {prefix}/suite/callback`. A handler or the options to create one (suite client
   * given). Default: created when the suite client carries its callback `token` and `aesKey`.
   */
  suiteCallback?: CallbackHandler<SuiteClient> | SuiteCallbackRouteOptions
  /** The corp app client: `dd.config` tickets and SSO. */
  client?: DingTalkClient
  /** ISV: with `?corpId=` the jsapi-config and sso routes use `suiteClient.forCorp(corpId)`. */
  suiteClient?: SuiteClient
  /** `GET {prefix}/jsapi-config`: mounted when given (and a client or suite client is). */
  jsapi?: JsapiRouteOptions
  /** `GET {prefix}/sso`: on by default when a client or suite client is given. */
  sso?: boolean
}

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
  /** The path relative to the mount prefix, e.g. `/callback` (a query string after `?` is ignored). */
  path: string
  /** The request URL (absolute or path + query); the query is read from it when `query` is absent. */
  url?: string
  query?: CallbackQuery
  headers?: CallbackHeaders
  /** A parsed JSON object, the raw text or bytes, or the unread stream (callback routes only). */
  body?: unknown
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

/**
 * The DingTalk routes, framework-free. Status codes of the GET routes: 200; 400 for a missing or invalid
 * parameter; 401 for an invalid or used SSO code (40029); 403 for a page origin not allowed; 405 for another
 * method; 429 when DingTalk rate-limits; 502 for any other DingTalk failure (`{ error, errcode, requestId }`,
 * never a secret); 500 when the routes are misconfigured. The callback routes answer as
 * {@link CallbackHandler} does.
 *
 * @example
 * ```ts
 * const routes = createDingTalkRoutes({ client, jsapi: { allowedOrigins: ['https://app.example.com'] } })
 * const response = await routes.handle({ method: 'GET', path: '/jsapi-config', url: req.url, headers: req.headers })
 * ```
 */
export interface DingTalkRoutes {
  /** The corp callback handler (add handlers with `.on()`), when configured. */
  readonly callback: CallbackHandler | undefined
  /** The suite callback handler, when configured. */
  readonly suiteCallback: CallbackHandler<SuiteClient> | undefined
  /** Dispatches one request; `undefined` when no route matches (the adapter calls next / 404s). Never throws. */
  handle(request: RouteRequest, context?: WaitUntilContext): Promise<RouteResponse | undefined>
  /** Web face: a `Request` whose path is relative to `prefix` (default: the path is already relative). */
  fetch(request: Request, context?: WaitUntilContext & { prefix?: string }): Promise<Response | undefined>
}

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }
const CORP_ID = /^[A-Za-z0-9_-]{1,64}$/

class RouteFailure {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {}
}

function json(status: number, body: unknown, extra?: Record<string, string>): RouteResponse {
  return { status, headers: { ...JSON_HEADERS, ...extra }, body: JSON.stringify(body) }
}

function isHandler<T>(value: unknown): value is T {
  return typeof (value as { handle?: unknown } | undefined)?.handle === 'function'
}

function queryOf(request: RouteRequest): URLSearchParams | Readonly<Record<string, unknown>> {
  const { query } = request
  if (query instanceof URLSearchParams) return query
  if (typeof query === 'string') return new URLSearchParams(query.startsWith('?') ? query.slice(1) : query)
  if (query !== undefined && query !== null && typeof query === 'object') return query
  const url = request.url ?? request.path
  const mark = url.indexOf('?')
  return new URLSearchParams(mark === -1 ? '' : url.slice(mark + 1).split('#', 1)[0])
}

function param(request: RouteRequest, name: string): string | undefined {
  const query = queryOf(request)
  const values = query instanceof URLSearchParams ? query.getAll(name) : [query[name]].flat()
  const present = values.filter((v) => v !== undefined && v !== null)
  if (present.length > 1)
    throw new RouteFailure(400, { error: 'bad_request', message: `${name} is repeated` })
  const [value] = present
  if (value === undefined) return undefined
  if (typeof value !== 'string') {
    throw new RouteFailure(400, { error: 'bad_request', message: `${name} is not text` })
  }
  return value
}

function originOf(url: string): string | undefined {
  try {
    const parsed = new URL(url)
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.origin : undefined
  } catch {
    return undefined
  }
}

function failure(error: unknown): RouteResponse {
  if (error instanceof RouteFailure) return json(error.status, error.body)
  if (error instanceof DingTalkApiError) {
    // §5.1: an invalid, expired or used free-login code.
    const status = error.errcode === 40029 ? 401 : 502
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

/**
 * Creates the DingTalk routes every adapter mounts under its prefix (default `/dingtalk`):
 * `POST /callback`, `POST /suite/callback`, `GET /jsapi-config?url=` and `GET /sso?code=`. All logic and the
 * one mapping of errors to HTTP status live here; an adapter only converts requests and responses.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http'
 * import { createDingTalkClient, createDingTalkRoutes } from '@dingtalk-kit/core'
 *
 * const client = createDingTalkClient({ appKey, appSecret, corpId }, { agentId })
 * const routes = createDingTalkRoutes({
 *   client,
 *   callback: { token, aesKey },
 *   jsapi: { allowedOrigins: ['https://app.example.com'], jsApiList: ['biz.chat.pickConversation'] },
 * })
 * routes.callback?.on('user_add_org', (event) => console.log(event.UserId))
 * createServer(async (req, res) => {
 *   const path = (req.url ?? '/').split('?', 1)[0]!.replace(/^\/dingtalk/, '')
 *   const reply = await routes.handle({ method: req.method ?? '', path, url: req.url, headers: req.headers, body: req })
 *   if (!reply) return res.writeHead(404).end()
 *   res.writeHead(reply.status, reply.headers).end(reply.body)
 * }).listen(3000)
 * ```
 */
export function createDingTalkRoutes(options: DingTalkRoutesOptions): DingTalkRoutes {
  const { client, suiteClient } = options
  const callback = isHandler<CallbackHandler>(options.callback)
    ? options.callback
    : options.callback && createCallbackHandler({ ...(client ? { client } : {}), ...options.callback })
  const suiteCallback = createSuiteCallback(options)
  const jsapi = options.jsapi
  if (jsapi && !client && !suiteClient) {
    throw new TypeError('The jsapi-config route needs a client or a suiteClient to fetch jsapi tickets with')
  }
  const allowed = new Set(
    (jsapi?.allowedOrigins ?? []).map((origin) => {
      const parsed = originOf(origin)
      if (parsed === undefined) {
        throw new TypeError(`jsapi.allowedOrigins: ${JSON.stringify(origin)} is not an http(s) origin`)
      }
      return parsed
    }),
  )
  const sso = options.sso !== false && (client !== undefined || suiteClient !== undefined)

  const clientFor = (request: RouteRequest): DingTalkClient => {
    const corpId = param(request, 'corpId')
    if (corpId !== undefined && !CORP_ID.test(corpId)) {
      throw new RouteFailure(400, { error: 'bad_request', message: 'corpId is invalid' })
    }
    if (corpId !== undefined && suiteClient && corpId !== client?.corpId) return suiteClient.forCorp(corpId)
    if (client && (corpId === undefined || client.corpId === undefined || corpId === client.corpId)) {
      return client
    }
    throw new RouteFailure(400, {
      error: 'bad_request',
      message: suiteClient ? 'corpId is required' : 'corpId is not this app’s corp',
    })
  }

  const jsapiConfig = async (
    request: RouteRequest,
    routeOptions: JsapiRouteOptions,
  ): Promise<RouteResponse> => {
    const url = param(request, 'url')
    if (url === undefined || url === '') {
      throw new RouteFailure(400, { error: 'bad_request', message: 'url is required' })
    }
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
    const target = clientFor(request)
    // An ISV corp client knows its own corpId and agentId; the options describe the corp app.
    const own = target === client
    const config = await target.jsapi.createConfig({
      url,
      jsApiList: routeOptions.jsApiList ?? [],
      ...(own && routeOptions.agentId !== undefined ? { agentId: routeOptions.agentId } : {}),
      ...(own && routeOptions.corpId !== undefined ? { corpId: routeOptions.corpId } : {}),
      ...(routeOptions.type === undefined ? {} : { type: routeOptions.type }),
    })
    return json(200, { config, url: normalized })
  }

  const ssoUser = async (request: RouteRequest): Promise<RouteResponse> => {
    const code = param(request, 'code')
    if (code === undefined || code === '') {
      throw new RouteFailure(400, { error: 'bad_request', message: 'code is required' })
    }
    const target = clientFor(request)
    const user = await target.sso.getUserInfo(code)
    return json(200, {
      ...user,
      isAdmin: user.sys,
      corpId: param(request, 'corpId') ?? target.corpId ?? null,
    })
  }

  const get = async (
    request: RouteRequest,
    run: (request: RouteRequest) => Promise<RouteResponse>,
  ): Promise<RouteResponse> => {
    if (request.method.toUpperCase() !== 'GET') {
      return json(405, { error: 'method_not_allowed' }, { allow: 'GET' })
    }
    try {
      return await run(request)
    } catch (error) {
      return failure(error)
    }
  }

  const handle = async (
    request: RouteRequest,
    context?: WaitUntilContext,
  ): Promise<RouteResponse | undefined> => {
    const mark = request.path.indexOf('?')
    const raw = mark === -1 ? request.path : request.path.slice(0, mark)
    const path = raw.length > 1 && raw.endsWith('/') ? raw.slice(0, -1) : raw
    switch (path) {
      case '/callback':
        return callback?.handle(requestForCallback(request), context)
      case '/suite/callback':
        return suiteCallback?.handle(requestForCallback(request), context)
      case '/jsapi-config':
        return jsapi ? get(request, (r) => jsapiConfig(r, jsapi)) : undefined
      case '/sso':
        return sso ? get(request, ssoUser) : undefined
      default:
        return undefined
    }
  }

  return {
    callback,
    suiteCallback,
    handle,
    async fetch(request, context) {
      const url = new URL(request.url)
      let path = url.pathname
      const prefix = context?.prefix?.replace(/\/+$/, '')
      if (prefix) {
        if (path !== prefix && !path.startsWith(`${prefix}/`)) return undefined
        path = path.slice(prefix.length) || '/'
      }
      const out = await handle(
        {
          method: request.method,
          path,
          url: request.url,
          query: url.searchParams,
          headers: request.headers,
          body: request.body ?? undefined,
        },
        context,
      )
      return out && new Response(out.body, { status: out.status, headers: out.headers })
    },
  }
}

function requestForCallback(request: RouteRequest): RouteRequest {
  if (request.query !== undefined || request.url !== undefined) return request
  const mark = request.path.indexOf('?')
  return mark === -1 ? request : { ...request, url: request.path }
}

function createSuiteCallback(options: DingTalkRoutesOptions): CallbackHandler<SuiteClient> | undefined {
  const { suiteClient } = options
  const given = options.suiteCallback
  if (isHandler<CallbackHandler<SuiteClient>>(given)) return given
  if (given === undefined && (suiteClient?.token === undefined || suiteClient.aesKey === undefined)) {
    return undefined
  }
  const token = given?.token ?? suiteClient?.token
  const aesKey = given?.aesKey ?? suiteClient?.aesKey
  if (token === undefined || aesKey === undefined) {
    throw new TypeError(
      'suiteCallback needs the suite callback token and aesKey (or a suite client carrying them)',
    )
  }
  return createCallbackHandler<SuiteClient>({
    ...(suiteClient ? { suiteClient } : {}),
    ...given,
    token,
    aesKey,
  })
}
