import { afterAll, beforeAll, describe, expect, it } from 'vitest'
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
    await call('POST', '/v1.0/card/instances/deliver', {
      outTrackId: 'inspect',
      openSpaceId: 'dtv1.card//IM_GROUP.cid1;IM_GROUP.cid2',
      imGroupOpenDeliverModel: { robotCode: app.appKey },
    })
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
