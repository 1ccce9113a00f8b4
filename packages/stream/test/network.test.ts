import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http'
import { type AddressInfo, connect, type Socket } from 'node:net'
import {
  createCallbackHandler,
  createEventDispatcher,
  type EventDispatcher,
  memoryStore,
} from '@dingtalk-kit/core'
import { pushEvent } from '@dingtalk-kit/emulator'
import { afterEach, describe, expect, it } from 'vitest'
import { type WebSocket, WebSocketServer } from 'ws'
import { DingTalkStreamError } from '../src/index'
import { app, corp, type Harness, harness, memoryLogger, until } from './helpers'

let h: Harness | undefined
const servers = new Set<Server>()

afterEach(async () => {
  await h?.close()
  h = undefined
  for (const server of servers) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
  servers.clear()
})

async function listen(server: Server): Promise<number> {
  servers.add(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}

/** A loopback HTTP CONNECT proxy that requires Basic auth and records every tunnel it opens. */
async function connectProxy(): Promise<{ url: string; tunnels: string[]; refused: number }> {
  const state = { url: '', tunnels: [] as string[], refused: 0 }
  const server = createHttpServer((_req, res) => res.writeHead(405).end())
  const sockets = new Set<Socket>()
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    const auth = req.headers['proxy-authorization']
    if (auth !== `Basic ${Buffer.from('corp:p@ss').toString('base64')}`) {
      state.refused++
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n')
      return
    }
    state.tunnels.push(req.url ?? '')
    const [host, port] = (req.url ?? '').split(':')
    const upstream = connect(Number(port), host)
    sockets.add(upstream)
    sockets.add(client)
    upstream.once('connect', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      if (head.length > 0) upstream.write(head)
      upstream.pipe(client)
      client.pipe(upstream)
    })
    const end = (): void => {
      upstream.destroy()
      client.destroy()
    }
    upstream.on('error', end)
    client.on('error', end)
    upstream.on('close', end)
    client.on('close', end)
  })
  server.on('close', () => {
    for (const s of sockets) s.destroy()
  })
  const port = await listen(server)
  state.url = `http://corp:p%40ss@127.0.0.1:${port}`
  return state
}

describe('proxy', () => {
  it('tunnels the connections/open call and the WebSocket through an HTTP CONNECT proxy', async () => {
    h = await harness()
    const proxy = await connectProxy()
    const stream = h.client({ proxy: proxy.url })
    let calls = 0
    stream.on('org_remove', () => {
      calls++
    })
    await stream.start()
    const target = new URL(h.emu.url).host
    expect(proxy.tunnels).toEqual([target, target])
    expect((await h.emu.stream.event(app.appKey, 'org_remove', {}).done).ok).toBe(true)
    expect(calls).toBe(1)
  })

  it('a proxy that refuses the credentials: the API is reported unreachable, naming the proxy refusal', async () => {
    h = await harness()
    const proxy = await connectProxy()
    const error = await h
      .client({ proxy: proxy.url.replace('p%40ss', 'wrong') })
      .start()
      .catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'STREAM_UNREACHABLE' })
    expect((error as Error).message).toContain('EPROXYAUTH')
    expect((error as Error).message).not.toContain('wrong')
    expect(proxy.refused).toBe(1)
  })
})

/** A hostile gateway: `connections/open` answers a ticket, the WebSocket sends whatever the test says. */
async function rogueGateway(script: (ws: WebSocket) => void): Promise<string> {
  const wss = new WebSocketServer({ noServer: true })
  const server = createHttpServer((req, res) => {
    req.resume()
    const port = (server.address() as AddressInfo).port
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ endpoint: `ws://127.0.0.1:${port}/connect`, ticket: 't+/=?&' }))
  })
  server.on('upgrade', (req, socket, head) => {
    expect(new URL(req.url ?? '', 'http://x').searchParams.get('ticket')).toBe('t+/=?&')
    wss.handleUpgrade(req, socket, head, (ws) => script(ws))
  })
  server.on('close', () => {
    for (const ws of wss.clients) ws.terminate()
    wss.close()
  })
  const port = await listen(server)
  return `http://127.0.0.1:${port}`
}

