import { createHmac } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { app, emulatorPerTest, postJson } from './helpers'

const run = emulatorPerTest()

// §14.2 with node:crypto: sign = Base64(HMAC-SHA256(secret, timestamp + "\n" + secret)), URL-encoded.
function signed(url: string, secret: string, timestamp: number): string {
  const sign = createHmac('sha256', secret).update(`${timestamp}\n${secret}`).digest('base64')
  return `${url}&timestamp=${timestamp}&sign=${encodeURIComponent(sign)}`
}

describe('custom robots (/robot/send)', () => {
  it('checks the signature and its one-hour window like DingTalk (310000), and records accepted posts', async () => {
    const { emu, clock } = run
    const hook = emu.robot.addWebhook({ conversation: emu.robot.group('G', ['zhangsan']), secret: 'SECabc' })
    const text = { msgtype: 'text', text: { content: 'hi' } }
    expect(await postJson(signed(hook.url, 'SECabc', clock.now()), text)).toEqual({
      errcode: 0,
      errmsg: 'ok',
    })
    expect(await postJson(signed(hook.url, 'SECwrong', clock.now()), text)).toMatchObject({
      errcode: 310000,
      errmsg: expect.stringContaining('sign not match'),
    })
    expect(await postJson(signed(hook.url, 'SECabc', clock.now() - 3_600_001), text)).toMatchObject({
      errcode: 310000,
      errmsg: expect.stringContaining('timestamp'),
    })
    expect(await postJson(hook.url, text)).toMatchObject({ errcode: 310000 })
    expect(hook.posts).toEqual([text])
    expect(hook.refused).toHaveLength(3)
    // The request log never shows the robot's access_token or a signature.
    const logged = JSON.stringify(emu.log.filter((e) => e.path === '/robot/send'))
    expect(logged).not.toContain(hook.accessToken)
    expect(emu.log.at(-1)?.query).toMatchObject({ access_token: '***' })
  })

  it('keywords, IP ranges, unknown tokens and malformed bodies', async () => {
    const { emu } = run
    const group = emu.robot.group('G', ['lisi'])
    const keyed = emu.robot.addWebhook({ conversation: group, keywords: ['部署'] })
    const md = (t: string) => ({ msgtype: 'markdown', markdown: { title: 'x', text: t } })
    expect(await postJson(keyed.url, md('nothing'))).toMatchObject({
      errcode: 310000,
      errmsg: expect.stringContaining('keywords not in content'),
    })
    expect(await postJson(keyed.url, md('部署完成'))).toMatchObject({ errcode: 0 })
    const fenced = emu.robot.addWebhook({ conversation: group, ipRanges: ['10.0.0.*'] })
    expect(await postJson(fenced.url, md('x'))).toMatchObject({
      errmsg: expect.stringContaining('not in whitelist'),
    })
    const open = emu.robot.addWebhook({ conversation: group, ipRanges: ['127.0.0.1'] })
    expect(await postJson(open.url, md('x'))).toMatchObject({ errcode: 0 })
    expect(await postJson(`${emu.url}/robot/send?access_token=nope`, md('x'))).toMatchObject({
      errcode: 300001,
    })
    expect(await postJson(open.url, { msgtype: 'text' })).toMatchObject({ errcode: 40035 })
    expect(emu.robot.replies(group).map((r) => r.text)).toEqual(['部署完成', 'x'])
  })
})

describe('robot conversations and session webhooks', () => {
  it('say over HTTP signs with the appSecret (§14.1); the session webhook records replies until it expires', async () => {
    const { emu, clock } = run
    const received: { headers: Record<string, unknown>; body: Record<string, unknown> }[] = []
    const server = createServer((req, res) => {
      let text = ''
      req.on('data', (c: Buffer) => {
        text += c.toString()
      })
      req.on('end', () => {
        received.push({ headers: req.headers, body: JSON.parse(text) as Record<string, unknown> })
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
      })
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/robot`
      const group = emu.robot.group('研发群', ['zhangsan', 'lisi'])
      expect(await emu.robot.say(group, 'not for me', { mode: 'http', url, atRobot: false })).toMatchObject({
        delivered: false,
      })
      const said = await emu.robot.say(group, 'hello', { mode: 'http', url, from: 'lisi' })
      expect(said).toMatchObject({ delivered: true, ok: true, status: 200 })
      const [{ headers, body }] = received as [(typeof received)[0]]
      const expected = createHmac('sha256', app.appSecret)
        .update(`${String(headers.timestamp)}\n${app.appSecret}`)
        .digest('base64')
      expect(headers.sign).toBe(expected)
      expect(body).toMatchObject({
        conversationType: '2',
        conversationTitle: '研发群',
        isInAtList: true,
        senderStaffId: 'lisi',
        robotCode: app.appKey,
        text: { content: ' hello' },
      })
      const webhook = String(body.sessionWebhook)
      expect(await postJson(webhook, { msgtype: 'text', text: { content: 'hi lisi' } })).toEqual({
        errcode: 0,
        errmsg: 'ok',
      })
      clock.advance(90 * 60 * 1000)
      expect(await postJson(webhook, { msgtype: 'text', text: { content: 'late' } })).toMatchObject({
        errcode: 300001,
        errmsg: 'session is expired',
      })
      expect(emu.robot.replies(group).map((r) => r.text)).toEqual(['hi lisi'])
      const session = new URL(webhook).searchParams.get('session')!
      expect(JSON.stringify(emu.log)).not.toContain(session)
    } finally {
      await new Promise<void>((r) => server.close(() => r()))
    }
  })

  it('the control endpoint for the CLI says to the robot and waits for the reply', async () => {
    const { emu } = run
    const noRobot = await postJson(`${emu.url}/_emulator/robot/say`, { text: 'hi', to: 'nobody' })
    expect(noRobot).toMatchObject({ error: expect.stringContaining('nobody') })
    expect(await postJson(`${emu.url}/_emulator/robot/say`, {})).toMatchObject({ error: 'text is required' })
  })
})
