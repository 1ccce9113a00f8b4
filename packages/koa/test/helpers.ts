import { once } from 'node:events'
import { createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { bodyParser } from '@koa/bodyparser'
import type Koa from 'koa'
import { koaBody } from 'koa-body'

export interface Served {
  url: string
  close(): Promise<void>
}

/** Listens on 127.0.0.1 port 0; `close` ends every open connection too. */
export async function serve(app: Koa): Promise<Served> {
  const server: Server = createServer(app.callback())
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()))
        server.closeAllConnections()
      }),
  }
}

/**
 * The body-parser setups every adapter test runs with. A parser that ran first enforces its own size
 * limit (`limit`, default 1 MiB like the core's), since the core only sees what it parsed.
 */
export const bodySetups: ReadonlyArray<{
  name: string
  /** Whether the raw text reaches the adapter (so repeated keys can be seen). */
  rawText: boolean
  install(app: Koa, limit?: number): void
}> = [
  { name: 'no body parser', rawText: true, install: () => {} },
  {
    name: '@koa/bodyparser',
    rawText: true,
    install: (app, limit) => app.use(bodyParser(limit ? { jsonLimit: limit } : {})),
  },
  {
    name: 'koa-body',
    rawText: false,
    install: (app, limit) => app.use(koaBody(limit ? { jsonLimit: limit } : {})),
  },
  {
    name: 'koa-body (includeUnparsed)',
    rawText: true,
    install: (app, limit) =>
      app.use(koaBody({ includeUnparsed: true, ...(limit ? { jsonLimit: limit } : {}) })),
  },
]

export interface RawResponse {
  status: number
  body: string
}

/**
 * Sends a request whose body is written chunk by chunk, with the headers exactly as given (no
 * Content-Length unless given, so the body goes out chunked). Resolves with the first response even if
 * the server answers before the body is complete.
 */
export function rawPost(
  url: string,
  headers: Record<string, string>,
  chunks: Iterable<Uint8Array | string>,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        body += chunk
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      res.on('error', reject)
    })
    req.on('error', reject)
    const iterator = chunks[Symbol.iterator]()
    const pump = (): void => {
      for (;;) {
        const next = iterator.next()
        if (next.done) {
          req.end()
          return
        }
        if (req.destroyed) return
        if (!req.write(next.value)) {
          req.once('drain', pump)
          return
        }
      }
    }
    pump()
  })
}
