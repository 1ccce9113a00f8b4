import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { defaultFixture, type Emulator, startEmulator } from '@dingtalk-kit/emulator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createDingTalkClient,
  createDingTalkRoutes,
  type DingTalkCallbackError,
  type DingTalkClient,
  DingTalkWebhookError,
  type RobotMessageEvent,
  sendToWebhook,
  signRobotRequest,
} from '../src/index'

const org = defaultFixture.orgs[0]!
const app = org.apps![0]!

let emu: Emulator
let client: DingTalkClient

beforeAll(async () => {
  emu = await startEmulator({ suiteTicketIntervalMs: 0 })
  client = createDingTalkClient(
    { appKey: app.appKey, appSecret: app.appSecret, corpId: org.corpId },
    { baseUrl: emu.url, retry: { baseDelayMs: 1, maxDelayMs: 2 } },
  )
})
afterAll(() => emu.close())

describe('client.robots (§13.7, §14.3) against the emulator', () => {
  it('batchSend encodes msgParam as JSON text; readStatus and recall follow the processQueryKey', async () => {
    const dm = emu.robot.dm('lisi')
    const sent = await client.robots.batchSend({ userIds: ['lisi', 'nobody'], message: 'build is green' })
    expect(sent.invalidUserIds).toEqual(['nobody'])
    expect(emu.state.robotMessages.at(-1)).toMatchObject({
      msgKey: 'sampleText',
      msgParam: { content: 'build is green' },
    })
    expect(emu.robot.replies(dm).at(-1)).toMatchObject({ via: 'batchSend', text: 'build is green' })
    emu.robot.markRead(sent.processQueryKey, 'lisi')
    const status = await client.robots.readStatus(sent.processQueryKey)
    expect(status.readers).toEqual([{ userId: 'lisi', name: '李四', read: true, readAt: expect.any(Number) }])
    const recalled = await client.robots.recall({ processQueryKeys: [sent.processQueryKey, 'unknown'] })
    expect(recalled).toEqual({ recalled: [sent.processQueryKey], failed: { unknown: 'message not found' } })
    expect(emu.robot.replies(dm).at(-1)?.recalled).toBe(true)
  })

  it('groupSend takes a template; group recall needs the conversation', async () => {
    const group = emu.robot.group('Ops', ['zhangsan', 'wangwu'])
    const sent = await client.robots.groupSend({
      openConversationId: group.id,
      message: {
        msgKey: 'sampleLink',
        msgParam: { title: 'Report', text: 'weekly', messageUrl: 'https://x.example' },
      },
    })
    expect(emu.robot.replies(group)).toMatchObject([
      { via: 'groupSend', msgtype: 'sampleLink', text: 'weekly' },
    ])
    const recalled = await client.robots.recall({
      processQueryKeys: [sent.processQueryKey],
      openConversationId: group.id,
    })
    expect(recalled.recalled).toEqual([sent.processQueryKey])
    await expect(
      client.robots.groupSend({ openConversationId: 'cidNotThere', message: 'x' }),
    ).rejects.toMatchObject({ apiCode: 'InvalidParameter' })
  })

  it('downloadFile exchanges a downloadCode for the bytes, or a stream', async () => {
    const bytes = new TextEncoder().encode('%PDF-1.7 fake')
    const code = emu.robot.addFile(bytes, 'report.pdf')
    expect(await client.robots.downloadFile(code)).toEqual(bytes)
    const stream = await client.robots.downloadFile(code, { as: 'stream' })
    expect(new Uint8Array(await new Response(stream).arrayBuffer())).toEqual(bytes)
    await expect(client.robots.downloadFile('dl-unknown')).rejects.toMatchObject({
      apiCode: 'InvalidParameter',
    })
  })
})

