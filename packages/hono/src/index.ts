import {
  createDingTalkRoutes,
  type DingTalkEvent,
  type DingTalkEventType,
  type DingTalkRoutes,
  type DingTalkRoutesOptions,
  type EventContext,
  type EventOf,
  type RouteResponse,
  type WaitUntilContext,
} from '@dingtalk-kit/core'
import { type Context, Hono, type MiddlewareHandler } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'

export * from '@dingtalk-kit/core'

declare module 'hono' {
  interface ContextVariableMap {
    /** The DingTalk routes serving this request (set by `@dingtalk-kit/hono`). */
    dingtalk: DingTalkRoutes
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
  Variables: { dingtalk: DingTalkRoutes; dingtalkEvent: EventOf<K>; dingtalkEventContext: EventContext }
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
  /** The framework-free routes this app serves (`.callback`, `.suiteCallback`; Hono's `routes` is its own). */
  readonly dingtalk: DingTalkRoutes
  /**
   * Handles one event type (corp and suite callbacks; Hono's own `on` registers routes) with the Hono context of the delivering request,
   * within the reply deadline; a throw asks DingTalk to re-push. Returns a function that removes it.
   */
  onEvent<K extends DingTalkEventType>(type: K, handler: DingTalkEventHandler<K>): () => void
  /** The same routes as a middleware answering under `prefix`; every other request goes to `next`. */
  middleware(prefix?: string): MiddlewareHandler
}

const WHOLE = 64 * 1024

async function bodyOf(c: Context): Promise<unknown> {
  // A body-parsing middleware that ran first consumed the stream; Hono caches what it read.
  if (c.req.raw.bodyUsed) return c.req.text()
  // Small declared bodies (every real callback) are read whole: @hono/node-server serves that without a Web
  // stream. Anything else is streamed, so the core enforces its size limit while reading.
  const declared = Number(c.req.header('content-length') ?? Number.NaN)
  if (declared <= WHOLE && c.req.header('transfer-encoding') === undefined) {
    // A client that hangs up mid-body leaves an empty (so rejected) body.
    return c.req.arrayBuffer().then(
      (bytes) => new Uint8Array(bytes),
      () => '',
    )
  }
  return c.req.raw.body ?? undefined
}

function write(c: Context, response: RouteResponse): Response {
  return c.body(response.body, response.status as ContentfulStatusCode, response.headers)
}

const CALLBACKS = new Set(['/callback', '/suite/callback'])

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
  const routes = createDingTalkRoutes(routeOptions)
  const handlers = [routes.callback, routes.suiteCallback].filter((h) => h !== undefined)
  // Node, Bun and Deno servers give Hono no execution context, and reading it throws; a host does not change
  // while it serves, so the first failure is remembered instead of paying for an exception per request.
  let hostHasExecutionCtx: boolean | undefined
  const waitUntilOf = (c: Context): WaitUntilContext | undefined => {
    if (hostHasExecutionCtx === false) return undefined
    try {
      const ctx = c.executionCtx
      hostHasExecutionCtx = true
      return { waitUntil: (promise) => ctx.waitUntil(promise) }
    } catch {
      hostHasExecutionCtx ??= false
      return undefined
    }
  }
  // The request's Hono context travels with the request as `locals` (EventContext.locals).
  const remember = (event: DingTalkEvent, context: EventContext): Context | undefined => {
    const c = context.locals as Context | undefined
    c?.set('dingtalkEvent', event)
    c?.set('dingtalkEventContext', context)
    return c
  }
  for (const handler of handlers) handler.onAny(remember)

  const answer = async (c: Context, path: string): Promise<Response | undefined> => {
    c.set('dingtalk', routes)
    const request = { method: c.req.method, path, url: c.req.url, headers: c.req.raw.headers }
    const context = { ...waitUntilOf(c), locals: c }
    const response = CALLBACKS.has(path)
      ? await routes.handle({ ...request, body: await bodyOf(c) }, context)
      : await routes.handle(request, context)
    return response && write(c, response)
  }

  const app = new Hono()
  for (const path of ['/callback', '/suite/callback', '/jsapi-config', '/sso']) {
    app.all(path, async (c) => (await answer(c, path)) ?? c.notFound())
  }
  return Object.assign(app, {
    dingtalk: routes,
    onEvent<K extends DingTalkEventType>(type: K, handler: DingTalkEventHandler<K>): () => void {
      const offs = handlers.map((h) =>
        h.on(type, (event, context) => {
          const c = remember(event, context)
          if (!c)
            throw new TypeError(`dingtalk().onEvent('${type}') handlers only run for requests Hono received`)
          return handler(c as unknown as Context<DingTalkEventEnv<K>>)
        }),
      )
      return () => {
        for (const off of offs) off()
      }
    },
    middleware(prefix = defaultPrefix): MiddlewareHandler {
      const base = `/${prefix.replace(/^\/+|\/+$/g, '')}`.replace(/^\/$/, '')
      return async (c, next) => {
        const { path } = c.req
        if (base && path !== base && !path.startsWith(`${base}/`)) return next()
        const response = await answer(c, path.slice(base.length) || '/')
        if (response) return response
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
