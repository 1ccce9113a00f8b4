import { createCallbackHandler, createEventDispatcher } from '@dingtalk-kit/core'
import { startEmulator } from '@dingtalk-kit/emulator'
import { expect, it } from 'vitest'
import { createStreamClient, TOPIC_ROBOT } from '../src/index'
import { app } from './helpers'

// The README's snippets, run against the emulator so they cannot rot.
it('runs the README: typed events, a robot callback whose return value is the response, close()', async () => {
  const emu = await startEmulator({ suiteTicketIntervalMs: 0 })
  const events = createEventDispatcher({ namespace: app.appKey, logger: {} })
  const seen: string[] = []
  events.on('user_leave_org', (e, ctx) => {
    seen.push(`${ctx.transport}:${e.UserId.join()}`)
  })
  const stream = createStreamClient({
    clientId: app.appKey,
    clientSecret: app.appSecret,
    apiBaseUrl: emu.url,
    dispatcher: events,
  })
  stream.onCallback(TOPIC_ROBOT, async (message) => ({ echo: (message as { msgId: string }).msgId }))
  createCallbackHandler({ token: 'tok', aesKey: 'A'.repeat(43), receiveId: app.appKey, dispatcher: events })
  await stream.start()
  const delivery = emu.stream.event(app.appKey, 'user_leave_org', { userId: ['zhangsan'] })
  expect(await delivery.done).toMatchObject({ ok: true, ack: { status: 'SUCCESS' } })
  const robot = emu.stream.callback(app.appKey, TOPIC_ROBOT, { msgId: 'm1' })
  expect(await robot.done).toMatchObject({ ok: true, ack: { response: { echo: 'm1' } } })
  expect(seen).toEqual(['stream:zhangsan'])
  await stream.close()
  await emu.close()
})