describe('sendToWebhook: custom robots (§14.2)', () => {
  it('signs with the secret; the post is recorded in the group', async () => {
    const group = emu.robot.group('Deploys', ['zhangsan'])
    const hook = emu.robot.addWebhook({ conversation: group, secret: 'SECwebhookSecret123' })
    await sendToWebhook(
      hook.url,
      { msgtype: 'markdown', markdown: { title: 'Deploy', text: '**done**' } },
      {
        secret: 'SECwebhookSecret123',
      },
    )
    expect(hook.posts).toEqual([{ msgtype: 'markdown', markdown: { title: 'Deploy', text: '**done**' } }])
    expect(emu.robot.replies(group)).toMatchObject([{ via: 'webhook', text: '**done**' }])
  })

  it('refusals are typed, name the setting to fix, and never carry the token or secret', async () => {
    const group = emu.robot.group('Alerts', ['zhangsan'])
    const secret = 'SECneverInAnyMessage42'
    const signed = emu.robot.addWebhook({ conversation: group, secret })
    const keyworded = emu.robot.addWebhook({ conversation: group, keywords: ['告警'] })
    const fenced = emu.robot.addWebhook({ conversation: group, ipRanges: ['10.1.2.3'] })
    const failures = await Promise.all([
      sendToWebhook(signed.url, 'x', { secret: 'SECwrong' }).catch((e: unknown) => e),
      sendToWebhook(signed.url, 'x', { secret, now: () => Date.now() - 2 * 3_600_000 }).catch(
        (e: unknown) => e,
      ),
      sendToWebhook(keyworded.url, 'disk full').catch((e: unknown) => e),
      sendToWebhook(fenced.url, '告警').catch((e: unknown) => e),
      sendToWebhook(`${emu.url}/robot/send?access_token=nope`, 'x').catch((e: unknown) => e),
    ])
    expect(failures.map((e) => (e as DingTalkWebhookError).code)).toEqual([
      'WEBHOOK_SIGN_MISMATCH',
      'WEBHOOK_SIGN_MISMATCH',
      'WEBHOOK_KEYWORD_MISMATCH',
      'WEBHOOK_IP_NOT_ALLOWED',
      'WEBHOOK_TOKEN_INVALID',
    ])
    for (const e of failures) expect(e).toBeInstanceOf(DingTalkWebhookError)
    expect((failures[2] as Error).message).toContain('自定义关键词')
    expect((failures[3] as Error).message).toContain('IP地址(段)')
    expect((failures[0] as DingTalkWebhookError).errcode).toBe(310000)
    const text = failures
      .map((e) => `${(e as Error).message} ${JSON.stringify(e)} ${String((e as Error).stack)}`)
      .join('\n')
    for (const s of [secret, signed.accessToken, keyworded.accessToken, fenced.accessToken])
      expect(text).not.toContain(s)
    expect(keyworded.posts).toEqual([])
    expect(await sendToWebhook(keyworded.url, '告警: disk full')).toBeUndefined()
  })

  it('more than 20 posts a minute: WEBHOOK_RATE_LIMITED (410100)', async () => {
    const hook = emu.robot.addWebhook({ conversation: emu.robot.group('Busy', ['lisi']) })
    for (let i = 0; i < 20; i++) await sendToWebhook(hook.url, `n${i}`)
    const error = await sendToWebhook(hook.url, 'one too many').catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'WEBHOOK_RATE_LIMITED', errcode: 410100 })
    expect((error as Error).message).toContain('too fast')
  })
})

