import type { RouteResponse } from '@dingtalk-kit/core'
import {
  All,
  type CanActivate,
  Controller,
  Inject,
  type NestInterceptor,
  NotFoundException,
  Req,
  Res,
  type Type,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common'
import { HttpAdapterHost } from '@nestjs/core'
import { keepCallbackBodies, originalHeaders } from './body'
import { DingTalkRoutes } from './tokens'

/** The request as Express and Fastify hand it to a handler (Fastify keeps Node's request in `raw`). */
interface PlatformRequest {
  method: string
  url: string
  originalUrl?: string
  headers: Record<string, string | string[] | undefined>
  body?: unknown
  rawBody?: unknown
  raw?: { readableEnded?: boolean }
  readableEnded?: boolean
}

/** Where the route mounts and what wraps it (the module's static extras). */
export interface DingTalkControllerOptions {
  prefix: string
  guards?: ReadonlyArray<Type<CanActivate> | CanActivate>
  interceptors?: ReadonlyArray<Type<NestInterceptor> | NestInterceptor>
}

// The raw bytes when the app keeps them (`rawBody: true`), else what a body parser made of them, else the
// unread Node stream: the core then reads it itself, enforcing its size limit while reading.
function bodyOf(req: PlatformRequest): unknown {
  if (req.rawBody instanceof Uint8Array) return req.rawBody
  const stream = req.raw ?? req
  return stream.readableEnded ? req.body : stream
}

/**
 * Creates the controller that mounts the DingTalk routes under `prefix` (the module does this for you).
 * Global guards, interceptors and filters apply to it like to any controller.
 *
 * @example
 * ```ts
 * @Module({ controllers: [createDingTalkController({ prefix: '/dingtalk' })] })
 * class RoutesOnly {}
 * ```
 */
export function createDingTalkController(options: DingTalkControllerOptions): Type<unknown> {
  class DingTalkController {
    constructor(
      private readonly routes: DingTalkRoutes,
      private readonly host: HttpAdapterHost,
    ) {
      // The adapter exists before the app's body parsers are registered (also in a testing module).
      host.init$.subscribe(() => keepCallbackBodies(host.httpAdapter, options.prefix))
    }

    callback(req: PlatformRequest, res: unknown): Promise<RouteResponse> {
      return this.dispatch('/callback', req, res)
    }

    suiteCallback(req: PlatformRequest, res: unknown): Promise<RouteResponse> {
      return this.dispatch('/suite/callback', req, res)
    }

    jsapiConfig(req: PlatformRequest, res: unknown): Promise<RouteResponse> {
      return this.dispatch('/jsapi-config', req, res)
    }

    sso(req: PlatformRequest, res: unknown): Promise<RouteResponse> {
      return this.dispatch('/sso', req, res)
    }

    // Returns what it wrote, so interceptors see the route's answer.
    private async dispatch(path: string, req: PlatformRequest, res: unknown): Promise<RouteResponse> {
      const response = await this.routes.handle({
        method: req.method,
        path,
        url: req.originalUrl ?? req.url,
        headers: originalHeaders(req.headers),
        body: bodyOf(req),
      })
      if (!response) throw new NotFoundException()
      const adapter = this.host.httpAdapter
      for (const [name, value] of Object.entries(response.headers)) adapter.setHeader(res, name, value)
      adapter.reply(res, response.body, response.status)
      return response
    }
  }
  // Decorators applied as calls: this source is also compiled by consumers' transforms (tsx, esbuild),
  // which may not enable TypeScript's experimental decorators for files outside their own project.
  Controller(options.prefix)(DingTalkController)
  Inject(DingTalkRoutes)(DingTalkController, undefined, 0)
  Inject(HttpAdapterHost)(DingTalkController, undefined, 1)
  const prototype = DingTalkController.prototype
  const paths = {
    callback: 'callback',
    suiteCallback: 'suite/callback',
    jsapiConfig: 'jsapi-config',
    sso: 'sso',
  }
  for (const [method, path] of Object.entries(paths)) {
    All(path)(prototype, method, Object.getOwnPropertyDescriptor(prototype, method)!)
    Req()(prototype, method, 0)
    Res()(prototype, method, 1)
  }
  if (options.guards?.length) UseGuards(...options.guards)(DingTalkController)
  if (options.interceptors?.length) UseInterceptors(...options.interceptors)(DingTalkController)
  return DingTalkController
}
