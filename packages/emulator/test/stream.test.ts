import { afterEach, describe, expect, it } from 'vitest'
import { app, corp, manualClock, suite } from './helpers'
import {
  closeStreamTest,
  connect,
  EVENTS,
  type Frame,
  forgetEmulator,
  OPEN,
  openTicket,
  ROBOT,
  roundTrip,
  start,
  until,
  upgradeStatus,
} from './stream-helpers'

// Faults and the events the emulator generates are in stream-delivery.test.ts.

afterEach(closeStreamTest)

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
    forgetEmulator()
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
