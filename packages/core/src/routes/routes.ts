import { checkAgentId } from '../agent-id'
import type { CallbackHandlerOptions } from '../callback/handler'
import { type CallbackHandler, createCallbackDispatcher, createCallbackHandler } from '../callback/handler'
import type { DingTalkClient } from '../client'
import type { DingTalkCallbackError } from '../errors/callback'
import type { AnyEventHandler, EventContext, EventHandler, WaitUntilContext } from '../events/context'
import type { EventDispatcher } from '../events/dispatcher'
import type { DingTalkEventType, EventOf } from '../events/types'
import { createRobotRoute, type RobotRouteOptions } from '../robots/http-mode'
import type { SuiteClient } from '../suite/suite-client'
import { failure, json, type RouteResponse } from './failure'
import {
  allowedOrigins,
  type Clients,
  type JsapiRouteOptions,
  jsapiConfigRoute,
  ssoRoute,
} from './get-routes'
import { createFailureLimiter, type FailureLimit } from './limiter'
import type { RouteRequest } from './request'
import {
  DINGTALK_ROUTES,
  type DingTalkRoute,
  type DingTalkRouteName,
  normalizePrefix,
  pathUnder,
} from './table'
import { handleWebLogin, type WebLoginRouteOptions } from './web-login'

export type { RouteResponse } from './failure'
export type { JsapiRouteOptions } from './get-routes'
export type { RouteRequest } from './request'

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
  /**
   * Where the routes are mounted, e.g. `/dingtalk` (default `''`: `handle()` takes paths relative to the mount,
   * `serve()` the whole request path).
   */
  prefix?: string
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
  /**
   * `GET {prefix}/sso`: on by default when a client or suite client is given. `failureLimit` bounds how many
   * invalid codes one client (by the address the adapter reports) may try per window before it gets 429
   * without a call to DingTalk (default 10 a minute; `false` turns it off).
   */
  sso?: boolean | { failureLimit?: FailureLimit | false }
  /**
   * `GET {prefix}/login`: logging a browser in with DingTalk outside DingTalk (QR code, §5.3) — off without it.
   * `onSignIn` gets the adapter's request context as its third argument (set your session there).
   */
  webLogin?: WebLoginRouteOptions
  /**
   * `POST {prefix}/robot`: a robot in HTTP mode (§14.1) — requests verified from their `timestamp` and `sign`
   * headers with the client's AppSecret (or `robot.appSecret`), delivered as `robot_message` events through
   * the same pipeline. Off without it; `true` takes the defaults.
   */
  robot?: boolean | RobotRouteOptions
  /**
   * The event pipeline both callback routes feed (share it with a Stream client to run both transports on
   * the same handlers). Default: one created from the clients and the callbacks' store, logger and tuning.
   */
  dispatcher?: EventDispatcher<SuiteClient>
}

/**
 * The DingTalk routes, framework-free: the route table, the one event pipeline of both callback routes, and
 * the request handling every adapter delegates to. Status codes of the GET routes: 200; 400 for a missing or
 * invalid parameter; 401 for an invalid or used SSO code (40078, or 40029 in the old documents); 403 for a page origin not allowed; 405 for
 * another method; 429 when DingTalk rate-limits; 502 for any other DingTalk failure (`{ error, errcode,
 * requestId }`, never a secret); 500 when the routes are misconfigured. The callback routes answer as
 * {@link CallbackHandler} does. `L` types `locals`, the adapter's request context handed to event handlers.
 *
 * @example
 * ```ts
 * const routes = createDingTalkRoutes({ prefix: '/dingtalk', client, jsapi: { allowedOrigins: ['https://app.example.com'] } })
 * const response = await routes.serve({ method: 'GET', path: '/dingtalk/jsapi-config', url: req.url, headers: req.headers })
 * ```
 */
