import type * as core from '@dingtalk-kit/core'
import { answerNodeRequest, DINGTALK_ROUTES, installBodyHeadersAside } from '@dingtalk-kit/core'
import { All, Controller, NotFoundException, Req, Res, UseGuards, UseInterceptors } from '@nestjs/common'
import { PARAMTYPES_METADATA } from '@nestjs/common/constants.js'
import { HttpAdapterHost } from '@nestjs/core'
import type { DingTalkModuleExtras } from './options'
import { DingTalkRoutes } from './tokens'

// The extras `forRoot` and `forRootAsync` assume when not given: the routes under `/dingtalk`, the module not
// global (the keys here are the ones the module's builder keeps out of the options it provides).
export const EXTRAS_DEFAULTS: DingTalkModuleExtras = { isGlobal: false, prefix: '/dingtalk' }

/** Creates the controller that mounts the DingTalk routes under `prefix` (the module does this). */
export function createDingTalkController(options: DingTalkModuleExtras): new (...args: never[]) => unknown {
  class DingTalkController {
    constructor(
      private readonly routes: DingTalkRoutes,
      private readonly host: HttpAdapterHost,
    ) {
      // `exactBodies`: the body headers of callback requests set aside before the app registers its body
      // parsers, so Express's and Fastify's parsers see no body and leave the stream for the core to read
      // within its limit. Now, or once a testing module is given its adapter (`init$` replays the adapter's
      // arrival to late subscribers).
      if (options.exactBodies)
        host.init$.subscribe(() => installBodyHeadersAside(host.httpAdapter.getInstance(), options.prefix))
    }

    // Nest matched the route (under any global prefix); returns what it wrote, so interceptors see it.
    async handle(req: core.NodeFrameworkRequest, res: unknown) {
      const response = await answerNodeRequest(this.routes, req, this.host.httpAdapter, res)
      if (!response) throw new NotFoundException()
      return response
    }
  }
  // Decorators applied as calls: consumers' transforms (tsx, esbuild) compile this source through the
  // `@dingtalk-kit/source` condition and may not enable TypeScript's experimental decorators for it.
  const prototype = DingTalkController.prototype
  Controller(options.prefix)(DingTalkController)
  // The constructor's parameter types, as TypeScript's `emitDecoratorMetadata` would record them.
  Reflect.defineMetadata(PARAMTYPES_METADATA, [DingTalkRoutes, HttpAdapterHost], DingTalkController)
  All(DINGTALK_ROUTES.map((route) => route.path.slice(1)))(prototype, 'handle', { value: prototype.handle })
  Req()(prototype, 'handle', 0)
  Res()(prototype, 'handle', 1)
  if (options.guards?.length) UseGuards(...options.guards)(DingTalkController)
  if (options.interceptors?.length) UseInterceptors(...options.interceptors)(DingTalkController)
  for (const decorate of options.decorators ?? []) decorate(DingTalkController)
  return DingTalkController
}
