import { pipeline, Transform } from 'node:stream'
import type { AbstractHttpAdapter } from '@nestjs/core'

// Callback bodies must reach the core byte for byte (duplicate keys, exact size limit, R6.10–11), whatever
// body parser the app runs. Express: the content type is held back from the parsers that run before the
// route, so the stream stays unread for the core. Fastify: the bytes are kept while its parser reads them.

const HIDDEN_TYPE: unique symbol = Symbol.for('dingtalk-kit.content-type')

interface NodeRequest {
  url?: string
  headers: Record<string, string | string[] | undefined>
  [HIDDEN_TYPE]?: string | string[]
}

interface FastifyLike {
  addHook(
    name: 'preParsing',
    hook: (
      request: { url: string; rawBody?: unknown },
      reply: unknown,
      payload: NodeJS.ReadableStream,
      done: (error: Error | null, payload: NodeJS.ReadableStream) => void,
    ) => void,
  ): unknown
}

function callbackPath(prefix: string): (url: string | undefined) => boolean {
  const base = `/${prefix.replace(/^\/+|\/+$/g, '')}`.replace(/^\/$/, '')
  const ends = [`${base}/callback`, `${base}/suite/callback`]
  return (url) => {
    const path = (url ?? '').split('?', 1)[0]!.replace(/\/+$/, '')
    return ends.some((end) => path.endsWith(end))
  }
}

/** Installs the platform's hook; called once the HTTP adapter exists and before its body parsers do. */
export function keepCallbackBodies(adapter: AbstractHttpAdapter, prefix: string): void {
  const matches = callbackPath(prefix)
  if (adapter.getType() === 'fastify') {
    ;(adapter.getInstance() as FastifyLike).addHook('preParsing', (request, _reply, payload, done) => {
      if (!matches(request.url)) return done(null, payload)
      const chunks: Buffer[] = []
      const keep = new Transform({
        transform(chunk: Buffer, _encoding, next) {
          chunks.push(chunk)
          next(null, chunk)
        },
        flush(next) {
          request.rawBody = Buffer.concat(chunks)
          next()
        },
      })
      done(
        null,
        pipeline(payload, keep, () => {}),
      )
    })
  } else if (adapter.getType() === 'express') {
    adapter.use((req: NodeRequest, _res: unknown, next: () => void) => {
      const type = req.headers['content-type']
      if (type !== undefined && matches(req.url)) {
        req[HIDDEN_TYPE] = type
        delete req.headers['content-type']
      }
      next()
    })
  }
}

/** The request's headers as the client sent them (with the content type held back on Express). */
export function originalHeaders(req: NodeRequest): NodeRequest['headers'] {
  const type = req[HIDDEN_TYPE]
  return type === undefined ? req.headers : { ...req.headers, 'content-type': type }
}
