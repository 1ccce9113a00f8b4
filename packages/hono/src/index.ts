import {
  createDingTalkRoutes,
  type DingTalkEvent,
  type DingTalkEventType,
  type DingTalkRoute,
  type DingTalkRoutes,
  type DingTalkRoutesOptions,
  type EventContext,
  type EventOf,
  lazyWaitUntil,
  normalizePrefix,
  pathUnder,
  webRequestBody,
} from '@dingtalk-kit/core'
import { type Context, Hono, type MiddlewareHandler } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'

export * from './exports'

declare module 'hono' {
  interface ContextVariableMap {
    /** The DingTalk routes serving this request (set by `@dingtalk-kit/hono`). */
    dingtalk: DingTalkRoutes<Context>
    /** The verified, decrypted event a DingTalk callback request delivered (set by `@dingtalk-kit/hono`). */
    dingtalkEvent: DingTalkEvent
    /** Receive-id, de-duplication key, raw payload and clients of `dingtalkEvent`. */
    dingtalkEventContext: EventContext
  }
}

/**
 * The Hono env of an event handler: `c.get('dingtalkEvent')` is typed by the event type.
 *
 * @example
 * ```ts
 * const onUserAdd = (c: Context<DingTalkEventEnv<'user_add_org'>>) => directory.add(c.get('dingtalkEvent').UserId)
 * ```
 */
export type DingTalkEventEnv<K extends DingTalkEventType = DingTalkEventType> = {
  Variables: {
    dingtalk: DingTalkRoutes<Context>
    dingtalkEvent: EventOf<K>
    dingtalkEventContext: EventContext
  }
}

/**
 * A handler of one DingTalk event type, given the Hono context of the request that delivered it.
 *
 * @example
 * ```ts
 * const handler: DingTalkEventHandler<'user_leave_org'> = (c) => directory.remove(c.get('dingtalkEvent').UserId)
 * ```
 */
export type DingTalkEventHandler<K extends DingTalkEventType = DingTalkEventType> = (
  c: Context<DingTalkEventEnv<K>>,
) => unknown

/**
 * Options of {@link dingtalk}: the routes (see `DingTalkRoutesOptions` of `@dingtalk-kit/core`) and, for
 * the middleware form, where they are mounted.
 *
 * @example
 * ```ts
 * const options: DingTalkHonoOptions = { client, callback: { token, aesKey }, jsapi: { allowedOrigins: [origin] } }
 * ```
 */
export interface DingTalkHonoOptions extends DingTalkRoutesOptions {
  /** Prefix the middleware answers under (default `/dingtalk`); the sub-app takes it from `app.route()`. */
  prefix?: string
}

/**
 * A Hono sub-app serving the DingTalk routes, from {@link dingtalk}.
 *
 * @example
 * ```ts
 * const dt: DingTalkHono = dingtalk({ client, callback: { token, aesKey } })
 * app.route('/dingtalk', dt)
 * ```
 */
export interface DingTalkHono extends Hono {
  /**
   * The framework-free routes this app serves: route table, callback handlers, and `on()` for events from
   * every transport (Hono's own `routes` and `on` are Hono's).
   */
  readonly dingtalk: DingTalkRoutes<Context>
  /**
   * Handles one event type (corp and suite callbacks) with the Hono context of the delivering request, within
   * the reply deadline; a throw asks DingTalk to re-push. HTTP only: for events from Stream too, use
   * `dingtalk.on()`. Returns a function that removes it.
   */
  onEvent<K extends DingTalkEventType>(type: K, handler: DingTalkEventHandler<K>): () => void
  /** The same routes as a middleware answering under `prefix`; every other request goes to `next`. */
  middleware(prefix?: string): MiddlewareHandler
}

