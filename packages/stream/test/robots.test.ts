import { type CardCallbackResponse, createDingTalkClient, type RobotMessageEvent } from '@dingtalk-kit/core'
import { afterEach, describe, expect, it } from 'vitest'
import { TOPIC_CARD, TOPIC_ROBOT } from '../src/index'
import { app, corp, type Harness, harness, until } from './helpers'

let h: Harness | undefined

afterEach(async () => {
  await h?.close()
  h = undefined
})

function appClient(url: string) {
  return createDingTalkClient(
    { appKey: app.appKey, appSecret: app.appSecret, corpId: corp.corpId },
    { baseUrl: url, retry: { baseDelayMs: 1, maxDelayMs: 2 } },
  )
}

describe('robot messages over Stream (§13.6) as typed events', () => {
  it("on('robot_message'): a DM is typed, replied to through its session webhook, and seen in the emulator", async () => {
    h = await harness()
    const stream = h.client()
    const seen: RobotMessageEvent[] = []
    stream.on('robot_message', async (message, ctx) => {
      seen.push(message)
      expect(ctx.transport).toBe('stream')
      await message.reply(`echo: ${message.text}`)
    })
    await stream.start()
    const dm = h.emu.robot.dm('lisi')
    const said = await h.emu.robot.say(dm, 'hello')
    expect(said).toMatchObject({ delivered: true, ok: true })
    await until(() => h!.emu.robot.replies(dm).length === 1, 'the reply')
    expect(h.emu.robot.replies(dm)[0]).toMatchObject({
      via: 'sessionWebhook',
      msgtype: 'text',
      text: 'echo: hello',
    })
    expect(seen[0]).toMatchObject({
      EventType: 'robot_message',
      text: 'hello',
      conversation: { type: 'dm', id: dm.id },
      sender: { userId: 'lisi', nick: '李四' },
      robotCode: app.appKey,
    })
    // The event stays plain data: reply is not enumerable.
    expect(Object.keys(seen[0]!)).not.toContain('reply')
  })

  it('a redelivered message (same msgId, new messageId) runs the handler once', async () => {
    h = await harness()
    const stream = h.client()
    let runs = 0
    stream.on('robot_message', () => {
      runs++
    })
    await stream.start()
    const dm = h.emu.robot.dm('zhangsan')
    const first = await h.emu.robot.say(dm, 'once')
    const again = await h.emu.stream.callback(app.appKey, TOPIC_ROBOT, first.data).done
    expect(again.ok).toBe(true)
    await stream.idle()
    expect(runs).toBe(1)
    expect(stream.stats().redeliveries).toBe(1)
  })

  it('reply falls back to groupSend when the expiry time has passed, without trying the webhook', async () => {
    // Session webhooks handed out already at their expiry time.
    h = await harness({ robotSessionTtlMs: 0 })
    const stream = h.client({ client: appClient(h.emu.url) })
    const results: unknown[] = []
    stream.on('robot_message', async (message) => {
      results.push(await message.reply({ msgtype: 'markdown', markdown: { title: 'FAQ', text: '**late**' } }))
    })
    await stream.start()
    const group = h.emu.robot.group('Team', ['zhangsan', 'lisi'])
    await h.emu.robot.say(group, 'hi', { atRobot: true })
    await until(() => results.length === 1, 'the reply')
    expect(results[0]).toMatchObject({ via: 'groupSend', processQueryKey: expect.any(String) })
    expect(h.emu.robot.replies(group)).toMatchObject([
      { via: 'groupSend', msgtype: 'sampleMarkdown', text: '**late**' },
    ])
  })

  it("DingTalk's expiry answer also triggers the fallback (a DM → batchSend)", async () => {
    h = await harness()
    const stream = h.client({ client: appClient(h.emu.url) })
    let dmReply: unknown
    stream.on('robot_message', async (message) => {
      // The expiry time says it lives, but DingTalk answers that the session is gone.
      h!.emu.robot.expireSessions()
      dmReply = await message.reply('pong')
    })
    await stream.start()
    const dm = h.emu.robot.dm('wangwu')
    await h.emu.robot.say(dm, 'ping')
    await until(() => dmReply !== undefined, 'the reply')
    expect(dmReply).toMatchObject({ via: 'batchSend' })
    expect(h.emu.count('/robot/sendBySession')).toBe(1)
    expect(h.emu.robot.replies(dm)).toMatchObject([{ via: 'batchSend', text: 'pong' }])
  })

  it('a raw onCallback handler for the robot topic still takes the frame', async () => {
    h = await harness()
    const stream = h.client()
    let typed = 0
    stream.on('robot_message', () => {
      typed++
    })
    stream.onCallback(TOPIC_ROBOT, () => ({ raw: true }))
    await stream.start()
    const result = await h.emu.robot.say(h.emu.robot.dm('lisi'), 'raw')
    expect(result.answer).toEqual({ response: { raw: true } })
    expect(typed).toBe(0)
  })
})

describe("card callbacks over Stream as on('card_callback')", () => {
  it("the handler's return value is the card update in the ACK (§13.3)", async () => {
    h = await harness()
    const stream = h.client()
    stream.on(
      'card_callback',
      (card): CardCallbackResponse => ({
        cardData: { cardParamMap: { status: `${card.action}:${String(card.params.id)}:${card.userId}` } },
      }),
    )
    await stream.start()
    const click = {
      outTrackId: 'card-1',
      userId: 'zhangsan',
      corpId: corp.corpId,
      type: 'actionCallback',
      content: JSON.stringify({ cardPrivateData: { actionIds: ['approve'], params: { id: 7 } } }),
    }
    const result = await h.emu.stream.callback(app.appKey, TOPIC_CARD, click).done
    expect(result).toMatchObject({
      ok: true,
      ack: { response: { cardData: { cardParamMap: { status: 'approve:7:zhangsan' } } } },
    })
  })

  it('a redelivered card callback gets the same update without running the handler again', async () => {
    h = await harness()
    const stream = h.client()
    let calls = 0
    stream.on('card_callback', () => ({ cardData: { cardParamMap: { n: String(++calls) } } }))
    await stream.start()
    const data = { outTrackId: 'card-3', userId: 'lisi', content: '{"cardPrivateData":{"actionIds":["ok"]}}' }
    const first = await h.emu.stream.callback(app.appKey, TOPIC_CARD, data).done
    const again = await h.emu.stream.callback(app.appKey, TOPIC_CARD, data).done
    expect(calls).toBe(1)
    expect(first.ack).toEqual({ response: { cardData: { cardParamMap: { n: '1' } } } })
    expect(again.ack).toEqual(first.ack)
  })

  it('a card callback whose handler throws is answered 500 and redelivered', async () => {
    h = await harness({ stream: { maxAttempts: 2, retryDelayMs: 1 } })
    const stream = h.client()
    let calls = 0
    stream.on('card_callback', () => {
      calls++
      if (calls === 1) throw new Error('first time fails')
      return { cardData: { cardParamMap: { ok: 'yes' } } }
    })
    await stream.start()
    const data = { outTrackId: 'card-2', userId: 'lisi', content: '{"cardPrivateData":{"actionIds":["x"]}}' }
    const result = await h.emu.stream.callback(app.appKey, TOPIC_CARD, data).done
    expect(result.ok).toBe(true)
    expect(result.attempts).toBe(2)
    expect(h.emu.stream.deliveries[0]!.attempts[0]!.ackCode).toBe(500)
  })
})
