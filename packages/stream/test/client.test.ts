import { createServer } from 'node:net'
import {
  createDingTalkClient,
  createEventDispatcher,
  type DingTalkEvent,
  parseEvents,
} from '@dingtalk-kit/core'
import { afterEach, describe, expect, it } from 'vitest'
import {
  DingTalkStreamCredentialsError,
  DingTalkStreamError,
  DingTalkStreamUnreachableError,
  TOPIC_CARD,
  TOPIC_ROBOT,
} from '../src/index'
import { app, corp, gate, type Harness, harness, memoryLogger, until } from './helpers'

let h: Harness | undefined

afterEach(async () => {
  await h?.close()
  h = undefined
})

async function corpToken(base: string): Promise<string> {
  const res = await fetch(`${base}/gettoken?appkey=${app.appKey}&appsecret=${app.appSecret}`)
  return ((await res.json()) as { access_token: string }).access_token
}

describe('connecting (§13.1)', () => {
  it('opens with a fresh ticket, subscribing EVENT *, the robot and card topics and the registered CALLBACK topics', async () => {
    h = await harness()
    const stream = h.client({ callbacks: { '/v1.0/graph/api/invoke': () => null }, ua: 'my-app/1.0' })
    await stream.start()
    const [conn] = await h.emu.stream.waitForConnections(1, app.appKey)
    expect(conn!.subscriptions).toEqual([
      { type: 'EVENT', topic: '*' },
      { type: 'CALLBACK', topic: TOPIC_ROBOT },
      { type: 'CALLBACK', topic: TOPIC_CARD },
      { type: 'CALLBACK', topic: '/v1.0/graph/api/invoke' },
    ])
    expect(conn!.ua).toBe('my-app/1.0')
    expect(stream.stats()).toMatchObject({ connected: true, connections: 1, sockets: 1 })
    const opened = h.emu.log.filter((e) => e.path === '/v1.0/gateway/connections/open')
    expect(opened).toHaveLength(1)
    expect(opened[0]!.body).toMatchObject({ clientId: app.appKey, clientSecret: '***' })
  })

  it('without clientId and clientSecret: those the app client (or suite client) was created with', async () => {
    h = await harness()
    const client = createDingTalkClient(
      { appKey: app.appKey, appSecret: app.appSecret },
      { baseUrl: h.emu.url },
    )
    await h.client({ clientId: undefined, clientSecret: undefined, client }).start()
    const dispatcher = createEventDispatcher({ client })
    await h.client({ clientId: undefined, clientSecret: undefined, dispatcher }).start()
    const opened = await h.emu.stream.waitForConnections(2, app.appKey)
    expect(opened.map((c) => c.clientId)).toEqual([app.appKey, app.appKey])
    expect(() => h!.client({ clientId: undefined, clientSecret: undefined })).toThrow(/needs a clientId/)
  })

  it('bad credentials: start() rejects with a typed error saying what to check, and leaves nothing open', async () => {
    h = await harness()
    const logger = memoryLogger()
    const stream = h.client({ clientSecret: 'wrong-secret-value', logger })
    const error = await stream.start().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DingTalkStreamCredentialsError)
    expect(error).toMatchObject({ code: 'STREAM_CREDENTIALS', status: 401, apiCode: 'InvalidAuthentication' })
    expect((error as Error).message).toContain('AppKey')
    expect((error as Error).message).not.toContain('wrong-secret-value')
    expect(JSON.stringify(logger.lines)).not.toContain('wrong-secret-value')
    expect(stream.stats()).toMatchObject({ connected: false, sockets: 0 })
    expect(h.emu.stream.connections).toHaveLength(0)
  })

  it('an unreachable API: a typed error naming the host to allow', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const p = (server.address() as { port: number }).port
        server.close(() => resolve(p))
      })
    })
    h = await harness()
    const error = await h
      .client({ apiBaseUrl: `http://127.0.0.1:${port}` })
      .start()
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DingTalkStreamUnreachableError)
    expect(error).toMatchObject({ host: '127.0.0.1', port })
    expect((error as Error).message).toContain('wss-open-connection.dingtalk.com:443')
  })

  it('an unreachable gateway: a typed error; once started, the client keeps retrying with a fresh ticket', async () => {
    h = await harness()
    h.emu.stream.unreachable()
    const error = await h
      .client()
      .start()
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DingTalkStreamUnreachableError)
    expect((error as Error).message).toContain('WebSocket gateway')

    const errors: DingTalkStreamError[] = []
    const stream = h.client()
    stream.onError((e) => {
      if (e instanceof DingTalkStreamError) errors.push(e)
    })
    await stream.start()
    const [first] = await h.emu.stream.waitForConnections(1)
    h.emu.stream.unreachable(2)
    h.emu.stream.disconnect(first!.id, { closeAfterMs: 0 })
    await until(
      () => h!.emu.stream.live().length === 1 && h!.emu.stream.connections.length === 2,
      'a new connection',
    )
    expect(errors.map((e) => e.code)).toEqual(['STREAM_UNREACHABLE', 'STREAM_UNREACHABLE'])
    // The failed start, the second client's start, 2 unreachable endpoints, the one that worked: a new
    // ticket every time.
    expect(h.emu.count('/v1.0/gateway/connections/open')).toBe(5)
  })
})