describe('bad input from the server', () => {
  it('malformed, binary, header-less and unknown frames are logged and skipped; the valid ones around them are handled', async () => {
    const acks: Array<Record<string, unknown>> = []
    const url = await rogueGateway((ws) => {
      ws.on('message', (raw) => acks.push(JSON.parse(raw.toString()) as Record<string, unknown>))
      ws.send('{not json')
      ws.send('[1,2]')
      ws.send(Buffer.from([0, 1, 2]), { binary: true })
      ws.send(JSON.stringify({ type: 'EVENT', headers: {}, data: '{}' }))
      ws.send(JSON.stringify({ type: 'NOVEL', headers: { messageId: 'n1' }, data: '{}' }))
      ws.send(
        JSON.stringify({
          type: 'EVENT',
          headers: { messageId: 'e1', topic: '*', eventType: 'no_such_event', eventId: 'x1' },
          data: '{"a":1}',
        }),
      )
      ws.send(
        JSON.stringify({
          type: 'EVENT',
          headers: {
            messageId: 'e2',
            topic: '*',
            eventType: 'org_remove',
            eventId: 'x2',
            eventCorpId: 'ding1',
          },
          data: 'not json either',
        }),
      )
      ws.send(
        JSON.stringify({
          type: 'EVENT',
          headers: {
            messageId: 'e3',
            topic: '*',
            eventType: 'org_remove',
            eventId: 'x3',
            eventCorpId: 'ding1',
          },
          data: '{"timeStamp":1}',
        }),
      )
    })
    h = await harness()
    const logger = memoryLogger()
    const stream = h.client({ apiBaseUrl: url, logger })
    const types: string[] = []
    stream.onAny((event) => {
      types.push(event.EventType)
    })
    await stream.start()
    await until(() => acks.length === 3, 'three ACKs')
    expect(acks.map((a) => (a.headers as { messageId: string }).messageId)).toEqual(['e1', 'e2', 'e3'])
    expect(acks.every((a) => JSON.parse(a.data as string).status === 'SUCCESS')).toBe(true)
    expect(types).toEqual(['unknown', 'unknown', 'org_remove'])
    const warnings = logger.lines
      .filter((l) => l.level === 'warn')
      .map((l) => (l.data as { why?: string }).why)
    expect(warnings.slice(0, 5)).toEqual([
      'not JSON',
      'not a JSON object',
      'a binary frame',
      'no headers.messageId',
      'unknown frame type "NOVEL"',
    ])
    expect(stream.stats()).toMatchObject({ invalidFrames: 5, connected: true })
  })

  it('a frame over maxFrameBytes closes that connection and a new one is opened', async () => {
    let connections = 0
    const url = await rogueGateway((ws) => {
      connections++
      if (connections === 1) ws.send('x'.repeat(4096))
    })
    h = await harness()
    const disconnects: string[] = []
    const stream = h.client({
      apiBaseUrl: url,
      maxFrameBytes: 1024,
      hooks: { disconnect: (i) => disconnects.push(i.reason) },
    })
    await stream.start()
    await until(() => connections === 2 && stream.stats().connected, 'a second connection')
    expect(disconnects).toEqual(['frame over the size limit'])
  })

  it('a gateway that refuses the ticket (HTTP 401 on the upgrade) is a typed error, never an unhandled rejection', async () => {
    const server = createHttpServer((req, res) => {
      req.resume()
      const port = (server.address() as AddressInfo).port
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ endpoint: `ws://127.0.0.1:${port}/connect`, ticket: 'tkt-SECRET-9f' }))
    })
    server.on('upgrade', (_req, socket) =>
      socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n'),
    )
    const port = await listen(server)
    h = await harness()
    const error = await h
      .client({ apiBaseUrl: `http://127.0.0.1:${port}` })
      .start()
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DingTalkStreamError)
    expect(error).toMatchObject({ code: 'STREAM_TICKET_REJECTED' })
    expect((error as Error).message).not.toContain('tkt-SECRET-9f')
  })
})

