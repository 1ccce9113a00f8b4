import type { Context } from 'koa'

interface ParsedRequest {
  body?: unknown
  rawBody?: unknown
}

/**
 * The body to hand to the core. The unread request stream when nothing consumed it, so the core counts
 * bytes against its limit while reading (callback-security R6 item 11); otherwise what a body parser
 * (`@koa/bodyparser`, `koa-body`) left behind, the raw text first so the core can still reject repeated
 * keys (R6 item 10).
 */
export function requestBody(ctx: Context): unknown {
  const { req } = ctx
  if (!req.readableDidRead && !req.readableEnded) return req
  const request = ctx.request as ParsedRequest
  if (typeof request.rawBody === 'string' || request.rawBody instanceof Uint8Array) return request.rawBody
  return request.body
}
