import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  type CallbackHandler,
  type CallbackHandlerOptions,
  createCallbackHandler,
  type DingTalkCallbackError,
} from '../src/index'

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

const cleanups: Array<() => Promise<void>> = []

/** Closes the servers {@link serve} started, newest first (the callback test files run it after each test). */
export async function closeServed(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
}

/**
 * A callback handler for {@link TOKEN}, {@link AES_KEY} and {@link CORP_ID} with these options, served by
 * {@link serveHandler} until {@link closeServed}; `errors` collects what it reports to `onError`.
 */
export async function serve(
  options: Partial<CallbackHandlerOptions> = {},
): Promise<{ handler: CallbackHandler; server: HandlerServer; errors: DingTalkCallbackError[] }> {
  const errors: DingTalkCallbackError[] = []
  const handler = createCallbackHandler({
    token: TOKEN,
    aesKey: AES_KEY,
    receiveId: CORP_ID,
    onError: (error) => void errors.push(error),
    ...options,
  })
  const server = await serveHandler(handler)
  cleanups.push(async () => {
    await handler.idle()
    await server.close()
  })
  return { handler, server, errors }
}

/** A promise that resolves when `open` is called. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open: () => void = () => {}
  const promise = new Promise<void>((resolve) => {
    open = resolve
  })
  return { promise, open }
}

/** A `user_add_org` event of {@link CORP_ID} for user `id`. */
export const event = (id: string): Record<string, unknown> => ({
  EventType: 'user_add_org',
  UserId: [id],
  CorpId: CORP_ID,
  TimeStamp: 1,
})

export { chunkedPost, post, type RawResponse, rawHttp } from '../src/testing/http'
