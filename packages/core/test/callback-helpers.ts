import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
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

export { chunkedPost, post, type RawResponse, rawHttp } from '../src/testing/http'
