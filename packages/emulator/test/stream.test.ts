import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { decryptMessage } from '../src/crypto'
import { type Emulator, startEmulator } from '../src/emulator'
import type { EmulatorOptions } from '../src/index'
import { app, corp, corpToken, manualClock, postJson, suite } from './helpers'

type Frame = {
  specVersion: string
  type: string
  headers: Record<string, string>
  data: string
}

const OPEN = '/v1.0/gateway/connections/open'
const ROBOT = '/v1.0/im/bot/messages/get'
const EVENTS = [{ type: 'EVENT', topic: '*' }]

let emu: Emulator | undefined
const sockets = new Set<WebSocket>()
const servers = new Set<Server>()

afterEach(async () => {
  for (const ws of sockets) ws.terminate()
  sockets.clear()
  for (const server of servers) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
  servers.clear()
  await emu?.close()
  emu = undefined
})

async function start(options: EmulatorOptions = {}): Promise<Emulator> {
  emu = await startEmulator({
    suiteTicketIntervalMs: 0,
    ...options,
    stream: { pingIntervalMs: 0, ...options.stream },
  })
  return emu
}

async function openTicket(
  base: string,
  body: Record<string, unknown> = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${base}${OPEN}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({
      clientId: app.appKey,
      clientSecret: app.appSecret,
      subscriptions: EVENTS,
      ...body,
    }),
  })
  return { status: res.status, json: (await res.json()) as Record<string, unknown> }
}

/** A hand-written Stream peer: the raw protocol, no SDK in between. */
class Peer {
  readonly frames: Frame[] = []
  private waiters: Array<() => void> = []
  closed = false

  constructor(readonly ws: WebSocket) {
    ws.on('message', (raw) => {
      this.frames.push(JSON.parse(raw.toString()) as Frame)
      for (const wake of this.waiters.splice(0)) wake()
    })
    ws.on('close', () => {
      this.closed = true
      for (const wake of this.waiters.splice(0)) wake()
    })
  }

  /** The next frame matching `match` (removed from the queue), or undefined once the socket closed. */
  async next(match: (f: Frame) => boolean = (f) => f.type !== 'SYSTEM'): Promise<Frame | undefined> {
    for (;;) {
      const index = this.frames.findIndex(match)
      if (index >= 0) return this.frames.splice(index, 1)[0]
      if (this.closed) return undefined
      await new Promise<void>((resolve) => this.waiters.push(resolve))
    }
  }

  ack(frame: Frame, data: unknown, code = 200): void {
    this.ws.send(
      JSON.stringify({
        code,
        message: 'OK',
        headers: { messageId: frame.headers.messageId, contentType: 'application/json' },
        data: JSON.stringify(data),
      }),
    )
  }
}

async function connect(e: Emulator, body: Record<string, unknown> = {}): Promise<Peer> {
  const { json } = await openTicket(e.url, body)
  const ws = new WebSocket(`${json.endpoint as string}?ticket=${encodeURIComponent(json.ticket as string)}`)
  sockets.add(ws)
  const peer = new Peer(ws)
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  return peer
}

/** A SYSTEM ping answered by the peer: everything the peer sent before has reached the emulator. */
async function roundTrip(e: Emulator, peer: Peer): Promise<void> {
  const id = e.stream.live(app.appKey).find((c) => c.state === 'open')!.id
  const answered = e.stream.ping(id)
  const ping = (await peer.next((f) => f.headers.topic === 'ping'))!
  peer.ack(ping, JSON.parse(ping.data))
  expect(await answered).toBe(true)
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10))
}

function upgradeStatus(url: string): Promise<number | string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url)
    sockets.add(ws)
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0)
      ws.terminate()
    })
    ws.on('open', () => resolve('open'))
    ws.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message))
  })
}