describe('HTTP-mode robot route: POST {prefix}/robot (§14.1)', () => {
  let server: Server
  let url: string
  const seen: RobotMessageEvent[] = []
  const errors: DingTalkCallbackError[] = []

  beforeAll(async () => {
    const routes = createDingTalkRoutes({ prefix: '/dingtalk', client, robot: true })
    routes.on('robot_message', async (message, ctx) => {
      seen.push(message)
      expect(ctx.transport).toBe('robot')
      if (message.conversation.type === 'group' && !message.isInAtList) return
      await message.reply(`echo: ${message.text}`)
    })
    routes.onError((e) => errors.push(e))
    server = createServer(async (req, res) => {
      const reply = await routes.serve({
        method: req.method ?? '',
        path: req.url ?? '/',
        headers: req.headers,
        body: req,
      })
      if (!reply) return void res.writeHead(404).end()
      res.writeHead(reply.status, reply.headers).end(reply.body)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/dingtalk/robot`
  })
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

  it('a signed message is delivered as robot_message and answered through the session webhook', async () => {
    const dm = emu.robot.dm('zhaoliu')
    const said = await emu.robot.say(dm, 'hello over http', { mode: 'http', url })
    expect(said).toMatchObject({ delivered: true, ok: true, status: 200 })
    expect(JSON.parse(said.answer as string)).toEqual({ msgtype: 'empty' })
    expect(emu.robot.replies(dm).at(-1)).toMatchObject({
      via: 'sessionWebhook',
      text: 'echo: hello over http',
    })
    expect(seen.at(-1)).toMatchObject({ text: 'hello over http', sender: { userId: 'zhaoliu' } })
  })

  it('the same msgId posted twice runs the handler once', async () => {
    const before = seen.length
    const first = await emu.robot.say(emu.robot.dm('lisi'), 'twice', { mode: 'http', url })
    const timestamp = String(Date.now())
    const again = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        timestamp,
        sign: signRobotRequest(app.appSecret, timestamp),
      },
      body: JSON.stringify(first.data),
    })
    expect(again.status).toBe(200)
    expect(seen.length - before).toBe(1)
  })

  it('every bad or missing signature gets the same 401; bad bodies 400/415, never 500', async () => {
    const body = JSON.stringify({ msgId: 'x', conversationId: 'c' })
    const now = Date.now()
    const attempts: Record<string, string>[] = [
      {},
      { timestamp: String(now) },
      { timestamp: String(now), sign: 'bm90IGl0' },
      { timestamp: String(now), sign: signRobotRequest('wrong-secret', now) },
      { timestamp: String(now - 3_700_000), sign: signRobotRequest(app.appSecret, now - 3_700_000) },
    ]
    const answers = await Promise.all(
      attempts.map(async (headers) => {
        const r = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body,
        })
        return `${r.status} ${await r.text()}`
      }),
    )
    expect(new Set(answers)).toEqual(new Set(['401 {"error":"unauthorized"}']))
    const signed = () => {
      const t = String(Date.now())
      return { timestamp: t, sign: signRobotRequest(app.appSecret, t) }
    }
    const post = (b: string, type = 'application/json') =>
      fetch(url, { method: 'POST', headers: { 'content-type': type, ...signed() }, body: b }).then(
        (r) => r.status,
      )
    expect(await post('{not json')).toBe(400)
    expect(await post('[1,2]')).toBe(400)
    expect(await post('{"msgtype":"text"}')).toBe(400)
    expect(await post('msg=1', 'text/plain')).toBe(415)
    expect((await fetch(url)).status).toBe(405)
    const logged = errors.map((e) => `${e.message} ${JSON.stringify(e)}`).join('\n')
    expect(logged).not.toContain(app.appSecret)
    expect(errors.filter((e) => e.status === 401)).toHaveLength(attempts.length)
  })

  it('answers within the deadline while a slow handler goes on in the background', async () => {
    const routes = createDingTalkRoutes({ client, robot: { deadlineMs: 50 } })
    let release: () => void = () => {}
    let finished = false
    routes.on('robot_message', async () => {
      await new Promise<void>((resolve) => {
        release = resolve
      })
      finished = true
    })
    const said = await emu.robot.say(emu.robot.dm('lisi'), 'slow', { mode: 'http', url: `${url}` })
    const timestamp = String(Date.now())
    const response = await routes.handle({
      method: 'POST',
      path: '/robot',
      headers: {
        'content-type': 'application/json',
        timestamp,
        sign: signRobotRequest(app.appSecret, timestamp),
      },
      body: JSON.stringify({ ...said.data, msgId: 'slow-1' }),
    })
    expect(response?.status).toBe(200)
    expect(finished).toBe(false)
    release()
    await routes.idle()
    expect(finished).toBe(true)
  })
})
