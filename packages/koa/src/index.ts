import {
  createDingTalkRoutes,
  type DingTalkEvent,
  type DingTalkEventType,
  type DingTalkRoutes,
  type DingTalkRoutesOptions,
  type EventContext,
  type EventOf,
  type RouteResponse,
} from '@dingtalk-kit/core'
import Router from '@koa/router'
import type { Context, DefaultState, Middleware, ParameterizedContext } from 'koa'
import { requestBody } from './body'

export * from '@dingtalk-kit/core'

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
 * Options of {@link dingtalk}: the routes to mount (see `DingTalkRoutesOptions` of `@dingtalk-kit/core`)
 * and where.
 *
 * @example
 * ```ts
 * const options: DingTalkKoaOptions = { prefix: '/dingtalk', client, callback: { token, aesKey } }
 * ```
 */
export interface DingTalkKoaOptions extends DingTalkRoutesOptions {
  /** Where the routes are mounted (default `/dingtalk`). */
  prefix?: string
}

/**
 * The DingTalk routes for one Koa app, from {@link dingtalk}.
 *
 * @example
 * ```ts
 * const dt = dingtalk({ client, callback: { token, aesKey } })
 * app.use(dt.middleware())
 * ```
 */
export interface DingTalkKoa {
  /** The mount prefix, normalised (`/dingtalk`). */
  readonly prefix: string
  /** The framework-free routes this adapter serves. */
  readonly routes: DingTalkRoutes
  /** Middleware answering `{prefix}/…`; every other request goes to `next`. */
  middleware(): Middleware
  /** A `@koa/router` router with the routes under `prefix`; mount with `.routes()` or nest it. */
  router(): Router
  /**
   * Handles one event type (of the corp and the suite callback) with Koa middleware. It runs with the
   * context of the request that delivered the event, within the callback's reply deadline; a throw asks
   * DingTalk to re-push. Returns a function that removes it.
   */
  onEvent<K extends DingTalkEventType>(type: K, middleware: DingTalkEventMiddleware<K>): () => void
}

function write(ctx: Context, response: RouteResponse): void {
  ctx.status = response.status
  ctx.set(response.headers)
  ctx.body = response.body
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
  const { prefix: given = '/dingtalk', ...routeOptions } = options
  const prefix = `/${given.replace(/^\/+|\/+$/g, '')}`.replace(/^\/$/, '')
  const routes = createDingTalkRoutes(routeOptions)
  const handlers = [routes.callback, routes.suiteCallback].filter((h) => h !== undefined)
  // The request's Koa context travels with the request as `locals` (EventContext.locals).
  for (const handler of handlers) {
    handler.onAny((event, context) => {
      const ctx = context.locals as Context | undefined
      if (ctx) ctx.state.dingtalk = { event, context }
    })
  }

  const answer = async (ctx: Context, path: string, next: () => Promise<unknown>): Promise<void> => {
    const request = { method: ctx.method, path, url: ctx.url, headers: ctx.headers, body: requestBody(ctx) }
    const response = await routes.handle(request, { locals: ctx })
    if (response) write(ctx, response)
    else await next()
  }

  return {
    prefix: prefix || '/',
    routes,
    middleware: () => (ctx, next) => {
      const { path } = ctx
      if (prefix && path !== prefix && !path.startsWith(`${prefix}/`)) return next()
      return answer(ctx, path.slice(prefix.length) || '/', next)
    },
    router() {
      const router = new Router(prefix ? { prefix } : {})
      router.all('/{*path}', (ctx, next) => answer(ctx, `/${ctx.params.path ?? ''}`, next))
      return router
    },
    onEvent(type, middleware) {
      const offs = handlers.map((handler) =>
        handler.on(type, (event, context) => {
          const ctx = context.locals as Context | undefined
          if (!ctx)
            throw new TypeError(`dingtalk().onEvent('${type}') handlers only run for requests Koa received`)
          ctx.state.dingtalk = { event, context }
          return middleware(ctx as Parameters<typeof middleware>[0])
        }),
      )
      return () => {
        for (const off of offs) off()
      }
    },
  }
}
