import { DINGTALK_ROUTES, pickBody, type RouteResponse, routeBySuffix } from '@dingtalk-kit/core'
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
import type { DingTalkModuleExtras } from './options'
import { DingTalkRoutes } from './tokens'

type Headers = Record<string, string | string[] | undefined> & { [HIDDEN]?: Headers }
/** The request as Express and Fastify hand it over (Fastify keeps Node's request in `raw`). */
interface PlatformRequest {
  method: string
  url: string
  originalUrl?: string
  headers: Headers
  body?: unknown
  rawBody?: unknown
  ip?: string
  raw?: { readableDidRead?: boolean; readableEnded?: boolean }
  readableDidRead?: boolean
  readableEnded?: boolean
}

// `exactBodies`: before any body parser runs, the body headers of callback requests are set aside, so
// Express's and Fastify's parsers see no body and leave the stream for the core to read within its limit.
const HIDDEN: unique symbol = Symbol.for('dingtalk-kit.body-headers')
const BODY_HEADERS = ['content-type', 'content-length', 'transfer-encoding']
const CALLBACKS = DINGTALK_ROUTES.filter((route) => route.method === 'POST').map((route) => route.path)

function keepCallbackBodies(adapter: AbstractHttpAdapter, base: string): void {
  const setAside = (url: string, headers: Headers): void => {
    const path = url.split('?', 1)[0]!.replace(/\/+$/, '')
    // Under the root prefix only the exact path counts, so that an app's own `/oauth/callback` keeps its body.
    if (!CALLBACKS.some((end) => (base ? path.endsWith(base + end) : path === end))) return
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
      if (!options.exactBodies) return
      // Before the app registers its body parsers: now, or once a testing module is given its adapter.
      if (host.httpAdapter) keepCallbackBodies(host.httpAdapter, base)
      else host.init$.subscribe(() => keepCallbackBodies(host.httpAdapter, base))
    }

    // Nest matched the route (under any global prefix); returns what it wrote, so interceptors see it.
    async handle(req: PlatformRequest, res: unknown): Promise<RouteResponse> {
      const url = req.originalUrl ?? req.url
      const hidden = req.headers[HIDDEN]
      const response = await this.routes.handle({
        method: req.method,
        path: routeBySuffix(url)?.path ?? '/',
        url,
        headers: hidden ? { ...req.headers, ...hidden } : req.headers,
        body: pickBody({ stream: req.raw ?? req, rawBody: req.rawBody, parsed: req.body }),
        ...(req.ip === undefined ? {} : { clientAddress: req.ip }),
      })
      if (!response) throw new NotFoundException()
      const adapter = this.host.httpAdapter
      for (const [name, value] of Object.entries(response.headers)) {
        if (name === 'set-cookie') adapter.appendHeader(res, name, value)
        else adapter.setHeader(res, name, value)
      }
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
  const handle = Object.getOwnPropertyDescriptor(prototype, 'handle')!
  All(DINGTALK_ROUTES.map((route) => route.path.slice(1)))(prototype, 'handle', handle)
  Req()(prototype, 'handle', 0)
  Res()(prototype, 'handle', 1)
  if (options.guards?.length) UseGuards(...options.guards)(DingTalkController)
  if (options.interceptors?.length) UseInterceptors(...options.interceptors)(DingTalkController)
  for (const decorate of options.decorators ?? []) decorate(DingTalkController)
  return DingTalkController
}
