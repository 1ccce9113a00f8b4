import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { type RunningApp, startApp } from '../src/app'
import { TEMPLATES } from '../src/robot'

let running: RunningApp

beforeAll(async () => {
  running = await startApp({ port: 0, mode: 'both', registerCallback: false })
  await running.emulator!.stream.waitForConnections(1, running.settings.appKey)
})
afterAll(() => running?.close())

describe('the echo/FAQ robot of the Koa example', () => {
  it('over Stream: echoes in a DM through the session webhook', async () => {
    const emu = running.emulator!
    const dm = emu.robot.dm('lisi')
    await emu.robot.say(dm, 'hello there')
    const reply = await emu.robot.waitForReply(dm, { since: 0 })
    expect(reply).toMatchObject({ via: 'sessionWebhook', msgtype: 'text', text: 'echo: hello there' })
  })

  it('over HTTP mode (POST /dingtalk/robot): answers an @-mention in a group from the FAQ', async () => {
    const emu = running.emulator!
    const group = emu.robot.group('全员群', ['zhangsan', 'wangwu'])
    const url = `${running.url}/dingtalk/robot`
    const said = await emu.robot.say(group, 'vpn', { mode: 'http', url, from: 'wangwu' })
    expect(said).toMatchObject({ delivered: true, status: 200 })
    expect(await emu.robot.waitForReply(group, { since: 0 })).toMatchObject({
      msgtype: 'markdown',
      text: expect.stringContaining('VPN'),
    })
    await emu.robot.say(group, 'something else', { mode: 'http', url, from: 'wangwu' })
    expect((await emu.robot.waitForReply(group, { since: 1 })).text).toBe('@王五 try "help"')
  })

  it('"card" sends an interactive card; its button press (card_callback) updates the card', async () => {
    const emu = running.emulator!
    const dm = emu.robot.dm('zhangsan')
    await emu.robot.say(dm, 'card')
    await vi.waitFor(() =>
      expect(emu.cards.list().filter((c) => c.cardTemplateId === TEMPLATES.feedback)).toHaveLength(1),
    )
    const [card] = emu.cards.list().filter((c) => c.cardTemplateId === TEMPLATES.feedback)
    expect(card!.deliveries).toMatchObject([{ spaceType: 'IM_ROBOT', spaceId: 'zhangsan' }])
    const pressed = await emu.cards.press(card!.outTrackId, { userId: 'zhangsan', actionIds: ['like'] })
    expect(pressed.ok).toBe(true)
    expect(emu.cards.get(card!.outTrackId)?.cardData).toMatchObject({
      title: 'Was this helpful?',
      status: 'like by zhangsan',
    })
  })

  it('"ask vpn" in a group streams the FAQ answer into an AI card: INPUTING → FINISHED', async () => {
    const emu = running.emulator!
    const group = emu.robot.group('问答群', ['lisi', 'wangwu'])
    await emu.robot.say(group, 'ask vpn', { mode: 'http', url: `${running.url}/dingtalk/robot` })
    const done = () =>
      emu.cards.list().find((c) => c.cardTemplateId === TEMPLATES.answer && c.flowStatus === '3')
    await vi.waitFor(() => expect(done()).toBeDefined(), { timeout: 10_000 })
    const card = done()!
    expect(card.flowStatusHistory).toEqual(['1', '2', '3'])
    expect(card.deliveries).toMatchObject([{ spaceType: 'IM_GROUP', spaceId: group.id }])
    expect(card.streams.msgContent?.content).toContain('VPN')
  })
})
