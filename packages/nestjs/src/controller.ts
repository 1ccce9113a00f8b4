import type { RouteResponse } from '@dingtalk-kit/core'
import {
  All,
  Controller,
  Inject,
  NotFoundException,
  Req,
  Res,
  type Type,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common'
import { type AbstractHttpAdapter, HttpAdapterHost } from '@nestjs/core'
import type { DingTalkModuleExtras } from './module'
import { DingTalkRoutes } from './tokens'

type Headers = Record<string, string | string[] | undefined> & { [HIDDEN]?: Headers }
/** The request as Express and Fastify hand it over (Fastify keeps Node's request in `raw`). */
interface PlatformRequest {
  method: string
  url: string
  originalUrl?: string
  headers: Headers
  body?: unknown
  raw?: { readableEnded?: boolean }
  readableEnded?: boolean
}

// Longest first: `/suite/callback` before `/callback`.
const ROUTES = ['/suite/callback', '/callback', '/jsapi-config', '/sso']

const pathOf = (url: string): string => url.split('?', 1)[0]!.replace(/\/+$/, '')

// Callback bodies must reach the core byte for byte (duplicate keys, its size limit: R6.10–11) whatever body
// parser the app runs. Before any parser runs, the body headers of callback requests are set aside: Express's
// and Fastify's parsers then see no body and leave the stream unread, and the core reads it within its limit.
const HIDDEN: unique symbol = Symbol.for('dingtalk-kit.body-headers')
const BODY_HEADERS = ['content-type', 'content-length', 'transfer-encoding']

function keepCallbackBodies(adapter: AbstractHttpAdapter, base: string): void {
  const setAside = (url: string, headers: Headers): void => {
    const path = pathOf(url)
    // Under the root prefix only the exact path counts, so that an app's own `/oauth/callback` keeps its body.
    if (!['/callback', '/suite/callback'].some((end) => (base ? path.endsWith(base + end) : path === end)))
      return
    const hidden: Headers = {}
    for (const name of BODY_HEADERS) {
      hidden[name] = headers[name]
      delete headers[name]
    }
    Object.defineProperty(headers, HIDDEN, { value: hidden, configurable: true })
  }
  if (adapter.getType() === 'fastify') {
    const fastify = adapter.getInstance<{ addHook(name: string, hook: unknown): void }>()
    fastify.addHook('onRequest', (request: PlatformRequest, _reply: unknown, done: () => void) => {
      setAside(request.url, request.headers)
      done()
    })
  } else {
    adapter.use((req: PlatformRequest, _res: unknown, next: () => void) => {
      setAside(req.url, req.headers)
      next()
    })
  }
}

/** Creates the controller that mounts the DingTalk routes under `prefix` (the module does this). */
export function createDingTalkController(options: DingTalkModuleExtras): Type<unknown> {
  const base = `/${options.prefix.replace(/^\/+|\/+$/g, '')}`.replace(/^\/$/, '')
  class DingTalkController {
    constructor(
      private readonly routes: DingTalkRoutes,
      private readonly host: HttpAdapterHost,
    ) {
      // Before the app registers its body parsers: now, or once a testing module is given its adapter.
      if (host.httpAdapter) keepCallbackBodies(host.httpAdapter, base)
      else host.init$.subscribe(() => keepCallbackBodies(host.httpAdapter, base))
    }

    // Returns what it wrote, so interceptors see the route's answer.
    async handle(req: PlatformRequest, res: unknown): Promise<RouteResponse> {
      const url = req.originalUrl ?? req.url
      const stream = req.raw ?? req
      const hidden = req.headers[HIDDEN]
      const response = await this.routes.handle({
        method: req.method,
        path: ROUTES.find((route) => pathOf(url).endsWith(route)) ?? '/',
        url,
        headers: hidden ? { ...req.headers, ...hidden } : req.headers,
        body: stream.readableEnded ? req.body : stream,
      })
      if (!response) throw new NotFoundException()
      const adapter = this.host.httpAdapter
      for (const [name, value] of Object.entries(response.headers)) adapter.setHeader(res, name, value)
      adapter.reply(res, response.body, response.status)
      return response
    }
  }
  // Decorators applied as calls: consumers' transforms (tsx, esbuild) compile this source through the
  // `@dingtalk-kit/source` condition and may not enable TypeScript's experimental decorators for it.
  const prototype = DingTalkController.prototype
  Controller(options.prefix)(DingTalkController)
  Inject(DingTalkRoutes)(DingTalkController, undefined, 0)
  Inject(HttpAdapterHost)(DingTalkController, undefined, 1)
  All(ROUTES.map((route) => route.slice(1)))(
    prototype,
    'handle',
    Object.getOwnPropertyDescriptor(prototype, 'handle')!,
  )
  Req()(prototype, 'handle', 0)
  Res()(prototype, 'handle', 1)
  if (options.guards?.length) UseGuards(...options.guards)(DingTalkController)
  if (options.interceptors?.length) UseInterceptors(...options.interceptors)(DingTalkController)
  for (const decorate of options.decorators ?? []) decorate(DingTalkController)
  return DingTalkController
}
