import type { AbstractHttpAdapter } from '@nestjs/core'

// Callback bodies must reach the core byte for byte (duplicate keys, its size limit, R6.10–11), whatever
// body parser the app runs. Before any parser, the body headers of callback requests are set aside, so
// Express's and Fastify's parsers see a request without a body and leave the stream unread; the route hands
// the stream and the original headers to the core, which reads it within its limit.

const HIDDEN: unique symbol = Symbol.for('dingtalk-kit.body-headers')
const BODY_HEADERS = ['content-type', 'content-length', 'transfer-encoding'] as const

type Headers = Record<string, string | string[] | undefined> & {
  [HIDDEN]?: Record<string, string | string[]>
}

interface FastifyLike {
  addHook(
    name: 'onRequest',
    hook: (request: { url: string; headers: Headers }, reply: unknown, done: () => void) => void,
  ): unknown
}

function setAside(url: string | undefined, headers: Headers, ends: readonly string[]): void {
  const path = (url ?? '').split('?', 1)[0]!.replace(/\/+$/, '')
  if (!ends.some((end) => path.endsWith(end))) return
  const hidden: Record<string, string | string[]> = {}
  for (const name of BODY_HEADERS) {
    const value = headers[name]
    if (value === undefined) continue
    hidden[name] = value
    delete headers[name]
  }
  Object.defineProperty(headers, HIDDEN, { value: hidden, configurable: true })
}

/** Installs the hook; called once the HTTP adapter exists, before its body parsers are registered. */
export function keepCallbackBodies(adapter: AbstractHttpAdapter, prefix: string): void {
  const base = `/${prefix.replace(/^\/+|\/+$/g, '')}`.replace(/^\/$/, '')
  const ends = [`${base}/callback`, `${base}/suite/callback`]
  if (adapter.getType() === 'fastify') {
    ;(adapter.getInstance() as FastifyLike).addHook('onRequest', (request, _reply, done) => {
      setAside(request.url, request.headers, ends)
      done()
    })
  } else if (adapter.getType() === 'express') {
    adapter.use((req: { url?: string; headers: Headers }, _res: unknown, next: () => void) => {
      setAside(req.url, req.headers, ends)
      next()
    })
  }
}

/** The request's headers as the client sent them. */
export function originalHeaders(headers: Headers): Headers {
  const hidden = headers[HIDDEN]
  return hidden === undefined ? headers : { ...headers, ...hidden }
}