export interface DingTalkRoutes<L = unknown> {
  /** The mount prefix, normalised (`''` or `/dingtalk`). */
  readonly prefix: string
  /** The configured routes, paths under `prefix`. */
  readonly table: readonly DingTalkRoute[]
  /** The corp callback handler, when configured. */
  readonly callback: CallbackHandler | undefined
  /** The suite callback handler, when configured. */
  readonly suiteCallback: CallbackHandler<SuiteClient> | undefined
  /** The event pipeline of both callback routes (and of a Stream client given it). */
  readonly dispatcher: EventDispatcher<SuiteClient, L>
  /**
   * Handles one event type from the corp and the suite callback (and every transport sharing the pipeline);
   * `from` keeps only the events of one side: the suite's are those for its suiteKey. Returns a function
   * that removes it.
   */
  on<K extends DingTalkEventType>(
    type: K,
    handler: EventHandler<K, SuiteClient, L>,
    options?: { from?: readonly CallbackSource[] },
  ): () => void
  /**
   * Handles one event type with the adapter's request context (`locals`, e.g. Koa's `ctx`), for handlers
   * that need the framework. Events that came without a request (over Stream) make it throw, so they are
   * delivered again rather than lost: use `on()` for those. Returns a function that removes it.
   */
  onRequestEvent<K extends DingTalkEventType>(
    type: K,
    handler: (event: EventOf<K>, context: EventContext<SuiteClient, L>, locals: L) => unknown,
  ): () => void
  /** Handles every event. */
  onAny(handler: AnyEventHandler<SuiteClient, L>): () => void
  /** Listens for callback failures (rejections, handler errors, store outages). */
  onError(listener: (error: DingTalkCallbackError) => void): () => void
  /** Resolves when every handler still running after its reply has finished. */
  idle(): Promise<void>
  /** Answers one request whose `path` is relative to the mount; `undefined` when no route matches. Never throws. */
  handle(request: RouteRequest, context?: WaitUntilContext): Promise<RouteResponse | undefined>
  /** Like `handle`, for the whole request path: `undefined` outside `prefix` (the adapter calls next / 404s). */
  serve(request: RouteRequest, context?: WaitUntilContext): Promise<RouteResponse | undefined>
  /** Web face: `undefined` outside `prefix` (or `context.prefix`, which overrides it). */
  fetch(request: Request, context?: WaitUntilContext & { prefix?: string }): Promise<Response | undefined>
}

/**
 * Creates the DingTalk routes every adapter mounts under its prefix:
 * `POST /callback`, `POST /suite/callback`, `POST /robot`, `GET /jsapi-config?url=` and `GET /sso?code=`. All logic and the
 * one mapping of errors to HTTP status live here; an adapter only converts requests and responses.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http'
 * import { createDingTalkClient, createDingTalkRoutes } from '@dingtalk-kit/core'
 *
 * const client = createDingTalkClient({ appKey, appSecret, corpId }, { agentId })
 * const routes = createDingTalkRoutes({
 *   prefix: '/dingtalk',
 *   client,
 *   callback: { token, aesKey },
 *   jsapi: { allowedOrigins: ['https://app.example.com'], jsApiList: ['biz.chat.pickConversation'] },
 * })
 * routes.on('user_add_org', (event) => console.log(event.UserId))
 * createServer(async (req, res) => {
 *   const reply = await routes.serve({ method: req.method ?? '', path: req.url ?? '/', url: req.url, headers: req.headers, body: req })
 *   if (!reply) return res.writeHead(404).end()
 *   res.writeHead(reply.status, reply.headers).end(reply.body)
 * }).listen(3000)
 * ```
 */
