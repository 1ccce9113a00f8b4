import { buildPush, checkReply } from '@dingtalk-kit/emulator'
import { Body, Controller, Module, Post } from '@nestjs/common'
import { afterEach, describe, expect, it } from 'vitest'
import { DingTalkModule, type EventContext, type EventOf, OnDingTalkEvent } from '../src/index'
import { AES_KEY, CORP_ID, PLATFORMS, type Running, startNest, TOKEN } from './helpers'

const running: Running[] = []
afterEach(async () => {
  for (const app of running.splice(0)) await app.close()
})

const received: number[] = []

class Sizes {
  @OnDingTalkEvent('user_add_org')
  added(_event: EventOf<'user_add_org'>, context: EventContext): void {
    received.push(String((context.raw as { Note?: string }).Note).length)
  }
}

@Controller('echo')
class Echo {
  @Post()
  echo(@Body() body: unknown): unknown {
    return { got: body }
  }
}

const callback = { token: TOKEN, aesKey: AES_KEY, receiveId: CORP_ID }

@Module({
  imports: [DingTalkModule.forRoot({ callback, exactBodies: true })],
  controllers: [Echo],
  providers: [Sizes],
})
class ExactModule {}

@Module({ imports: [DingTalkModule.forRoot({ callback })], controllers: [Echo], providers: [Sizes] })
class PlainModule {}

const exact = [
  { name: 'exactBodies under the default body parser', options: {} },
  { name: 'exactBodies with bodyParser: false', options: { bodyParser: false } },
]

function push(url: string, event: Record<string, unknown> = {}) {
  return buildPush({
    url: `${url}/dingtalk/callback`,
    token: TOKEN,
    aesKey: AES_KEY,
    receiveId: CORP_ID,
    event: {
      EventType: 'user_add_org',
      UserId: ['u1'],
      CorpId: CORP_ID,
      eventId: `e${Math.random()}`,
      ...event,
    },
  })
}

async function post(url: string, body: string, type = 'application/json') {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': type }, body })
  return { status: response.status, body: await response.text() }
}

describe.each(PLATFORMS)('callback bodies on %s', (platform) => {
  describe.each(exact)('with $name', ({ options }) => {
    it('hands the core the exact bytes: duplicate keys 400, 300 kB accepted, over 1 MiB 413, text 415', async () => {
      const app = await startNest(platform, ExactModule, options)
      running.push(app)
      const genuine = push(app.url)
      const duplicate = `{"encrypt":"${genuine.encrypt}","encrypt":"${genuine.encrypt}"}`
      expect((await post(genuine.url, duplicate)).status).toBe(400)
      const escaped = `{"encrypt":"${genuine.encrypt}","\\u0065ncrypt":"x"}`
      expect((await post(genuine.url, escaped)).status).toBe(400)

      received.length = 0
      const large = push(app.url, { Note: 'x'.repeat(300_000) })
      expect(large.body.length).toBeGreaterThan(300_000)
      const reply = await post(large.url, large.body)
      expect(reply.status).toBe(200)
      expect(checkReply({ ...reply, token: TOKEN, aesKey: AES_KEY, receiveId: CORP_ID }).ok).toBe(true)
      expect(received).toEqual([300_000])

      const huge = `{"encrypt":"${'A'.repeat(2 * 1024 * 1024)}"}`
      expect((await post(genuine.url, huge)).status).toBe(413)
      expect((await post(genuine.url, genuine.body, 'text/plain')).status).toBe(415)
      expect((await post(genuine.url, genuine.body)).status).toBe(200)
    })
  })

  it('rawBody: true (no hook): the raw text reaches the core, repeated keys 400, the platform’s JSON limit applies', async () => {
    const app = await startNest(platform, PlainModule, { rawBody: true })
    running.push(app)
    const genuine = push(app.url)
    expect(
      (await post(genuine.url, `{"encrypt":"${genuine.encrypt}","encrypt":"${genuine.encrypt}"}`)).status,
    ).toBe(400)
    expect((await post(genuine.url, genuine.body, 'text/plain')).status).toBe(415)
    expect((await post(genuine.url, genuine.body)).status).toBe(200)
    const large = push(app.url, { Note: 'x'.repeat(300_000) })
    // Express's JSON parser stops at 100 kB by default, Fastify's at 1 MiB (app.useBodyParser raises it).
    expect((await post(large.url, large.body)).status).toBe(platform === 'express' ? 413 : 200)
  })

  it('default parsers, no hook: the parsed body reaches the core; callbacks work, a tampered one is refused', async () => {
    const app = await startNest(platform, PlainModule)
    running.push(app)
    const genuine = push(app.url)
    expect((await post(genuine.url, genuine.body)).status).toBe(200)
    expect((await post(genuine.url, `{"encrypt":"${genuine.encrypt}","encrypt":"x"}`)).status).toBe(401)
    expect((await post(genuine.url, genuine.body, 'text/plain')).status).toBe(415)
  })

  it('leaves the app’s other routes to its body parser', async () => {
    const app = await startNest(platform, ExactModule)
    running.push(app)
    const echoed = await post(`${app.url}/echo`, '{"a":[1,2]}')
    expect(JSON.parse(echoed.body)).toEqual({ got: { a: [1, 2] } })
  })

  it('under the root prefix, sets aside only the exact callback paths (an app’s /oauth/callback keeps its body)', async () => {
    @Controller('oauth')
    class OAuth {
      @Post('callback')
      callback(@Body() body: unknown): unknown {
        return { got: body }
      }
    }
    @Module({
      imports: [
        DingTalkModule.forRoot({
          prefix: '/',
          exactBodies: true,
          callback: { token: TOKEN, aesKey: AES_KEY, receiveId: CORP_ID },
        }),
      ],
      controllers: [OAuth],
    })
    class RootModule {}
    const app = await startNest(platform, RootModule)
    running.push(app)
    expect(JSON.parse((await post(`${app.url}/oauth/callback`, '{"code":"x"}')).body)).toEqual({
      got: { code: 'x' },
    })
    const genuine = buildPush({
      url: `${app.url}/callback`,
      token: TOKEN,
      aesKey: AES_KEY,
      receiveId: CORP_ID,
      event: { EventType: 'user_add_org', UserId: ['r'], CorpId: CORP_ID },
    })
    expect(
      (await post(genuine.url, `{"encrypt":"${genuine.encrypt}","encrypt":"${genuine.encrypt}"}`)).status,
    ).toBe(400)
    expect((await post(genuine.url, genuine.body)).status).toBe(200)
  })
})
