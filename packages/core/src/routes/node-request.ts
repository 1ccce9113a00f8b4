import { pickBody } from '../callback/body'
import type { RouteResponse } from './failure'
import type { RouteRequest } from './request'
import type { DingTalkRoutes } from './routes'
import { DINGTALK_ROUTES, normalizePrefix, routeBySuffix } from './table'

/**
 * A request as a Node framework hands it over: Express's `req`, Fastify's `request`, Koa's `ctx.request`,
 * with what a body parser left on it.
 *
 * @example
 * ```ts
 * const request: NodeFrameworkRequest = ctx.request
 * ```
 */
export interface NodeFrameworkRequest {
  method: string
  /** The URL as the framework routes it (path and query). */
  url: string
  /** The URL before a mounted app cut its prefix (Express, Koa, Fastify), preferred for the query. */
  originalUrl?: string
  headers: Record<string, string | string[] | undefined>
  /** The parsed body, when a body parser ran. */
  body?: unknown
  /** The raw text or bytes a body parser kept (Nest's `rawBody: true`, `@koa/bodyparser`). */
  rawBody?: unknown
  /** The client's address as the framework knows it. */
  ip?: string
  /** Node's request where the framework keeps it apart from its own: Fastify's `raw`. */
  raw?: { readableDidRead?: boolean; readableEnded?: boolean }
  /** Node's request where the framework keeps it apart from its own: Koa's `req`. */
  req?: { readableDidRead?: boolean; readableEnded?: boolean }
  /** Whether the stream was read, when the request is Node's own (Express). */
  readableDidRead?: boolean
  readableEnded?: boolean
}

// What setBodyHeadersAside keeps on the headers object it took them from.
const ASIDE: unique symbol = Symbol.for('dingtalk-kit.body-headers')
const BODY_HEADERS = ['content-type', 'content-length', 'transfer-encoding']
const BODY_ROUTES = DINGTALK_ROUTES.filter((route) => route.method === 'POST').map((route) => route.path)

type AsideHeaders = NodeFrameworkRequest['headers'] & { [ASIDE]?: NodeFrameworkRequest['headers'] }

/**
 * The `RouteRequest` of a Node framework's request, for `routes.handle()` (a `path` under the mount) or
 * `routes.serve()` (the whole path): the body `pickBody` chooses — Node's request stream while nothing read
 * it, else the parser's raw body, else its parsed body —, the client address from `ip`, and the body headers
 * {@link setBodyHeadersAside} set aside put back.
 *
 * @example
 * ```ts
 * const response = await routes.serve(nodeRouteRequest(ctx.request, ctx.path), { locals: ctx })
 * ```
 */
export function nodeRouteRequest(request: NodeFrameworkRequest, path: string): RouteRequest {
  const headers: AsideHeaders = request.headers
  const aside = headers[ASIDE]
  return {
    method: request.method,
    path,
    url: request.originalUrl ?? request.url,
    headers: aside ? { ...headers, ...aside } : headers,
    body: pickBody({
      stream: request.raw ?? request.req ?? request,
      rawBody: request.rawBody,
      parsed: request.body,
    }),
    ...(request.ip === undefined ? {} : { clientAddress: request.ip }),
  }
}

/**
 * For a request to one of the POST routes (callbacks, robot) under `prefix`, moves its body headers
 * (`content-type`, `content-length`, `transfer-encoding`) out of `request.headers`, so that body parsers
 * running before the routes see no body and leave the stream for the core to read within its limit;
 * {@link nodeRouteRequest} puts them back. Call it from a hook that runs before any body parser. The path
 * may sit below prefixes the hook cannot know (NestJS' global prefix): `/api/dingtalk/callback` is under
 * `/dingtalk`. Under the root prefix only the exact paths count, so that an app's own `/oauth/callback`
 * keeps its body.
 *
 * @example
 * ```ts
 * expressApp.use((req, _res, next) => {
 *   setBodyHeadersAside('/dingtalk', req)
 *   next()
 * })
 * ```
 */
export function setBodyHeadersAside(
  prefix: string,
  request: Pick<NodeFrameworkRequest, 'url' | 'headers'>,
): void {
  const base = normalizePrefix(prefix)
  const path = request.url.split('?', 1)[0]!.replace(/\/+$/, '')
  if (!BODY_ROUTES.some((end) => (base ? path.endsWith(base + end) : path === end))) return
  const { headers } = request
  const aside: NodeFrameworkRequest['headers'] = {}
  for (const name of BODY_HEADERS) {
    aside[name] = headers[name]
    delete headers[name]
  }
  Object.defineProperty(headers, ASIDE, { value: aside, configurable: true })
}

