import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { type Emulator, startEmulator } from '../src/emulator'
import { app, corpToken, manualClock } from './helpers'

// The card routes on the wire (§14.4): the per-app QpsLimit, injected failures, inspection.
const clock = manualClock()
let emu: Emulator
let token: string

beforeAll(async () => {
  emu = await startEmulator({ now: clock.now, suiteTicketIntervalMs: 0, cardQps: 3 })
  token = await corpToken(emu.url)
})
afterAll(() => emu.close())

async function call(method: 'POST' | 'PUT', path: string, body: unknown) {
  const res = await fetch(`${emu.url}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json', 'x-acs-dingtalk-access-token': token },
    body: JSON.stringify(body),
  })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

const create = (outTrackId: string) =>
  call('POST', '/v1.0/card/instances', {
    cardTemplateId: 't.schema',
    outTrackId,
    cardData: { cardParamMap: {} },
  })

const toGroups = (outTrackId: string, spaces: string) =>
  call('POST', '/v1.0/card/instances/deliver', {
    outTrackId,
    openSpaceId: `dtv1.card//${spaces}`,
    imGroupOpenDeliverModel: { robotCode: app.appKey },
  })

describe('emulator card routes', () => {
  it('answers HTTP 403 with a QpsLimit body above cardQps per app and second, and counts both', async () => {
    emu.cards.resetCounts()
    clock.advance(1000)
    const answers = []
    for (let i = 0; i < 5; i++) answers.push(await create(`qps-${i}`))
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 403, 403])
    expect(answers[3]!.body).toMatchObject({
      code: expect.stringMatching(/QpsLimit/),
      requestid: expect.any(String),
    })
    expect(emu.cards.maxPerSecond(app.appKey)).toEqual({ accepted: 3, attempted: 5, refused: 2 })
    clock.advance(1000)
    expect((await create('qps-next-second')).status).toBe(200)
    expect(emu.cards.perSecond(app.appKey).map((s) => s.accepted)).toEqual([3, 1])
  })

  it('failNext arms QpsLimit and "success": false answers, in order', async () => {
    clock.advance(1000)
    emu.cards.failNext(1, 'QpsLimit')
    emu.cards.failNext(1, 'unsuccessful')
    expect((await create('armed-1')).status).toBe(403)
    const unsuccessful = await create('armed-2')
    expect(unsuccessful).toMatchObject({
      status: 200,
      body: { success: false, errorCode: 'sendCardMessageFailed' },
    })
    expect(emu.cards.get('armed-2')).toBeUndefined()
    expect((await create('armed-3')).status).toBe(200)
  })

  it('get() is a copy; the record keeps data, deliveries, streams and history', async () => {
    clock.advance(1000)
    await create('inspect')
    await toGroups('inspect', 'IM_GROUP.cid1;IM_GROUP.cid2')
    const stream = { outTrackId: 'inspect', key: 'k', content: 'a', guid: 'g1', isFull: false }
    await call('PUT', '/v1.0/card/streaming', stream)
    clock.advance(1000)
    await call('PUT', '/v1.0/card/streaming', stream) // the same guid: applied once
    const card = emu.cards.get('inspect')!
    expect(card.deliveries.map((d) => d.spaceId)).toEqual(['cid1', 'cid2'])
    expect(card.streams.k).toMatchObject({ content: 'a', frames: 1 })
    expect(card.history.map((h) => h.op)).toEqual(['create', 'deliver', 'streaming', 'streaming'])
    card.cardData.x = 'changed'
    expect(emu.cards.get('inspect')?.cardData.x).toBeUndefined()
  })

  it('refuses non-string card variables and an unknown outTrackId', async () => {
    clock.advance(1000)
    const res = await call('POST', '/v1.0/card/instances', {
      cardTemplateId: 't.schema',
      outTrackId: 'typed',
      cardData: { cardParamMap: { n: 1 } },
    })
    expect(res).toMatchObject({ status: 400, body: { code: 'param.invalid' } })
    const missing = await call('PUT', '/v1.0/card/instances', { outTrackId: 'nope', cardData: {} })
    expect(missing).toMatchObject({ status: 400, body: { code: 'param.cardInstanceNotExist' } })
  })
})

describe('emu.cards.press: a button press over Stream', () => {
  it('sends the card callback (§13.6) to the creating app and applies the card data of its ACK', async () => {
    clock.advance(1000)
    await create('pressed')
    await toGroups('pressed', 'IM_GROUP.cidPress')
    await call('PUT', '/v1.0/card/instances', {
      outTrackId: 'pressed',
      cardData: { cardParamMap: { keep: 'x' } },
    })
    const opened = await fetch(`${emu.url}/v1.0/gateway/connections/open`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({
        clientId: app.appKey,
        clientSecret: app.appSecret,
        subscriptions: [{ type: 'CALLBACK', topic: '/v1.0/card/instances/callback' }],
      }),
    })
    const { endpoint, ticket } = (await opened.json()) as { endpoint: string; ticket: string }
    const ws = new WebSocket(`${endpoint}?ticket=${encodeURIComponent(ticket)}`)
    const received: Record<string, unknown>[] = []
    ws.on('message', (raw) => {
      const frame = JSON.parse(raw.toString()) as {
        type: string
        headers: { messageId: string }
        data: string
      }
      if (frame.type !== 'CALLBACK') return
      received.push(JSON.parse(frame.data) as Record<string, unknown>)
      const response = {
        cardUpdateOptions: { updateCardDataByKey: true },
        cardData: { cardParamMap: { status: '已同意' } },
      }
      const headers = { messageId: frame.headers.messageId, contentType: 'application/json' }
      ws.send(JSON.stringify({ code: 200, message: 'OK', headers, data: JSON.stringify({ response }) }))
    })
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject))
    try {
      const result = await emu.cards.press('pressed', {
        userId: 'zhangsan',
        actionIds: ['agree'],
        params: { n: 1 },
      })
      expect(result.ok).toBe(true)
      expect(received[0]).toMatchObject({
        outTrackId: 'pressed',
        userId: 'zhangsan',
        spaceId: 'cidPress',
        spaceType: 'IM_GROUP',
        type: 'actionCallback',
      })
      expect(JSON.parse(received[0]!.content as string)).toEqual({
        cardPrivateData: { actionIds: ['agree'], params: { n: 1 } },
      })
      expect(emu.cards.get('pressed')?.cardData).toEqual({ keep: 'x', status: '已同意' })
      expect(emu.cards.get('pressed')?.history.at(-1)?.op).toBe('callback')
    } finally {
      ws.terminate()
    }
  })
})
