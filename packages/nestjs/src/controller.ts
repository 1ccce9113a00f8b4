import {
  DINGTALK_ROUTES,
  type NodeFrameworkRequest,
  nodeRouteRequest,
  type RouteResponse,
  routeBySuffix,
  setBodyHeadersAside,
  writeHeaders,
} from '@dingtalk-kit/core'
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

// `exactBodies`: before any body parser runs, the body headers of callback requests are set aside, so
// Express's and Fastify's parsers see no body and leave the stream for the core to read within its limit.
function keepCallbackBodies(adapter: AbstractHttpAdapter, prefix: string): void {
  if (adapter.getType() === 'fastify') {
    const hook = async (request: NodeFrameworkRequest) => setBodyHeadersAside(prefix, request)
    adapter.getInstance<{ addHook(name: string, hook: unknown): void }>().addHook('onRequest', hook)
  } else {
    adapter.use((req: NodeFrameworkRequest, _res: unknown, next: () => void) => {
      setBodyHeadersAside(prefix, req)
      next()
    })
  }
}

/** Creates the controller that mounts the DingTalk routes under `prefix` (the module does this). */
export function createDingTalkController(options: DingTalkModuleExtras): Type<unknown> {
  class DingTalkController {
    constructor(
      private readonly routes: DingTalkRoutes,
      private readonly host: HttpAdapterHost,
    ) {
      // Before the app registers its body parsers: now, or once a testing module is given its adapter
      // (`init$` replays the adapter's arrival to late subscribers).
      if (options.exactBodies)
        host.init$.subscribe(() => keepCallbackBodies(host.httpAdapter, options.prefix))
    }

    // Nest matched the route (under any global prefix); returns what it wrote, so interceptors see it.
    async handle(req: NodeFrameworkRequest, res: unknown): Promise<RouteResponse> {
      const path = routeBySuffix(req.originalUrl ?? req.url)?.path ?? '/'
      const response = await this.routes.handle(nodeRouteRequest(req, path))
      if (!response) throw new NotFoundException()
      const adapter = this.host.httpAdapter
      writeHeaders(response, {
        set: (name, value) => adapter.setHeader(res, name, value),
        append: (name, value) => adapter.appendHeader(res, name, value),
      })
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
