import { createServer, request as httpRequest, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { connect } from 'node:net'
import type { CallbackHandler } from '../src/index'

export const TOKEN = 'callback-test-token-9f3b'
export const AES_KEY = 'Yue0EfdN5900c1ce5cf6A152c63DDe1808a60c5ecd7'
export const CORP_ID = 'dingcallbacktestcorp01'

export interface HandlerServer {
  url: string
  port: number
  /** Requests the server received. */
  count: number
  close(): Promise<void>
}

/**
 * Serves a callback handler on node:http at 127.0.0.1, passing the unread request stream as the body —
 * what a minimal Node adapter does.
 */
export async function serveHandler(
  handler: CallbackHandler,
  path = '/dingtalk/callback',
): Promise<HandlerServer> {
  const server: Server = createServer(async (req, res) => {
    out.count++
    const reply = await handler.handle({
      method: req.method ?? '',
      url: req.url ?? '/',
      headers: req.headers,
      body: req,
    })
    res.writeHead(reply.status, reply.headers).end(reply.body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const out: HandlerServer = {
    url: `http://127.0.0.1:${port}${path}`,
    port,
    count: 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
  return out
}

export interface RawResponse {
  status: number
  body: string
}

/** Sends bytes exactly as given over a fresh TCP connection and parses the status line and body. */
export function rawHttp(port: number, head: string, body: string | Buffer = ''): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    socket.on('data', (c: Buffer) => chunks.push(c))
    socket.on('error', () => {})
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8')
      const match = /^HTTP\/1\.1 (\d{3})/.exec(text)
      if (!match) return reject(new Error(`no HTTP response: ${JSON.stringify(text.slice(0, 80))}`))
      const split = text.indexOf('\r\n\r\n')
      resolve({ status: Number(match[1]), body: split === -1 ? '' : text.slice(split + 4) })
    })
    socket.write(head.replaceAll('\n', '\r\n'))
    if (body.length > 0) socket.write(body)
    setImmediate(() => socket.end())
  })
}

/** Streams `total` bytes with chunked encoding (no Content-Length) and resolves with the status. */
export function chunkedPost(
  url: string,
  total: number,
  headers: Record<string, string> = {},
): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
    })
    let settled = false
    req.on('response', (res) => {
      settled = true
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.on('error', (error) => {
      if (!settled) reject(error)
    })
    const chunk = Buffer.alloc(64 * 1024, 0x61)
    let sent = 0
    const pump = (): void => {
      while (sent < total && !settled) {
        sent += chunk.length
        if (!req.write(chunk)) {
          req.once('drain', pump)
          return
        }
      }
      req.end()
    }
    req.write('{"encrypt":"')
    pump()
  })
}

/** POSTs JSON text to `url` with fetch. */
export async function post(
  url: string,
  body: string,
  init: { method?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: string }> {
  const response = await fetch(url, {
    method: init.method ?? 'POST',
    headers: { 'content-type': 'application/json', ...init.headers },
    ...(init.method === 'GET' || init.method === 'HEAD' ? {} : { body }),
  })
  return { status: response.status, body: await response.text() }
}
