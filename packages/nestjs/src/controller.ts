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
  @Controller(options.prefix)
  class DingTalkController {
    constructor(
      @Inject(DingTalkRoutes) private readonly routes: DingTalkRoutes,
      @Inject(HttpAdapterHost) private readonly host: HttpAdapterHost,
    ) {
      // The adapter exists before the app's body parsers are registered (also in a testing module).
      host.init$.subscribe(() => keepCallbackBodies(host.httpAdapter, options.prefix))
    }

    @All('callback')
    callback(@Req() req: PlatformRequest, @Res() res: unknown): Promise<RouteResponse> {
      return this.dispatch('/callback', req, res)
    }

    @All('suite/callback')
    suiteCallback(@Req() req: PlatformRequest, @Res() res: unknown): Promise<RouteResponse> {
      return this.dispatch('/suite/callback', req, res)
    }

    @All('jsapi-config')
    jsapiConfig(@Req() req: PlatformRequest, @Res() res: unknown): Promise<RouteResponse> {
      return this.dispatch('/jsapi-config', req, res)
    }

    @All('sso')
    sso(@Req() req: PlatformRequest, @Res() res: unknown): Promise<RouteResponse> {
      return this.dispatch('/sso', req, res)
    }

    // Returns what it wrote, so interceptors see the route's answer.
    private async dispatch(path: string, req: PlatformRequest, res: unknown): Promise<RouteResponse> {
      const url = req.originalUrl ?? req.url
      const response = await this.routes.handle({
        method: req.method,
        path,
        url,
        headers: originalHeaders(req),
        body: bodyOf(req),
      })
      if (!response) throw new NotFoundException()
      const adapter = this.host.httpAdapter
      for (const [name, value] of Object.entries(response.headers)) adapter.setHeader(res, name, value)
      adapter.reply(res, response.body, response.status)
      return response
    }
  }
  if (options.guards?.length) UseGuards(...options.guards)(DingTalkController)
  if (options.interceptors?.length) UseInterceptors(...options.interceptors)(DingTalkController)
  return DingTalkController
}