describe('events (§13.2–§13.4)', () => {
  it('an event the emulator generates reaches the handler typed as over HTTP, and is ACKed SUCCESS', async () => {
    h = await harness()
    const stream = h.client()
    const seen: DingTalkEvent[] = []
    stream.on('user_add_org', (event) => {
      seen.push(event)
    })
    await stream.start()
    const token = await corpToken(h.emu.url)
    const created = await fetch(`${h.emu.url}/topapi/v2/user/create?access_token=${token}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ userid: 'newbie', name: 'New', mobile: '13800000077', dept_id_list: '1' }),
    })
    expect(await created.json()).toMatchObject({ errcode: 0 })
    await h.emu.stream.idle()
    expect(seen).toHaveLength(1)
    const delivery = h.emu.stream.deliveries[0]!
    const http = parseEvents({
      EventType: 'user_add_org',
      UserId: ['newbie'],
      CorpId: corp.corpId,
      TimeStamp: (JSON.parse(JSON.stringify(delivery.data)) as { timeStamp: number }).timeStamp,
      eventId: delivery.headers.eventId,
    })[0]!.event
    expect(seen[0]).toEqual(http)
    expect(delivery.result).toMatchObject({ ok: true, attempts: 1, ack: { status: 'SUCCESS' } })
  })

  it('ACKs only after the handler finished', async () => {
    h = await harness()
    const stream = h.client()
    const started = gate()
    const finish = gate()
    stream.on('org_dept_create', async () => {
      started.open()
      await finish.promise
    })
    await stream.start()
    const delivery = h.emu.stream.event(app.appKey, 'org_dept_create', { deptId: [7] })
    await started.promise
    expect(delivery.attempts[0]!.outcome).toBe('pending')
    expect(stream.stats().inFlight).toBe(1)
    finish.open()
    expect(await delivery.done).toMatchObject({ ok: true, attempts: 1 })
  })

  it('a handler that throws is ACKed LATER and logged; DingTalk redelivers and the next try succeeds', async () => {
    h = await harness({ stream: { retryDelayMs: 5 } })
    const logger = memoryLogger()
    const stream = h.client({ logger })
    let calls = 0
    stream.on('org_remove', () => {
      calls++
      if (calls === 1) throw new Error('database down')
    })
    await stream.start()
    const delivery = h.emu.stream.event(app.appKey, 'org_remove', {})
    expect(await delivery.done).toMatchObject({ ok: true, attempts: 2 })
    expect(delivery.attempts.map((a) => a.ackData)).toEqual([
      { status: 'LATER', message: 'handler failed' },
      { status: 'SUCCESS', message: 'OK' },
    ])
    expect(calls).toBe(2)
    expect(logger.lines.filter((l) => l.level === 'error')).toEqual([
      {
        level: 'error',
        message: 'A org_remove handler failed; asking DingTalk to re-push',
        data: expect.objectContaining({
          code: 'CALLBACK_HANDLER_FAILED',
          cause: 'Error',
          transport: 'stream',
        }),
      },
    ])
  })

  it('a redelivery with a new messageId while the first is in flight is handled once, both ACKed', async () => {
    h = await harness({ stream: { ackTimeoutMs: { EVENT: 50 } } })
    const redeliveries: string[] = []
    const stream = h.client({ hooks: { redelivery: (info) => redeliveries.push(info.id) } })
    const finish = gate()
    let calls = 0
    stream.on('user_leave_org', async () => {
      calls++
      await finish.promise
    })
    await stream.start()
    const delivery = h.emu.stream.event(
      app.appKey,
      'user_leave_org',
      { userId: ['u1'] },
      { eventId: 'evt-42' },
    )
    await until(() => delivery.attempts.length >= 2, 'a redelivery')
    finish.open()
    await delivery.done
    await stream.idle()
    expect(calls).toBe(1)
    expect(new Set(delivery.attempts.map((a) => a.messageId)).size).toBe(delivery.attempts.length)
    expect(redeliveries.length).toBe(delivery.attempts.length - 1)
    expect(redeliveries.every((id) => id === 'id:evt-42')).toBe(true)
    expect(stream.stats().acksSent).toBe(delivery.attempts.length)
  })

  it('the same event pushed again after its ACK (DingTalk duplicates happen, §13.4) is not handled again', async () => {
    h = await harness()
    const stream = h.client()
    let calls = 0
    stream.on('org_remove', () => {
      calls++
    })
    await stream.start()
    const first = h.emu.stream.event(app.appKey, 'org_remove', {}, { eventId: 'same' })
    await first.done
    const again = h.emu.stream.event(app.appKey, 'org_remove', {}, { eventId: 'same' })
    expect(await again.done).toMatchObject({ ok: true })
    expect(calls).toBe(1)
    expect(stream.stats().redeliveries).toBe(1)
  })

  it('answers pings at once with the opaque', async () => {
    h = await harness()
    await h.client().start()
    const [conn] = await h.emu.stream.waitForConnections(1)
    expect(await h.emu.stream.ping(conn!.id)).toBe(true)
    expect(await h.emu.stream.ping(conn!.id)).toBe(true)
    expect(h.emu.stream.connections[0]).toMatchObject({ pingsSent: 2, pingsAnswered: 2 })
  })

  it('bounded concurrency: frames beyond the limit wait un-ACKed and are all handled', async () => {
    h = await harness()
    const stream = h.client({ maxConcurrency: 2 })
    const finish = gate()
    let running = 0
    let most = 0
    stream.on('org_remove', async () => {
      running++
      most = Math.max(most, running)
      await finish.promise
      running--
    })
    await stream.start()
    const deliveries = Array.from({ length: 6 }, () => h!.emu.stream.event(app.appKey, 'org_remove', {}))
    await until(() => stream.stats().queued === 4, 'four queued frames')
    expect(stream.stats().inFlight).toBe(2)
    expect(deliveries.filter((d) => d.attempts[0]?.outcome === 'pending')).toHaveLength(6)
    finish.open()
    const results = await Promise.all(deliveries.map((d) => d.done))
    expect(results.every((r) => r.ok && r.attempts === 1)).toBe(true)
    expect(most).toBe(2)
  })
})

describe('callbacks (§13.3, §13.6)', () => {
  it('a robot message: the handler result is the ACK response; a redelivery with a new messageId is not handled twice', async () => {
    h = await harness({ stream: { ackTimeoutMs: { CALLBACK: 50 } } })
    const stream = h.client()
    const finish = gate()
    const seen: unknown[] = []
    stream.onCallback(TOPIC_ROBOT, async (message, ctx) => {
      seen.push([message, ctx.id])
      await finish.promise
      return { replied: true }
    })
    await stream.start()
    const delivery = h.emu.stream.callback(app.appKey, TOPIC_ROBOT, {
      msgId: 'msg-1',
      text: { content: 'hello' },
    })
    await until(() => delivery.attempts.length >= 2, 'a redelivery')
    finish.open()
    expect(await delivery.done).toMatchObject({ ok: true, ack: { response: { replied: true } } })
    await stream.idle()
    expect(seen).toEqual([[{ msgId: 'msg-1', text: { content: 'hello' } }, 'robot:msg-1']])
    // Every redelivery got the same response.
    expect(
      new Set(delivery.attempts.filter((a) => a.outcome === 'ack').map((a) => JSON.stringify(a.ackData)))
        .size,
    ).toBe(1)
  })

  it('a card callback is keyed on outTrackId + user + action', async () => {
    h = await harness()
    const stream = h.client()
    const ids: string[] = []
    stream.onCallback(TOPIC_CARD, (_data, ctx) => {
      ids.push(ctx.id)
      return { cardData: { cardParamMap: { n: String(ids.length) } } }
    })
    await stream.start()
    const click = { outTrackId: 'card-1', userId: 'u1', content: '{"cardPrivateData":{"actionIds":["ok"]}}' }
    const a = await h.emu.stream.callback(app.appKey, TOPIC_CARD, click).done
    const b = await h.emu.stream.callback(app.appKey, TOPIC_CARD, click).done
    const other = await h.emu.stream.callback(app.appKey, TOPIC_CARD, { ...click, userId: 'u2' }).done
    expect(ids).toHaveLength(2)
    expect(a.ack).toEqual({ response: { cardData: { cardParamMap: { n: '1' } } } })
    expect(b.ack).toEqual(a.ack)
    expect(other.ack).toEqual({ response: { cardData: { cardParamMap: { n: '2' } } } })
  })

  it('a topic whose handler was removed is answered 404', async () => {
    h = await harness({ stream: { maxAttempts: 1 } })
    const stream = h.client()
    const off = stream.onCallback('/v1.0/graph/api/invoke', () => 'x')
    await stream.start()
    off()
    const result = await h.emu.stream.callback(app.appKey, '/v1.0/graph/api/invoke', {}).done
    expect(result.ok).toBe(false)
    expect(h.emu.stream.deliveries[0]!.attempts[0]!.ackCode).toBe(404)
  })
})

describe('connection lifecycle (§13.5)', () => {
  it('disconnect: the new connection opens before the old one is drained; the in-flight frame is ACKed on the old one', async () => {
    h = await harness({ stream: { disconnectCloseMs: 30_000 } })
    const disconnects: string[] = []
    const stream = h.client({ hooks: { disconnect: (i) => disconnects.push(`${i.byServer}:${i.reason}`) } })
    const started = gate()
    const finish = gate()
    stream.on('org_remove', async () => {
      started.open()
      await finish.promise
    })
    await stream.start()
    const [old] = await h.emu.stream.waitForConnections(1)
    const delivery = h.emu.stream.event(app.appKey, 'org_remove', {})
    await started.promise
    h.emu.stream.disconnect(old!.id, { reason: 'connection is expired' })
    const [fresh] = await h.emu.stream.waitForConnections(1)
    expect(fresh!.id).not.toBe(old!.id)
    expect(old!.state).toBe('disconnecting')
    finish.open()
    expect(await delivery.done).toMatchObject({ ok: true, attempts: 1 })
    expect(delivery.attempts[0]!.connectionId).toBe(old!.id)
    // Drained: the client closes the old connection itself, long before the server would.
    await until(() => old!.state === 'closed', 'the old connection closed')
    expect(disconnects).toEqual(['true:connection is expired'])
    expect(stream.stats()).toMatchObject({ connected: true, sockets: 1 })
  })

  it('a zombie connection is found by the ping watchdog and replaced', async () => {
    h = await harness({ stream: { ackTimeoutMs: { EVENT: 100 } } })
    const disconnects: string[] = []
    const stream = h.client({
      keepAlive: { idleMs: 50, pongTimeoutMs: 50 },
      hooks: { disconnect: (i) => disconnects.push(i.reason) },
    })
    let calls = 0
    stream.on('org_remove', () => {
      calls++
    })
    await stream.start()
    const [first] = await h.emu.stream.waitForConnections(1)
    h.emu.stream.zombie(first!.id)
    const delivery = h.emu.stream.event(app.appKey, 'org_remove', {})
    await until(() => h!.emu.stream.connections.length === 2, 'a second connection')
    expect(await delivery.done).toMatchObject({ ok: true })
    expect(calls).toBe(1)
    expect(disconnects).toHaveLength(1)
    expect(disconnects[0]).toMatch(/^zombie: no pong within 50 ms/)
  })

  it('close(): stops taking frames, finishes and ACKs the one in flight, releases every socket', async () => {
    h = await harness()
    const stream = h.client()
    const started = gate()
    const finish = gate()
    stream.on('org_remove', async () => {
      started.open()
      await finish.promise
    })
    await stream.start()
    const delivery = h.emu.stream.event(app.appKey, 'org_remove', {})
    await started.promise
    const closing = stream.close()
    finish.open()
    await closing
    expect(delivery.attempts[0]).toMatchObject({
      outcome: 'ack',
      ackData: { status: 'SUCCESS', message: 'OK' },
    })
    expect(stream.stats()).toMatchObject({ connected: false, sockets: 0, inFlight: 0 })
    await until(() => h!.emu.stream.connections[0]!.state === 'closed', 'the server side closed')
  })
})
