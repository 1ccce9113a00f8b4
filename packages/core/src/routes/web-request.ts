import type { WaitUntilContext } from '../events/context'

// Bodies up to this size are read whole before the routes see them (one buffer instead of a stream).
const WHOLE = 64 * 1024

/**
 * The body of a Web `Request` for the routes' `body`: small bodies with a `Content-Length` as bytes (one
 * read), larger or chunked ones as the stream (the routes' limits apply while reading), and — when
 * middleware before the routes already consumed it — the text that middleware kept, through `consumed`
 * (Hono: `() => c.req.text()`). An unreadable body is `''`, which the routes answer with 400.
 *
 * @example
 * ```ts
 * const body = await webRequestBody(c.req.raw, () => c.req.text())
 * const response = await routes.handle({ method: 'POST', path: '/callback', url: c.req.url, headers: c.req.raw.headers, body })
 * ```
 */
export async function webRequestBody(request: Request, consumed: () => Promise<string>): Promise<unknown> {
  if (request.bodyUsed) return consumed()
  const declared = Number(request.headers.get('content-length') ?? Number.NaN)
  if (declared <= WHOLE && !request.headers.has('transfer-encoding')) {
    return request.arrayBuffer().then(
      (bytes) => new Uint8Array(bytes),
      () => '',
    )
  }
  return request.body ?? undefined
}

/**
 * `waitUntil` of a host that may have no execution context (Hono's `c.executionCtx` throws outside Workers):
 * returns the context to pass to `routes.handle`, and remembers after the first request whether the host
 * has one, so Node, Bun and Deno pay for the failed lookup once.
 *
 * @example
 * ```ts
 * const waitUntilOf = lazyWaitUntil<Context>((c) => c.executionCtx)
 * await routes.handle(request, { ...waitUntilOf(c), locals: c })
 * ```
 */
export function lazyWaitUntil<C>(
  executionContext: (host: C) => { waitUntil(promise: Promise<unknown>): void },
): (host: C) => WaitUntilContext | undefined {
  let hostHasOne: boolean | undefined
  return (host) => {
    if (hostHasOne === false) return undefined
    try {
      const ctx = executionContext(host)
      hostHasOne = true
      return { waitUntil: (promise) => ctx.waitUntil(promise) }
    } catch {
      hostHasOne ??= false
      return undefined
    }
  }
}
