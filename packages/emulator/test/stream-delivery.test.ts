import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { decryptMessage } from '../src/crypto'
import type { Emulator } from '../src/emulator'
import { app, corp, corpToken, postJson } from './helpers'
import { closeStreamTest, connect, roundTrip, servers, start, until } from './stream-helpers'

// The Stream connection's faults (§13.5), and which way the events the emulator generates go.

afterEach(closeStreamTest)

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