describe('bad answers from connections/open', () => {
  it('an endpoint that is not a WebSocket URL, or an HTTP 5xx: STREAM_OPEN_FAILED; once running, retried', async () => {
    const server = createHttpServer((req, res) => {
      req.resume()
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ endpoint: 'javascript:alert(1)', ticket: 'x' }))
    })
    const port = await listen(server)
    h = await harness()
    const odd = await h
      .client({ apiBaseUrl: `http://127.0.0.1:${port}` })
      .start()
      .catch((e: unknown) => e)
    expect(odd).toMatchObject({ code: 'STREAM_OPEN_FAILED' })

    h.emu.faults.inject({ route: '/v1.0/gateway/connections/open', kind: 'http5xx', status: 503 })
    const busy = await h
      .client()
      .start()
      .catch((e: unknown) => e)
    expect(busy).toMatchObject({ code: 'STREAM_OPEN_FAILED' })
    expect((busy as Error).message).toContain('HTTP 503')

    const errors: string[] = []
    const stream = h.client()
    stream.onError((e) => errors.push(e.code))
    await stream.start()
    const [first] = await h.emu.stream.waitForConnections(1)
    h.emu.faults.inject({ route: '/v1.0/gateway/connections/open', kind: 'http5xx', status: 502, times: 2 })
    h.emu.stream.disconnect(first!.id, { closeAfterMs: 0 })
    await until(() => stream.stats().connected && stream.stats().connections === 2, 'the third open to work')
    expect(errors).toEqual(['STREAM_OPEN_FAILED', 'STREAM_OPEN_FAILED'])
  })
})

const AES_KEY = 'b'.repeat(43)

/** The HTTP callback route of `dispatcher` on a loopback port, as an adapter would mount it. */
async function callbackRoute(dispatcher: EventDispatcher): Promise<number> {
  const callback = createCallbackHandler({
    token: 'tok',
    aesKey: AES_KEY,
    receiveId: corp.corpId,
    dispatcher,
  })
  return listen(
    createHttpServer(async (req, res) => {
      const reply = await callback.handle({
        method: req.method ?? '',
        url: req.url,
        headers: req.headers,
        body: req,
      })
      res.writeHead(reply.status, reply.headers).end(reply.body)
    }),
  )
}

/** An org_change with `eventId` pushed to the route as DingTalk would, encrypted and signed. */
function pushOverHttp(port: number, eventId: string): ReturnType<typeof pushEvent> {
  return pushEvent({
    url: `http://127.0.0.1:${port}/dingtalk`,
    token: 'tok',
    aesKey: AES_KEY,
    receiveId: corp.corpId,
    event: { EventType: 'org_change', CorpId: corp.corpId, eventId },
  })
}

describe('one pipeline, two transports', () => {
  it('an event that arrives over an HTTP callback and over Stream with the same eventId is handled once', async () => {
    h = await harness()
    const dispatcher = createEventDispatcher({ namespace: app.appKey, logger: {} })
    let calls = 0
    dispatcher.on('org_change', () => {
      calls++
    })
    const port = await callbackRoute(dispatcher)
    const stream = h.client({ dispatcher })
    await stream.start()
    const overStream = await h.emu.stream.event(app.appKey, 'org_change', {}, { eventId: 'shared-1' }).done
    const overHttp = await pushOverHttp(port, 'shared-1')
    expect(overStream.ok).toBe(true)
    expect(overHttp.ok).toBe(true)
    expect(calls).toBe(1)
    expect(stream.stats().redeliveries).toBe(0)
  })

  it('the same event over HTTP and over Stream at once, each transport with its own dispatcher on one memoryStore, is handled once', async () => {
    h = await harness()
    // Two pipelines, as an app wires them when it sets up each transport on its own; the store is what they share.
    const store = memoryStore()
    let calls = 0
    const slowHandler = async (): Promise<void> => {
      calls++
      await new Promise((resolve) => setTimeout(resolve, 150))
    }
    const overHttp = createEventDispatcher({ namespace: app.appKey, store, logger: {} })
    overHttp.on('org_change', slowHandler)
    const overStream = createEventDispatcher({ namespace: app.appKey, store, logger: {} })
    overStream.on('org_change', slowHandler)
    const port = await callbackRoute(overHttp)
    const stream = h.client({ dispatcher: overStream })
    await stream.start()
    const [streamed, pushed] = await Promise.all([
      h.emu.stream.event(app.appKey, 'org_change', {}, { eventId: 'shared-2' }).done,
      pushOverHttp(port, 'shared-2'),
    ])
    expect(streamed.ok).toBe(true)
    expect(pushed.ok).toBe(true)
    expect(calls).toBe(1)
    // The event is remembered once it is handled.
    expect(await store.get(`dingtalk:${app.appKey}:-:event_id%3Ashared-2`)).toBe('done')
  })
})