/**
 * A hook of the `(request, response, next)` shape that Express (Connect) middleware and Fastify's
 * callback-style hooks share.
 *
 * @example
 * ```ts
 * const hook: NodeRequestHook = (request, _response, next) => next()
 * ```
 */
export type NodeRequestHook = (
  request: Pick<NodeFrameworkRequest, 'url' | 'headers'>,
  response: unknown,
  next: () => void,
) => void

/**
 * Runs {@link setBodyHeadersAside} on every request, before any body parser: as an `onRequest` hook on a
 * Fastify instance (Fastify parses bodies after it), as middleware (`use()`) on an Express app — there,
 * install it before the app registers its body parsers.
 *
 * @example
 * ```ts
 * installBodyHeadersAside(expressApp, '/dingtalk') // or a Fastify instance
 * expressApp.use(express.json())
 * ```
 */
export function installBodyHeadersAside(
  app:
    | { addHook(name: 'onRequest', hook: NodeRequestHook): unknown }
    | { use(hook: NodeRequestHook): unknown },
  prefix: string,
): void {
  const hook: NodeRequestHook = (request, _response, next) => {
    setBodyHeadersAside(prefix, request)
    next()
  }
  if ('addHook' in app) app.addHook('onRequest', hook)
  else app.use(hook)
}

/**
 * Writes a route's response headers on the framework's response through its `set` and `append` (Koa's `ctx`
 * and Express's `res` have both): `set-cookie` is appended, so that cookies a handler set on the framework's
 * response (a session, in the web login's `onSignIn`) stay next to the route's; every other header replaces
 * what is there.
 *
 * @example
 * ```ts
 * ctx.status = response.status
 * writeHeaders(response, ctx)
 * ctx.body = response.body
 * ```
 */
export function writeHeaders(
  response: RouteResponse,
  target: { set(name: string, value: string): unknown; append(name: string, value: string): unknown },
): void {
  for (const [name, value] of Object.entries(response.headers)) {
    if (name === 'set-cookie') target.append(name, value)
    else target.set(name, value)
  }
}

/**
 * A framework's reply functions that take the response object first (NestJS' `HttpAdapter`), for
 * {@link writeRouteResponse}.
 *
 * @example
 * ```ts
 * const writer: ResponseWriter<ServerResponse> = {
 *   setHeader: (res, name, value) => res.setHeader(name, value),
 *   appendHeader: (res, name, value) => res.appendHeader(name, value),
 *   reply: (res, body, status) => res.writeHead(status).end(body),
 * }
 * ```
 */
export interface ResponseWriter<R> {
  setHeader(response: R, name: string, value: string): unknown
  appendHeader(response: R, name: string, value: string): unknown
  reply(response: R, body: unknown, status: number): unknown
}

/**
 * Writes a route's response on the framework's `response` through `writer`: the headers as
 * {@link writeHeaders} does (`set-cookie` appended), then the body with the status.
 *
 * @example
 * ```ts
 * const reply = await routes.handle(nodeRouteRequest(req, '/callback'))
 * if (reply) writeRouteResponse(reply, httpAdapterHost.httpAdapter, res)
 * ```
 */
export function writeRouteResponse<R>(route: RouteResponse, writer: ResponseWriter<R>, response: R): void {
  writeHeaders(route, {
    set: (name, value) => writer.setHeader(response, name, value),
    append: (name, value) => writer.appendHeader(response, name, value),
  })
  writer.reply(response, route.body, route.status)
}

/**
 * Answers a Node framework's request that the framework routed to a DingTalk route itself, under prefixes the
 * adapter may not know (NestJS' global prefix): `routes.handle()` with the route the URL ends with
 * (`routeBySuffix`), the response written through `writer` ({@link writeRouteResponse}) and returned.
 * `undefined`, with nothing written, when that route is not configured.
 *
 * @example
 * ```ts
 * const answered = await answerNodeRequest(routes, req, httpAdapterHost.httpAdapter, res)
 * if (!answered) throw new NotFoundException()
 * ```
 */
export async function answerNodeRequest<R>(
  routes: Pick<DingTalkRoutes, 'handle'>,
  request: NodeFrameworkRequest,
  writer: ResponseWriter<R>,
  response: R,
): Promise<RouteResponse | undefined> {
  const path = routeBySuffix(request.originalUrl ?? request.url)?.path ?? '/'
  const route = await routes.handle(nodeRouteRequest(request, path))
  if (route) writeRouteResponse(route, writer, response)
  return route
}
