import { buildPush, checkReply, defaultFixture, type Emulator, startEmulator } from '@dingtalk-kit/emulator'
import { TOPIC_ROBOT } from '@dingtalk-kit/stream'
import { Inject, Injectable, Module } from '@nestjs/common'
import { Test } from '@nestjs/testing'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  createDingTalkClient,
  type DingTalkClient,
  DingTalkModule,
  type DingTalkModuleOptions,
  DingTalkStream,
  type EventContext,
  type EventOf,
  OnDingTalkEvent,
} from '../src/index'
import { AES_KEY, PLATFORMS, type Running, startNest, TOKEN } from './helpers'

const corp = defaultFixture.orgs[0]!
const app = corp.apps![0]!

let emu: Emulator
let client: DingTalkClient
let options: DingTalkModuleOptions
const running: Running[] = []

beforeEach(async () => {
  emu = await startEmulator({ suiteTicketIntervalMs: 0, stream: { pingIntervalMs: 0 } })
  // A fresh client per test: its store holds the pipeline's de-duplication marks.
  client = createDingTalkClient(
    { appKey: app.appKey, appSecret: app.appSecret, corpId: corp.corpId },
    { baseUrl: emu.url },
  )
  options = {
    client,
    callback: { token: TOKEN, aesKey: AES_KEY, receiveId: corp.corpId },
    stream: { apiBaseUrl: emu.url },
  }
})

afterEach(async () => {
  for (const nest of running.splice(0)) await nest.close()
  await emu.close()
})

async function start(platform: (typeof PLATFORMS)[number], module: unknown): Promise<Running> {
  const nest = await startNest(platform, module)
  running.push(nest)
  return nest
}

