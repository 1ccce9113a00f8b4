import { buildPush, checkReply } from '@dingtalk-kit/emulator'
import { Module } from '@nestjs/common'
import { Test } from '@nestjs/testing'
import { describe, expect, it } from 'vitest'
import { DingTalkModule, type EventOf, OnDingTalkEvent } from '../src/index'
import { AES_KEY, CORP_ID, PLATFORMS, startNest, TOKEN } from './helpers'

function push(url: string, event: Record<string, unknown>) {
  return buildPush({
    url: `${url}/dingtalk/callback`,
    token: TOKEN,
    aesKey: AES_KEY,
    receiveId: CORP_ID,
    event,
  })
}

const post = async (url: string, body: string) => {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
  return { status: response.status, body: await response.text() }
}

describe.each(PLATFORMS)('lifecycle on %s', (platform) => {
  it('app.close() waits for handlers still running after their reply (past the deadline)', async () => {
    let release!: () => void
    const released = new Promise<void>((resolve) => {
      release = resolve
    })
    const finished: string[] = []
    class Slow {
      @OnDingTalkEvent('user_add_org')
      async added(event: EventOf<'user_add_org'>): Promise<void> {
        await released
        finished.push(...event.UserId)
      }
    }
    @Module({
      imports: [
        DingTalkModule.forRoot({
          callback: { token: TOKEN, aesKey: AES_KEY, receiveId: CORP_ID, options: { deadlineMs: 20 } },
        }),
      ],
      providers: [Slow],
    })
    class AppModule {}
    const app = await startNest(platform, AppModule)
    const added = push(app.url, { EventType: 'user_add_org', UserId: ['slow'], CorpId: CORP_ID })
    const reply = await post(added.url, added.body)
    expect(checkReply({ ...reply, token: TOKEN, aesKey: AES_KEY, receiveId: CORP_ID }).ok).toBe(true)
    expect(finished).toEqual([])

    let closed = false
    const closing = app.close().then(() => {
      closed = true
    })
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(closed).toBe(false)
    release()
    await closing
    expect(finished).toEqual(['slow'])
  })

  it('exactBodies: keeps callback bodies for the core in a Test.createTestingModule app too', async () => {
    @Module({
      imports: [
        DingTalkModule.forRoot({
          callback: { token: TOKEN, aesKey: AES_KEY, receiveId: CORP_ID },
          exactBodies: true,
        }),
      ],
    })
    class AppModule {}
    const ref = await Test.createTestingModule({ imports: [AppModule] }).compile()
    const { ExpressAdapter } = await import('@nestjs/platform-express')
    const { FastifyAdapter } = await import('@nestjs/platform-fastify')
    const app = ref.createNestApplication(
      platform === 'express' ? new ExpressAdapter() : new FastifyAdapter(),
      {
        logger: false,
      },
    )
    await app.listen(0, '127.0.0.1')
    try {
      const url = (await app.getUrl()).replace('[::1]', '127.0.0.1')
      const genuine = push(url, { EventType: 'user_add_org', UserId: ['t'], CorpId: CORP_ID })
      const duplicate = `{"encrypt":"${genuine.encrypt}","encrypt":"${genuine.encrypt}"}`
      expect((await post(genuine.url, duplicate)).status).toBe(400)
      expect((await post(genuine.url, genuine.body)).status).toBe(200)
    } finally {
      await app.close()
    }
  })
})