/**
 * The DingTalk routes as a Hono sub-app: `POST /callback`, `POST /suite/callback`,
 * `GET /jsapi-config?url=…` and `GET /sso?code=…` (each when configured), mounted with `app.route()`. Web
 * APIs only: runs on Node (`@hono/node-server`), Bun, Deno and Cloudflare Workers, where background work
 * after the reply is kept alive with `executionCtx.waitUntil`.
 *
 * @example
 * ```ts
 * import { Hono } from 'hono'
 * import { createDingTalkClient, dingtalk } from '@dingtalk-kit/hono'
 *
 * const client = createDingTalkClient({ appKey, appSecret, corpId }, { agentId })
 * const dt = dingtalk({
 *   client,
 *   callback: { token, aesKey },
 *   jsapi: { allowedOrigins: ['https://app.example.com'], jsApiList: ['biz.chat.pickConversation'] },
 * })
 * dt.onEvent('user_add_org', async (c) => {
 *   for (const id of c.get('dingtalkEvent').UserId) await directory.add(await client.contacts.users.get(id))
 * })
 * const app = new Hono().route('/dingtalk', dt)
 * export default app
 * ```
 */
export function dingtalk(options: DingTalkHonoOptions): DingTalkHono {
  const { prefix: defaultPrefix = '/dingtalk', ...routeOptions } = options
  // Mounted with app.route(): the request path below the mount is the matched route's.
  const routes = createDingTalkRoutes<Context>(routeOptions)
  // Node, Bun and Deno servers give Hono no execution context, and reading it throws; a host does not change
  // while it serves, so the first failure is remembered instead of paying for an exception per request.
  const waitUntilOf = lazyWaitUntil<Context>((c) => c.executionCtx)
  routes.onAny((event, context) => {
    context.locals?.set('dingtalkEvent', event)
    context.locals?.set('dingtalkEventContext', context)
  })
  const answer = async (c: Context, route: DingTalkRoute): Promise<Response> => {
    c.set('dingtalk', routes)
    const { method, url } = c.req
    const body = route.method === 'POST' ? { body: await webRequestBody(c.req.raw, () => c.req.text()) } : {}
    // @hono/node-server hands the Node request over as `env.incoming` (other hosts: no address, no limit).
    const clientAddress = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)
      ?.incoming?.socket?.remoteAddress
    const request = { method, path: route.path, url, headers: c.req.raw.headers, clientAddress, ...body }
    const response = await routes.handle(request, { ...waitUntilOf(c), locals: c })
    if (!response) return c.notFound()
    const status = response.status as ContentfulStatusCode
    if (!('set-cookie' in response.headers)) return c.body(response.body, status, response.headers)
    // Cookies a handler set on `c` (a session, in the web login's onSignIn) stay next to the route's.
    for (const [name, value] of Object.entries(response.headers))
      c.header(name, value, { append: name === 'set-cookie' })
    return c.body(response.body, status)
  }
  const app = new Hono()
  for (const route of routes.table) app.all(route.path, (c) => answer(c, route))
  return Object.assign(app, {
    dingtalk: routes,
    onEvent: <K extends DingTalkEventType>(type: K, handler: DingTalkEventHandler<K>) =>
      routes.onRequestEvent(type, (_event, _context, c) =>
        handler(c as unknown as Context<DingTalkEventEnv<K>>),
      ),
    middleware(prefix = defaultPrefix): MiddlewareHandler {
      const base = normalizePrefix(prefix)
      return async (c, next) => {
        const path = pathUnder(base, c.req.path)
        const route = routes.table.find((r) => r.path === path)
        if (route) return answer(c, route)
        await next()
      }
    },
  })
}

/**
 * The DingTalk routes as one middleware answering under `options.prefix` (default `/dingtalk`); every other
 * request goes to `next`. Same as `dingtalk(options).middleware()`.
 *
 * @example
 * ```ts
 * app.use(dingtalkMiddleware({ prefix: '/hooks/dingtalk', client, callback: { token, aesKey } }))
 * ```
 */
export function dingtalkMiddleware(options: DingTalkHonoOptions): MiddlewareHandler {
  return dingtalk(options).middleware()
}
