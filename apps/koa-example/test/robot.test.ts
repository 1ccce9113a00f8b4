import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningApp, startApp } from '../src/app'

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

  it('a card button (card_callback) is answered with a card update — the hook the cards branch extends', async () => {
    const emu = running.emulator!
    const content = JSON.stringify({ cardPrivateData: { actionIds: ['like'], params: {} } })
    const { ack } = await emu.stream.callback(running.settings.appKey, '/v1.0/card/instances/callback', {
      outTrackId: 'faq-card-1',
      userId: 'zhangsan',
      content,
    }).done
    expect(ack).toEqual({ response: { cardData: { cardParamMap: { status: 'like by zhangsan' } } } })
  })
})