describe('connections/open (§13.1)', () => {
  it('answers an endpoint on the emulator and a ticket, for an appKey and for a suiteKey', async () => {
    const e = await start()
    const corpApp = await openTicket(e.url)
    expect(corpApp.status).toBe(200)
    expect(corpApp.json.endpoint).toBe(`${e.url.replace('http', 'ws')}/connect`)
    expect(corpApp.json.ticket).toMatch(/^[0-9a-f-]{36}$/)
    const isv = await openTicket(e.url, { clientId: suite.suiteKey, clientSecret: suite.suiteSecret })
    expect(isv.status).toBe(200)
    const logged = e.log.filter((entry) => entry.path === OPEN)
    expect(logged).toHaveLength(2)
    expect(logged[0]!.body).toMatchObject({ clientId: app.appKey, clientSecret: '***' })
  })

  it('refuses wrong credentials with the v1.0 error shape and a 4xx', async () => {
    const e = await start()
    const wrong = await openTicket(e.url, { clientSecret: 'nope' })
    expect(wrong.status).toBe(401)
    expect(wrong.json).toMatchObject({ code: 'InvalidAuthentication' })
    expect(typeof wrong.json.requestid).toBe('string')
    expect(JSON.stringify(wrong.json)).not.toContain('nope')
    const unknown = await openTicket(e.url, { clientId: 'dingnobody' })
    expect(unknown.status).toBe(401)
    const missing = await openTicket(e.url, { clientSecret: '' })
    expect(missing).toMatchObject({ status: 400, json: { code: 'MissingParameter' } })
    const get = await fetch(`${e.url}${OPEN}`)
    expect(get.status).toBe(405)
    const notJson = await fetch(`${e.url}${OPEN}`, {
      method: 'POST',
      body: '{',
      headers: { 'Content-Type': 'application/json' },
    })
    expect(notJson.status).toBe(400)
    const badTopic = await openTicket(e.url, { subscriptions: [{ type: 'EVENT', topic: 'user_add_org' }] })
    expect(badTopic).toMatchObject({ status: 400, json: { code: 'InvalidParameter.Subscriptions' } })
  })

  it('answers XML without Accept: application/json, as DingTalk does', async () => {
    const e = await start()
    const res = await fetch(`${e.url}${OPEN}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ clientId: app.appKey, clientSecret: app.appSecret, subscriptions: EVENTS }),
    })
    expect(res.headers.get('content-type')).toContain('xml')
    expect(await res.text()).toMatch(/^<OpenConnectionResponse><endpoint>ws:/)
  })

  it('takes a ticket once, and not after 90 s', async () => {
    const clock = manualClock()
    const e = await start({ now: clock.now })
    const { json } = await openTicket(e.url)
    const url = `${json.endpoint as string}?ticket=${json.ticket as string}`
    expect(await upgradeStatus(url)).toBe('open')
    expect(await upgradeStatus(url)).toBe(401)
    const late = await openTicket(e.url)
    clock.advance(90_000)
    expect(await upgradeStatus(`${late.json.endpoint as string}?ticket=${late.json.ticket as string}`)).toBe(
      401,
    )
    expect(await upgradeStatus(`${json.endpoint as string}`)).toBe(400)
    expect(await upgradeStatus(`${e.url.replace('http', 'ws')}/elsewhere?ticket=x`)).toBe(404)
    expect(e.stream.connections).toHaveLength(1)
  })

  it('fault: an endpoint that refuses connections', async () => {
    const e = await start()
    e.stream.unreachable()
    const { json } = await openTicket(e.url)
    expect(await upgradeStatus(`${json.endpoint as string}?ticket=${json.ticket as string}`)).toBe(
      'ECONNREFUSED',
    )
    const again = await openTicket(e.url)
    expect(
      await upgradeStatus(`${again.json.endpoint as string}?ticket=${again.json.ticket as string}`),
    ).toBe('open')
  })
})

describe('frames and ACKs (§13.2–§13.4)', () => {
  it('pushes an EVENT with string headers and camelCase data; SUCCESS ends it', async () => {
    const e = await start()
    const peer = await connect(e)
    const delivery = e.stream.event(app.appKey, 'user_add_org', { userId: ['zhangsan'], timeStamp: 1 })
    const frame = (await peer.next())!
    expect(frame.specVersion).toBe('1.0')
    expect(frame.type).toBe('EVENT')
    expect(frame.headers).toMatchObject({
      topic: '*',
      eventType: 'user_add_org',
      eventCorpId: corp.corpId,
      contentType: 'application/json',
      appId: app.appKey,
    })
    for (const value of Object.values(frame.headers)) expect(typeof value).toBe('string')
    expect(frame.headers.eventBornTime).toMatch(/^\d{13}$/)
    expect(JSON.parse(frame.data)).toEqual({ userId: ['zhangsan'], timeStamp: 1 })
    peer.ack(frame, { status: 'SUCCESS', message: 'OK' })
    expect(await delivery.done).toMatchObject({ ok: true, attempts: 1, ack: { status: 'SUCCESS' } })
    expect(e.stream.connections[0]!.acks).toBe(1)
  })

  it('redelivers with a new messageId when no ACK comes in time, and after LATER', async () => {
    const e = await start({ stream: { ackTimeoutMs: { EVENT: 100 }, retryDelayMs: 10 } })
    const peer = await connect(e)
    const delivery = e.stream.event(app.appKey, 'org_dept_create', { deptId: [2] })
    const first = (await peer.next())!
    const second = (await peer.next())!
    expect(second.headers.messageId).not.toBe(first.headers.messageId)
    expect(second.headers.eventId).toBe(first.headers.eventId)
    peer.ack(second, { status: 'LATER' })
    const third = (await peer.next())!
    expect(new Set([first, second, third].map((f) => f.headers.messageId)).size).toBe(3)
    peer.ack(third, { status: 'SUCCESS' })
    peer.ack(third, { status: 'SUCCESS' })
    peer.ack(first, { status: 'SUCCESS' })
    expect(await delivery.done).toMatchObject({ ok: true, attempts: 3 })
    expect(delivery.attempts.map((a) => a.outcome)).toEqual(['timeout', 'later', 'ack'])
    expect(delivery.redeliveries).toBe(2)
    await roundTrip(e, peer) // the ACKs above have arrived
    expect(e.stream.connections[0]).toMatchObject({ acks: 2, duplicateAcks: 1, lateAcks: 1 })
  })

  it('close() during the retry delay after a LATER ends the push ("emulator closed") instead of waiting', async () => {
    const e = await start({ stream: { retryDelayMs: 600_000 } })
    const peer = await connect(e)
    const delivery = e.stream.event(app.appKey, 'org_dept_create', { deptId: [2] })
    peer.ack((await peer.next())!, { status: 'LATER' })
    await until(() => delivery.attempts[0]!.outcome === 'later')
    await e.close()
    emu = undefined
    expect(await delivery.done).toEqual({ ok: false, attempts: 1, reason: 'emulator closed' })
  })

  it('pushes a CALLBACK on a topic only to subscribers and hands back the ACK data', async () => {
    const e = await start()
    const eventsOnly = await connect(e)
    const robot = await connect(e, { subscriptions: [{ type: 'CALLBACK', topic: ROBOT }] })
    const delivery = e.stream.callback(app.appKey, ROBOT, { msgId: 'm1', text: { content: 'hi' } })
    const frame = (await robot.next())!
    expect(frame).toMatchObject({ type: 'CALLBACK', headers: { topic: ROBOT } })
    expect(JSON.parse(frame.data)).toEqual({ msgId: 'm1', text: { content: 'hi' } })
    robot.ack(frame, { response: { ok: 1 } })
    expect(await delivery.done).toMatchObject({ ok: true, ack: { response: { ok: 1 } } })
    expect(eventsOnly.frames).toHaveLength(0)
  })

  it('answers SYSTEM pings only when the opaque is echoed', async () => {
    const e = await start()
    const peer = await connect(e)
    const id = e.stream.connections[0]!.id
    const answered = e.stream.ping(id)
    const ping = (await peer.next((f) => f.headers.topic === 'ping'))!
    expect(ping.type).toBe('SYSTEM')
    peer.ack(ping, JSON.parse(ping.data))
    expect(await answered).toBe(true)
    const wrong = e.stream.ping(id)
    peer.ack((await peer.next((f) => f.headers.topic === 'ping'))!, { opaque: 'other' })
    expect(await wrong).toBe(false)
    expect(e.stream.connections[0]).toMatchObject({ pingsSent: 2, pingsAnswered: 1 })
  })

  it('counts malformed client frames and keeps going', async () => {
    const e = await start()
    const peer = await connect(e)
    peer.ws.send('not json')
    peer.ws.send(JSON.stringify({ code: 200, headers: {} }))
    peer.ws.send(Buffer.from([1, 2, 3]), { binary: true })
    const delivery = e.stream.event(app.appKey, 'org_remove', {})
    peer.ack((await peer.next())!, { status: 'SUCCESS' })
    expect((await delivery.done).ok).toBe(true)
    expect(e.stream.connections[0]!.invalidFrames).toBe(3)
  })

  it('closes a connection that sends a frame over the size limit', async () => {
    const e = await start({ stream: { maxFrameBytes: 1024 } })
    const peer = await connect(e)
    peer.ws.send('x'.repeat(2048))
    await peer.next()
    expect(peer.closed).toBe(true)
    expect(e.stream.connections[0]!.state).toBe('closed')
  })

  it('spreads pushes at random over the open connections of a client', async () => {
    const e = await start()
    const peers = [await connect(e), await connect(e), await connect(e)]
    for (const peer of peers) {
      peer.ws.on('message', (raw) => {
        const frame = JSON.parse(raw.toString()) as Frame
        if (frame.type === 'EVENT') peer.ack(frame, { status: 'SUCCESS' })
      })
    }
    const deliveries = Array.from({ length: 60 }, (_, i) => e.stream.event(app.appKey, 'org_remove', { i }))
    await Promise.all(deliveries.map((d) => d.done))
    const per = e.stream.connections.map((c) => c.framesSent)
    expect(per.reduce((a, b) => a + b)).toBe(60)
    // Each of 3 connections gets some: P(one gets none in 60 fair draws) ≈ 3·(2/3)^60 ≈ 1e-10.
    for (const n of per) expect(n).toBeGreaterThan(0)
  })
})

describe('faults (§13.5)', () => {
  it('disconnect: a frame with the reason, no more pushes to it, TCP closed later', async () => {
    const e = await start({ stream: { disconnectCloseMs: 200 } })
    const old = await connect(e)
    const oldId = e.stream.connections[0]!.id
    e.stream.disconnect(oldId, { reason: 'persistent connection is timeout' })
    const frame = (await old.next((f) => f.headers.topic === 'disconnect'))!
    expect(frame.type).toBe('SYSTEM')
    expect(JSON.parse(frame.data)).toEqual({ reason: 'persistent connection is timeout' })
    expect(e.stream.live(app.appKey)).toHaveLength(0)
    const delivery = e.stream.event(app.appKey, 'org_remove', {})
    const fresh = await connect(e)
    fresh.ack((await fresh.next())!, { status: 'SUCCESS' })
    expect((await delivery.done).ok).toBe(true)
    expect(await old.next()).toBeUndefined()
    expect(old.closed).toBe(true)
    await until(() => e.stream.connections[0]!.state === 'closed')
    expect(delivery.attempts.every((a) => a.connectionId !== oldId)).toBe(true)
  })

  it('zombie: nothing gets through, pushes time out and go to a live connection', async () => {
    // The first push goes to the first connection (the zombie), the next one to the last.
    const picks = [0, 0.99]
    const e = await start({ stream: { ackTimeoutMs: { EVENT: 100 }, random: () => picks.shift() ?? 0.99 } })
    const dead = await connect(e)
    const alive = await connect(e)
    e.stream.zombie(e.stream.connections[0]!.id)
    const delivery = e.stream.event(app.appKey, 'org_remove', {})
    const frame = (await alive.next())!
    alive.ack(frame, { status: 'SUCCESS' })
    await delivery.done
    expect(dead.frames).toHaveLength(0)
    expect(delivery.attempts.map((a) => a.outcome)).toEqual(['timeout', 'ack'])
    expect(delivery.attempts[0]!.connectionId).toBe(e.stream.connections[0]!.id)
  })

  it('redeliver: once more after a correct ACK, with a new messageId, for the next N pushes only', async () => {
    const e = await start()
    const peer = await connect(e)
    e.stream.redeliver()
    const delivery = e.stream.event(app.appKey, 'org_remove', {}, { eventId: 'twice' })
    const first = (await peer.next())!
    expect(peer.frames).toHaveLength(0) // nothing more until the ACK
    peer.ack(first, { status: 'SUCCESS' })
    const second = (await peer.next())!
    expect(second.headers.messageId).not.toBe(first.headers.messageId)
    expect(second.headers.eventId).toBe('twice')
    peer.ack(second, { status: 'SUCCESS' })
    expect(await delivery.done).toMatchObject({ ok: true, attempts: 2 })
    expect(delivery.attempts.map((a) => a.outcome)).toEqual(['ack', 'ack'])
    expect(delivery.redeliveries).toBe(1)
    const next = e.stream.event(app.appKey, 'org_remove', {})
    peer.ack((await peer.next())!, { status: 'SUCCESS' })
    expect(await next.done).toMatchObject({ ok: true, attempts: 1 })
  })

  it('redeliver after send: the second frame goes out before the first is answered; both must be', async () => {
    const e = await start()
    const peer = await connect(e)
    e.stream.redeliver(1, { after: 'send' })
    const delivery = e.stream.event(app.appKey, 'org_remove', {}, { eventId: 'both-in-flight' })
    const first = (await peer.next())!
    const second = (await peer.next())!
    expect(new Set([first.headers.messageId, second.headers.messageId]).size).toBe(2)
    expect(delivery.attempts.map((a) => a.outcome)).toEqual(['pending', 'pending'])
    peer.ack(first, { status: 'SUCCESS' })
    await roundTrip(e, peer)
    expect(delivery.result).toBeUndefined() // the second frame is still unanswered
    peer.ack(second, { status: 'SUCCESS' })
    expect(await delivery.done).toMatchObject({ ok: true, attempts: 2 })
    expect(delivery.attempts.map((a) => a.outcome)).toEqual(['ack', 'ack'])
  })

  it('waits for a connection when the app is in Stream mode and none is open', async () => {
    const e = await start()
    e.stream.setMode(app.appKey, 'stream')
    const delivery = e.stream.event(app.appKey, 'org_remove', {})
    const peer = await connect(e)
    peer.ack((await peer.next())!, { status: 'SUCCESS' })
    expect(await delivery.done).toMatchObject({ ok: true, attempts: 1 })
  })
})

describe('events the emulator generates', () => {
  async function registerCallback(e: Emulator): Promise<{ received: string[] }> {
    const received: string[] = []
    const aesKey = 'a'.repeat(43)
    const server = createServer((req, res) => {
      let body = ''
      req.on('data', (chunk) => {
        body += chunk
      })
      req.on('end', () => {
        const { encrypt } = JSON.parse(body) as { encrypt: string }
        const { message } = decryptMessage({ aesKey, encrypt })
        received.push(JSON.parse(message).EventType as string)
        res.writeHead(500).end()
      })
    })
    servers.add(server)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    // The check_url push fails on purpose (500): register it straight into the state.
    const org = e.state.orgs.get(corp.corpId)!
    org.callback = {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/cb`,
      token: 'tok',
      aesKey,
      tags: ['user_add_org'],
      receiveId: corp.corpId,
    }
    return { received }
  }

  it('a user created over the API reaches a connected app over Stream, not over HTTP', async () => {
    const e = await start({ push: { retries: 0 } })
    const http = await registerCallback(e)
    const peer = await connect(e)
    const token = await corpToken(e.url)
    const created = await postJson(`${e.url}/topapi/v2/user/create?access_token=${token}`, {
      userid: 'streamuser',
      name: 'Stream User',
      mobile: '13800000042',
      dept_id_list: '1',
    })
    expect(created.errcode).toBe(0)
    const frame = (await peer.next())!
    expect(frame.headers).toMatchObject({ eventType: 'user_add_org', eventCorpId: corp.corpId })
    const data = JSON.parse(frame.data) as Record<string, unknown>
    expect(data.userId).toEqual(['streamuser'])
    expect(typeof data.timeStamp).toBe('number')
    expect(data).not.toHaveProperty('UserId')
    peer.ack(frame, { status: 'SUCCESS' })
    await e.stream.idle()
    await e.idle()
    expect(http.received).toEqual([])
  })

  it('goes over HTTP when no connection is open, or when the app is set to HTTP mode', async () => {
    const e = await start({ push: { retries: 0 } })
    const http = await registerCallback(e)
    await e.emitCorpEvent(corp.corpId, 'user_add_org', { UserId: ['u1'] })
    const peer = await connect(e)
    e.stream.setMode(app.appKey, 'http')
    await e.emitCorpEvent(corp.corpId, 'user_add_org', { UserId: ['u2'] })
    expect(http.received).toEqual(['user_add_org', 'user_add_org'])
    expect(e.stream.deliveries).toHaveLength(0)
    expect(peer.frames).toHaveLength(0)
  })
})
