import { defaultFixture, type Emulator, startEmulator } from '@dingtalk-kit/emulator'
import { afterEach, describe, expect, it } from 'vitest'
import { run } from '../src/index'
import { startApp, type TestApp, testIo } from './helpers'

const corp = defaultFixture.orgs[0]!
const app = corp.apps![0]!
const TOKEN = 'listen-token'
const AES_KEY = 'listenAesKey0123456789abcdefghijklmnopqrstu'

let emu: Emulator | undefined
let target: TestApp | undefined

afterEach(async () => {
  await target?.close()
  target = undefined
  await emu?.close()
  emu = undefined
})

async function listen(
  url: string,
  extra: string[] = [],
): Promise<{ io: ReturnType<typeof testIo>; stop(): Promise<number> }> {
  const controller = new AbortController()
  const io = { ...testIo(), signal: controller.signal }
  const running = run(
    [
      'listen',
      '--forward-to',
      url,
      '--api-base-url',
      emu!.url,
      '--token',
      TOKEN,
      '--aes-key',
      AES_KEY,
      '--receive-id',
      corp.corpId,
      ...extra,
    ],
    { ...io, env: { DINGTALK_APP_KEY: app.appKey, DINGTALK_APP_SECRET: app.appSecret } },
  )
  await emu!.stream.waitForConnections(1, app.appKey)
  return {
    io,
    stop: () => {
      controller.abort()
      return running
    },
  }
}

describe('dingtalk-kit listen --forward-to', () => {
  it('forwards a Stream event to the callback route, encrypted and signed as DingTalk does, in the callback shape', async () => {
    emu = await startEmulator({ suiteTicketIntervalMs: 0, stream: { pingIntervalMs: 0 } })
    target = await startApp({ token: TOKEN, aesKey: AES_KEY, receiveId: corp.corpId })
    const listener = await listen(target.url)
    const delivery = emu.stream.event(app.appKey, 'user_add_org', {
      userId: ['zhangsan'],
      timeStamp: 1700000000000,
    })
    expect(await delivery.done).toMatchObject({ ok: true, attempts: 1, ack: { status: 'SUCCESS' } })
    expect(target.events).toEqual([
      {
        EventType: 'user_add_org',
        UserId: ['zhangsan'],
        TimeStamp: 1700000000000,
        CorpId: corp.corpId,
        eventId: delivery.headers.eventId,
      },
    ])
    expect(await listener.stop()).toBe(0)
    expect(listener.io.stdout.text).toContain(`user_add_org → ${target.url}: HTTP 200 "success"`)
    expect(listener.io.stderr.text).not.toContain(app.appSecret)
    expect(listener.io.stderr.text).not.toContain(AES_KEY)
  })

  it('a route that answers wrongly gets the event again (ACK LATER); once it answers, the event is not forwarded again', async () => {
    emu = await startEmulator({ suiteTicketIntervalMs: 0, stream: { pingIntervalMs: 0, retryDelayMs: 5 } })
    target = await startApp({ token: TOKEN, aesKey: AES_KEY, receiveId: corp.corpId })
    target.mode = 'http500'
    const listener = await listen(target.url)
    const delivery = emu.stream.event(app.appKey, 'org_dept_create', { deptId: [5] })
    while (delivery.attempts.length < 2) await new Promise((resolve) => setTimeout(resolve, 5))
    target.mode = 'success'
    expect(await delivery.done).toMatchObject({ ok: true })
    expect(delivery.attempts[0]!.ackData).toMatchObject({ status: 'LATER' })
    const again = emu.stream.event(
      app.appKey,
      'org_dept_create',
      { deptId: [5] },
      { eventId: delivery.headers.eventId! },
    )
    expect(await again.done).toMatchObject({ ok: true })
    expect(target.events).toHaveLength(delivery.attempts.length)
    expect(await listener.stop()).toBe(0)
    expect(listener.io.stderr.text).toContain('HTTP 500')
  })

  it('wrong Stream credentials: exit 1 with what to check', async () => {
    emu = await startEmulator({ suiteTicketIntervalMs: 0 })
    const io = testIo()
    const code = await run(
      [
        'listen',
        '-f',
        'http://127.0.0.1:9/cb',
        '--api-base-url',
        emu.url,
        '--client-id',
        app.appKey,
        '--client-secret',
        'nope-secret',
      ],
      {
        ...io,
        env: {
          DINGTALK_CALLBACK_TOKEN: TOKEN,
          DINGTALK_CALLBACK_AES_KEY: AES_KEY,
          DINGTALK_CORP_ID: corp.corpId,
        },
      },
    )
    expect(code).toBe(1)
    expect(io.stderr.text).toContain('refused the Stream credentials')
    expect(io.stderr.text).not.toContain('nope-secret')
  })

  it('usage errors: no route, no credentials', async () => {
    const io = testIo()
    expect(await run(['listen'], io)).toBe(2)
    expect(io.stderr.text).toContain('--forward-to')
    const io2 = testIo()
    expect(await run(['listen', '-f', 'http://127.0.0.1:9/cb'], io2)).toBe(2)
    expect(io2.stderr.text).toContain('--client-id')
  })
})
