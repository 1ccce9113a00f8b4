import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { RequestLogEntry } from './request-log'

const HARD_BODY_CAP = 64 * 1024 * 1024

/** A request body, kept up to the route's limit; `size` counts every byte that came. */
export interface BodyRead {
  bytes: Buffer
  size: number
  tooLarge: boolean
}

export function readBody(req: IncomingMessage, limit: number): Promise<BodyRead> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > HARD_BODY_CAP) {
        req.destroy()
        reject(new Error('body over the hard cap'))
        return
      }
      if (size <= limit) chunks.push(chunk)
    })
    req.on('end', () => resolve({ bytes: Buffer.concat(chunks), size, tooLarge: size > limit }))
    req.on('error', reject)
  })
}

/** Writes a whole answer with its `Content-Length`, and logs its status. */
export function send(
  res: ServerResponse,
  entry: RequestLogEntry,
  status: number,
  headers: Record<string, string>,
  body: Uint8Array | string,
): void {
  entry.status = status
  const bytes = typeof body === 'string' ? Buffer.from(body) : body
  res.writeHead(status, { ...headers, 'Content-Length': String(bytes.byteLength) })
  res.end(bytes)
}

/** Timers the emulator must be able to cancel on `close()` (injected latency). */
export class Timers {
  readonly #pending = new Set<NodeJS.Timeout>()

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#pending.delete(timer)
        resolve()
      }, ms)
      this.#pending.add(timer)
    })
  }

  clear(): void {
    for (const timer of this.#pending) clearTimeout(timer)
    this.#pending.clear()
  }
}

/** An HTTP server for `handle` on `host:port`; a handler that throws answers 500 (or drops the socket). */
export async function listen(
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  port: number,
  host: string,
): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    req.on('error', () => {})
    res.on('error', () => {})
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end()
      else res.destroy()
    })
  })
  server.on('clientError', (_error, socket) => socket.destroy())
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address() as AddressInfo
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address
  return { server, url: `http://${shown}:${address.port}` }
}

/** Stops accepting, drops every open connection, resolves once closed. */
export function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve())
    server.closeAllConnections()
  })
}