/** Waits on state, never on durations; the bound only turns a hang into a message. */
async function until(condition: () => boolean, what: string): Promise<void> {
  const started = Date.now()
  while (!condition()) {
    if (Date.now() - started > 20_000) throw new Error(`gave up waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

function sockets(): number {
  return process.getActiveResourcesInfo().filter((kind) => kind === 'TCPSocketWrap').length
}

@Injectable()
class Departments {
  readonly seen: Array<{ deptId: EventOf<'org_dept_create'>['DeptId']; transport: string }> = []
  release: Promise<void> = Promise.resolve()

  @OnDingTalkEvent('org_dept_create')
  async created(event: EventOf<'org_dept_create'>, context: EventContext): Promise<void> {
    await this.release
    this.seen.push({ deptId: event.DeptId, transport: context.transport })
  }
}

describe.each(PLATFORMS)('DingTalkModule with stream on %s', (platform) => {
  it('an event over Stream reaches an @OnDingTalkEvent method, typed as over HTTP; the client is injectable', async () => {
    @Module({ imports: [DingTalkModule.forRoot(options)], providers: [Departments] })
    class AppModule {}
    const { app: nest } = await start(platform, AppModule)
    const [conn] = await emu.stream.waitForConnections(1, app.appKey)
    // The robot and card topics are always subscribed (typed robot_message / card_callback handlers).
    expect(conn!.subscriptions).toEqual([
      { type: 'EVENT', topic: '*' },
      { type: 'CALLBACK', topic: '/v1.0/im/bot/messages/get' },
      { type: 'CALLBACK', topic: '/v1.0/card/instances/callback' },
    ])

    const delivery = emu.stream.event(app.appKey, 'org_dept_create', { deptId: [42] })
    expect(await delivery.done).toMatchObject({ ok: true, attempts: 1, ack: { status: 'SUCCESS' } })
    expect(nest.get(Departments).seen).toEqual([{ deptId: [42], transport: 'stream' }])
    expect(nest.get(DingTalkStream).stats()).toMatchObject({ connected: true, framesReceived: 1 })
  })

  it('an event delivered over an HTTP callback and over Stream with the same eventId is handled once', async () => {
    @Module({ imports: [DingTalkModule.forRoot(options)], providers: [Departments] })
    class AppModule {}
    const { app: nest, url } = await start(platform, AppModule)
    await emu.stream.waitForConnections(1, app.appKey)

    const overStream = emu.stream.event(app.appKey, 'org_dept_create', { deptId: [7] }, { eventId: 'both-1' })
    expect((await overStream.done).ok).toBe(true)
    const push = buildPush({
      url: `${url}/dingtalk/callback`,
      token: TOKEN,
      aesKey: AES_KEY,
      receiveId: corp.corpId,
      event: { EventType: 'org_dept_create', DeptId: [7], CorpId: corp.corpId, eventId: 'both-1' },
    })
    const response = await fetch(push.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: push.body,
    })
    const reply = { status: response.status, body: await response.text() }
    expect(checkReply({ ...reply, token: TOKEN, aesKey: AES_KEY, receiveId: corp.corpId }).ok).toBe(true)
    expect(nest.get(Departments).seen).toEqual([{ deptId: [7], transport: 'stream' }])
  })

  it('app.close() finishes and ACKs the frame in flight, then closes the connection: nothing left open', async () => {
    // The previous test's keep-alive sockets are gone once its app closed: then nothing is open.
    await until(() => sockets() === 0, 'no socket open before the app starts')
    @Module({ imports: [DingTalkModule.forRoot(options)], providers: [Departments] })
    class AppModule {}
    const nest = await startNest(platform, AppModule)
    let release: () => void = () => {}
    nest.app.get(Departments).release = new Promise<void>((resolve) => {
      release = resolve
    })
    const [conn] = await emu.stream.waitForConnections(1, app.appKey)
    const delivery = emu.stream.event(app.appKey, 'org_dept_create', { deptId: [3] })
    await until(() => nest.app.get(DingTalkStream).stats().inFlight === 1, 'the frame in flight')

    const closing = nest.close()
    release()
    await closing
    expect(delivery.attempts).toHaveLength(1)
    expect(delivery.attempts[0]).toMatchObject({ outcome: 'ack', ackData: { status: 'SUCCESS' } })
    expect(nest.app.get(Departments).seen).toEqual([{ deptId: [3], transport: 'stream' }])
    await until(() => conn!.state === 'closed', 'the emulator to see the connection closed')
    expect(emu.stream.live(app.appKey)).toEqual([])
    await until(() => sockets() === 0, 'every socket of the app released')
    expect(process.getActiveResourcesInfo()).not.toContain('TCPSocketWrap')
  })

  it('forRootAsync: the factory returns the stream options; robot messages through the injected client', async () => {
    @Injectable()
    class Robot {
      constructor(@Inject(DingTalkStream) stream: DingTalkStream) {
        stream.onCallback(TOPIC_ROBOT, (message) => ({ echoed: (message as { msgId: string }).msgId }))
      }
    }
    @Module({
      imports: [DingTalkModule.forRootAsync({ useFactory: async () => options })],
      providers: [Departments, Robot],
    })
    class AppModule {}
    const { app: nest } = await start(platform, AppModule)
    const [conn] = await emu.stream.waitForConnections(1, app.appKey)
    expect(conn!.subscriptions).toContainEqual({ type: 'CALLBACK', topic: TOPIC_ROBOT })
    const robot = await emu.stream.callback(app.appKey, TOPIC_ROBOT, { msgId: 'm-1' }).done
    expect(robot).toMatchObject({ ok: true, ack: { response: { echoed: 'm-1' } } })
    expect((await emu.stream.event(app.appKey, 'org_dept_create', { deptId: [9] }).done).ok).toBe(true)
    expect(nest.get(Departments).seen).toEqual([{ deptId: [9], transport: 'stream' }])
  })
})

describe('DingTalkModule stream options', () => {
  it('stream: true connects with the client’s AppKey/AppSecret; without stream there is no client', async () => {
    const withStream = await Test.createTestingModule({
      imports: [DingTalkModule.forRoot({ client, stream: true })],
    }).compile()
    const stream = withStream.get(DingTalkStream)
    expect(stream.stats()).toMatchObject({ connected: false, connections: 0 })
    const without = await Test.createTestingModule({
      imports: [DingTalkModule.forRoot({ client })],
    }).compile()
    expect(without.get(DingTalkStream)).toBeUndefined()
  })

  it('stream: true with no client to take the credentials from fails at start-up, saying what is missing', async () => {
    const compiling = Test.createTestingModule({
      imports: [DingTalkModule.forRoot({ stream: true })],
    }).compile()
    await expect(compiling).rejects.toThrow(/needs a clientId/)
  })

  it('a Stream-only module (no callback route) still wires @OnDingTalkEvent methods', async () => {
    @Module({
      imports: [DingTalkModule.forRoot({ client, stream: { apiBaseUrl: emu.url } })],
      providers: [Departments],
    })
    class AppModule {}
    const nest = await start('express', AppModule)
    await emu.stream.waitForConnections(1, app.appKey)
    expect((await emu.stream.event(app.appKey, 'org_dept_create', { deptId: [1] }).done).ok).toBe(true)
    expect(nest.app.get(Departments).seen).toEqual([{ deptId: [1], transport: 'stream' }])
  })
})
