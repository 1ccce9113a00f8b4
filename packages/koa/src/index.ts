import {
  createDingTalkRoutes,
  type DingTalkEvent,
  type DingTalkEventType,
  type DingTalkRoutes,
  type DingTalkRoutesOptions,
  type EventContext,
  type EventOf,
  nodeRouteRequest,
  writeHeaders,
} from '@dingtalk-kit/core'
import Router from '@koa/router'
import type { Context, DefaultState, Middleware, ParameterizedContext } from 'koa'

export * from './exports'

/**
 * What `ctx.state.dingtalk` holds while a DingTalk event is handled (and afterwards, for middleware that
 * ran before the DingTalk routes).
 *
 * @example
 * ```ts
 * app.use(async (ctx, next) => {
 *   await next()
 *   if (ctx.state.dingtalk) log.info('DingTalk event', { type: ctx.state.dingtalk.event.EventType })
 * })
 * ```
 */
export interface DingTalkState<E extends DingTalkEvent = DingTalkEvent> {
  /** The event being handled (the last one, once the request is answered). */
  event: E
  /** Receive-id, de-duplication key, raw payload, clients. */
  context: EventContext
}

declare module 'koa' {
  interface DefaultState {
    /** Set by `@dingtalk-kit/koa` on requests that delivered a DingTalk event. */
    dingtalk?: DingTalkState
  }
}

/**
 * A Koa middleware handling one DingTalk event type, with the event typed on `ctx.state.dingtalk`.
 *
 * @example
 * ```ts
 * const onUserAdd: DingTalkEventMiddleware<'user_add_org'> = async (ctx) => {
 *   for (const id of ctx.state.dingtalk.event.UserId) await directory.add(id)
 * }
 * ```
 */
export type DingTalkEventMiddleware<K extends DingTalkEventType = DingTalkEventType> = (
  ctx: ParameterizedContext<DefaultState & { dingtalk: DingTalkState<EventOf<K>> }>,
) => unknown

/**
 * Options of {@link dingtalk}: the routes to mount (see `DingTalkRoutesOptions` of `@dingtalk-kit/core`) and
 * where (`prefix`, default `/dingtalk`).
 *
 * @example
 * ```ts
 * const options: DingTalkKoaOptions = { prefix: '/dingtalk', client, callback: { token, aesKey } }
 * ```
 */
export interface DingTalkKoaOptions extends DingTalkRoutesOptions {}

/**
 * The DingTalk routes for one Koa app, from {@link dingtalk}.
 *
 * @example
 * ```ts
 * const dt = dingtalk({ client, callback: { token, aesKey } })
 * dt.dingtalk.on('user_leave_org', (event) => disable(event.UserId)) // any transport
 * app.use(dt.middleware())
 * ```
 */
export interface DingTalkKoa {
  /** The mount prefix, normalised (`/dingtalk`). */
  readonly prefix: string
  /** The framework-free routes: route table, callback handlers, and `on()` for events from every transport. */
  readonly dingtalk: DingTalkRoutes<Context>
  /** Middleware answering `{prefix}/…`; every other request goes to `next`. */
  middleware(): Middleware
  /** A `@koa/router` router with the routes under `prefix`; mount with `.routes()` or nest it. */
  router(): Router
  /**
   * Handles one event type (of the corp and the suite callback) with Koa middleware, given the context of the
   * request that delivered the event, within the callback's reply deadline; a throw asks DingTalk to re-push.
   * HTTP only: for events from Stream too, use `dingtalk.on()`. Returns a function that removes it.
   */
  onEvent<K extends DingTalkEventType>(type: K, middleware: DingTalkEventMiddleware<K>): () => void
}

/**
 * Mounts the DingTalk routes on Koa: `POST {prefix}/callback`, `POST {prefix}/suite/callback`,
 * `GET {prefix}/jsapi-config?url=…` and `GET {prefix}/sso?code=…`, each present when configured. Works with
 * `@koa/bodyparser`, `koa-body` or no body parser at all (then the body is read within the size limit).
 *
 * @example
 * ```ts
 * import Koa from 'koa'
 * import { createDingTalkClient, dingtalk } from '@dingtalk-kit/koa'
 *
 * const client = createDingTalkClient({ appKey, appSecret, corpId })
 * const dt = dingtalk({
 *   client,
 *   callback: { token, aesKey },
 *   jsapi: { allowedOrigins: ['https://app.example.com'] },
 * })
 * dt.onEvent('user_add_org', async (ctx) => {
 *   await directory.add(ctx.state.dingtalk.event.UserId)
 * })
 * new Koa().use(dt.middleware()).listen(3000)
 * ```
 */
export function dingtalk(options: DingTalkKoaOptions): DingTalkKoa {
  const routes = createDingTalkRoutes<Context>({ ...options, prefix: options.prefix ?? '/dingtalk' })
  routes.onAny((event, context) => {
    if (context.locals) context.locals.state.dingtalk = { event, context }
  })
  // Under a router the path below it is its `path` parameter (nested routers add their own prefixes).
  const answer =
    (underRouter = false): Middleware =>
    async (ctx, next) => {
      const request = nodeRouteRequest(ctx.request, underRouter ? `/${ctx.params.path ?? ''}` : ctx.path)
      const response = await (underRouter ? routes.handle : routes.serve)(request, { locals: ctx })
      if (!response) return next()
      ctx.status = response.status
      writeHeaders(response, ctx)
      ctx.body = response.body
    }
  return {
    prefix: routes.prefix || '/',
    dingtalk: routes,
    middleware: () => answer(),
    router: () => new Router(routes.prefix ? { prefix: routes.prefix } : {}).all('/{*path}', answer(true)),
    onEvent: (type, middleware) =>
      routes.onRequestEvent(type, (_event, _context, ctx) =>
        middleware(ctx as Parameters<typeof middleware>[0]),
      ),
  }
}