export function createDingTalkRoutes<L = unknown>(options: DingTalkRoutesOptions): DingTalkRoutes<L> {
  const { client, suiteClient, jsapi, webLogin } = options
  if (jsapi && !client && !suiteClient) {
    throw new TypeError('The jsapi-config route needs a client or a suiteClient to fetch jsapi tickets with')
  }
  // Checked now, not on the first page load: `Number(env.DINGTALK_AGENT_ID)` unset is NaN.
  checkAgentId(jsapi?.agentId, 'jsapi.agentId')
  const dispatcher =
    (options.dispatcher as EventDispatcher<SuiteClient, L> | undefined) ?? sharedDispatcher<L>(options)
  const callback = createCorpCallback(options, dispatcher)
  const suiteCallback = createSuiteCallback(options, dispatcher)
  const allowed = allowedOrigins(jsapi)
  const clients: Clients = { client, suiteClient }
  const sso = options.sso !== false && (client !== undefined || suiteClient !== undefined)
  const limit = typeof options.sso === 'object' ? options.sso.failureLimit : undefined
  const limiter = limit === false ? undefined : createFailureLimiter(limit)
  const answers: Partial<
    Record<DingTalkRouteName, (request: RouteRequest, context?: WaitUntilContext) => Promise<RouteResponse>>
  > = {
    ...(callback ? { callback: (r, c) => callback.handle(forCallback(r), c) } : {}),
    ...(suiteCallback ? { suiteCallback: (r, c) => suiteCallback.handle(forCallback(r), c) } : {}),
    ...(jsapi ? { jsapiConfig: get((r) => jsapiConfigRoute(clients, jsapi, allowed, r)) } : {}),
    ...(sso ? { sso: get((r) => ssoRoute(clients, limiter, r)) } : {}),
    ...(webLogin ? { webLogin: (r, c) => handleWebLogin(r, webLogin, c?.locals) } : {}),
    ...(options.robot
      ? {
          robot: createRobotRoute({
            ...(options.robot === true ? {} : options.robot),
            dispatcher: dispatcher as unknown as EventDispatcher,
            client,
          }),
        }
      : {}),
  }
  const table = DINGTALK_ROUTES.filter((route) => answers[route.name] !== undefined)
  const prefix = normalizePrefix(options.prefix)
  // Handlers registered on the routes reach every pipeline their callbacks feed (one, unless a ready-made
  // handler with its own pipeline was given).
  const pipelines = [...new Set([dispatcher, callback?.dispatcher, suiteCallback?.dispatcher])].filter(
    (d): d is EventDispatcher<SuiteClient, L> => d !== undefined,
  )
  const each = (add: (d: EventDispatcher<SuiteClient, L>) => () => void): (() => void) => {
    const offs = pipelines.map(add)
    return () => {
      for (const off of offs) off()
    }
  }

  const handle = async (request: RouteRequest, context?: WaitUntilContext) => {
    const path = pathUnder('', request.path) ?? request.path
    const route = table.find((r) => r.path === path)
    return route && answers[route.name]?.(request, context)
  }
  const serve = (request: RouteRequest, context?: WaitUntilContext) => {
    const path = pathUnder(prefix, request.path)
    return path === undefined ? Promise.resolve(undefined) : handle({ ...request, path }, context)
  }

  return {
    prefix,
    table,
    callback,
    suiteCallback,
    dispatcher,
    on: (type, handler, { from } = {}) => {
      if (!from || (from.includes('callback') && from.includes('suiteCallback')))
        return each((d) => d.on(type, handler))
      return each((d) =>
        d.on(type, (event, context) =>
          from.includes(sourceOf(context)) ? handler(event, context) : undefined,
        ),
      )
    },
    onRequestEvent: (type, handler) =>
      each((d) =>
        d.on(type, (event, context) => {
          if (context.locals === undefined) {
            throw new TypeError(
              `onRequestEvent('${type}') handlers only run for events an HTTP request delivered`,
            )
          }
          return handler(event, context, context.locals)
        }),
      ),
    onAny: (handler) => each((d) => d.onAny(handler)),
    onError: (listener) => each((d) => d.onError(listener)),
    idle: async () => {
      await Promise.all(pipelines.map((d) => d.idle()))
    },
    handle,
    serve,
    async fetch(request, context) {
      const url = new URL(request.url)
      const path = pathUnder(normalizePrefix(context?.prefix ?? prefix), url.pathname)
      if (path === undefined) return undefined
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

/**
 * Which callback an event is for: the suite's (its suiteKey, or the suite-creation placeholder §1.1) or the
 * corp app's.
 *
 * @example
 * ```ts
 * const from: CallbackSource = 'suiteCallback'
 * ```
 */
export type CallbackSource = 'callback' | 'suiteCallback'

function sourceOf(context: EventContext<SuiteClient, unknown>): CallbackSource {
  const id = context.receiveId
  return id === context.suiteClient?.suiteKey || id === 'suite4xxxxxxxxxxxxxxx' ? 'suiteCallback' : 'callback'
}

function get(
  run: (request: RouteRequest) => Promise<RouteResponse>,
): (request: RouteRequest) => Promise<RouteResponse> {
  return async (request) => {
    if (request.method.toUpperCase() !== 'GET')
      return json(405, { error: 'method_not_allowed' }, { allow: 'GET' })
    try {
      return await run(request)
    } catch (error) {
      return failure(error)
    }
  }
}

function isHandler<T>(value: unknown): value is T {
  return typeof (value as { handle?: unknown } | undefined)?.handle === 'function'
}

// A callback's query comes from its URL; a bare `path` with a query string is the URL.
function forCallback(request: RouteRequest): RouteRequest {
  if (request.query !== undefined || request.url !== undefined) return request
  return request.path.includes('?') ? { ...request, url: request.path } : request
}

/** One pipeline for both callback routes, configured from the clients and the callbacks' own settings. */
function sharedDispatcher<L>(options: DingTalkRoutesOptions): EventDispatcher<SuiteClient, L> {
  const { client, suiteClient } = options
  const corp = isHandler<CallbackHandler>(options.callback) ? undefined : options.callback
  const suite = isHandler<CallbackHandler<SuiteClient>>(options.suiteCallback)
    ? undefined
    : options.suiteCallback
  const store = corp?.store ?? suite?.store
  const logger = corp?.logger ?? suite?.logger
  const tuning = corp?.options ?? suite?.options
  return createCallbackDispatcher<SuiteClient>({
    ...(client ? { client } : {}),
    ...(suiteClient ? { suiteClient } : {}),
    ...(store ? { store } : {}),
    ...(logger ? { logger } : {}),
    ...(tuning ? { options: tuning } : {}),
  }) as EventDispatcher<SuiteClient, L>
}

function createCorpCallback<L>(
  options: DingTalkRoutesOptions,
  dispatcher: EventDispatcher<SuiteClient, L>,
): CallbackHandler | undefined {
  const given = options.callback
  if (given === undefined || isHandler<CallbackHandler>(given)) return given
  return createCallbackHandler({
    ...(options.client ? { client: options.client } : {}),
    ...given,
    dispatcher: dispatcher as unknown as EventDispatcher,
  })
}

function createSuiteCallback<L>(
  options: DingTalkRoutesOptions,
  dispatcher: EventDispatcher<SuiteClient, L>,
): CallbackHandler<SuiteClient> | undefined {
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
    dispatcher: dispatcher as EventDispatcher<SuiteClient>,
  })
}
