import { createHash } from 'node:crypto'
import { defaultFixture, pushEvent } from '@dingtalk-kit/emulator'
import { createDingTalkClient, type DingTalkClient } from '@dingtalk-kit/hono'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningExample, startApp } from '../src/app'
import { configFromEnv } from '../src/config'

const org = defaultFixture.orgs[0]!
const fixtureApp = org.apps![0]!
const customer = defaultFixture.orgs[1]!
const suite = defaultFixture.suites![0]!

let running: RunningExample
let admin: DingTalkClient
let cookie = ''

beforeAll(async () => {
  // No DingTalk settings: the example starts its bundled emulator and registers its callback there.
  running = await startApp({ port: 0, sessionSecret: 'test-session-secret' })
  admin = createDingTalkClient(
    { appKey: fixtureApp.appKey, appSecret: fixtureApp.appSecret, corpId: org.corpId },
    { baseUrl: running.emulator!.url },
  )
})

afterAll(async () => {
  await running?.close()
})

const api = (path: string, init: RequestInit = {}): Promise<Response> =>
  fetch(`${running.url}${path}`, {
    ...init,
    headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}), ...init.headers },
  })

describe('hono example end to end, through the emulator over real HTTP', () => {
  it('registered its callback at start: the emulator pushed check_url and it answered', async () => {
    const registration = await admin.callbacks.get()
    expect(registration.url).toBe(`${running.url}/dingtalk/callback`)
    expect(running.emulator!.log.some((entry) => entry.path === '/call_back/register_call_back')).toBe(true)
    // Again (a restart): 71006 → updated in place, checked with check_url again.
    await running.registerCallback()
    expect((await admin.callbacks.get()).url).toBe(`${running.url}/dingtalk/callback`)
  })

  it('keeps the directory from contact events, fetching each new user through the API', async () => {
    const { userId } = await admin.contacts.users.create({
      name: '吴九',
      mobile: '13600000009',
      deptIds: [2],
      title: '后端工程师',
    })
    await running.emulator!.idle()
    const directory = (await (await api('/api/directory')).json()) as Array<{ userId: string; name: string }>
    expect(directory).toContainEqual({ userId, name: '吴九', title: '后端工程师', deptIds: [2] })
    await admin.contacts.users.delete(userId)
    await running.emulator!.idle()
    const after = (await (await api('/api/directory')).json()) as Array<{ userId: string }>
    expect(after.map((u) => u.userId)).not.toContain(userId)
  })

  it('serves the page and the dd.config for it (its own origin only)', async () => {
    const html = await (await api('/')).text()
    expect(html).toContain('/dingtalk/jsapi-config?url=')
    const page = `${running.url}/?x=%E4%BD%A0#top`
    const response = await api(`/dingtalk/jsapi-config?url=${encodeURIComponent(page)}`)
    expect(response.status).toBe(200)
    const { config, url } = (await response.json()) as { config: Record<string, string>; url: string }
    expect(url).toBe(`${running.url}/?x=你`)
    const ticket = [...running.emulator!.state.tickets.values()].find((t) =>
      running.emulator!.isTicketValid(t.ticket),
    )!
    const plain = `jsapi_ticket=${ticket.ticket}&noncestr=${config.nonceStr}&timestamp=${config.timeStamp}&url=${url}`
    expect(config.signature).toBe(createHash('sha1').update(plain).digest('hex'))
    expect(
      (await api(`/dingtalk/jsapi-config?url=${encodeURIComponent('https://evil.example/')}`)).status,
    ).toBe(403)
  })

  it('signs in with a free-login code into a signed, HttpOnly session cookie', async () => {
    expect((await api('/api/me')).status).toBe(401)
    const { code } = (await (await api('/dev/auth-code?userId=lisi')).json()) as { code: string }
    const login = await api('/api/login', { method: 'POST', body: JSON.stringify({ code }) })
    expect(login.status).toBe(200)
    const setCookie = login.headers.get('set-cookie') ?? ''
    expect(setCookie).toMatch(/HttpOnly/i)
    expect(setCookie).toMatch(/SameSite=Lax/i)
    cookie = setCookie.split(';', 1)[0]!
    expect(await (await api('/api/me')).json()).toMatchObject({
      userId: 'lisi',
      name: '李四',
      corpId: org.corpId,
    })
    const reused = await api('/api/login', { method: 'POST', body: JSON.stringify({ code }) })
    expect(reused.status).toBe(401)
    const [name, value] = cookie.split('=') as [string, string]
    const forged = `${name}=${encodeURIComponent(decodeURIComponent(value).replace('lisi', 'zhangsan'))}`
    expect((await fetch(`${running.url}/api/me`, { headers: { cookie: forged } })).status).toBe(401)
  })

  it('sends a conversation message as the signed-in user', async () => {
    const { chatId } = await admin.chats.create({
      name: '示例群',
      owner: 'lisi',
      userIds: ['lisi', 'wangwu'],
    })
    const response = await api('/api/messages', {
      method: 'POST',
      body: JSON.stringify({ cid: chatId, text: '你好，钉钉' }),
    })
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ receivers: ['wangwu'] })
    const sent = running.emulator!.state.messages.at(-1)!
    expect(sent).toMatchObject({ api: 'send_to_conversation', msgtype: 'text', recipients: ['wangwu'] })
    expect(sent.body.sender).toBe('lisi')
    const anonymous = await fetch(`${running.url}/api/messages`, { method: 'POST', body: '{}' })
    expect(anonymous.status).toBe(401)
  })

  it('runs the ISV suite: suite_ticket, authorisation, then the corp’s dd.config and sign-in', async () => {
    const emu = running.emulator!
    expect((await (await api(`/api/isv/corps/${customer.corpId}`)).json()).authorized).toBe(false)
    const [ticket] = await emu.pushSuiteTicket(suite.suiteKey)
    expect(ticket?.ok).toBe(true)
    const { push } = await emu.authorize(customer.corpId, suite.suiteKey)
    expect(push?.result?.ok).toBe(true)
    const corp = (await (await api(`/api/isv/corps/${customer.corpId}`)).json()) as { authorized: boolean }
    expect(corp.authorized).toBe(true)
    const config = await api(
      `/dingtalk/jsapi-config?url=${encodeURIComponent(`${running.url}/`)}&corpId=${customer.corpId}`,
    )
    expect(config.status).toBe(200)
    expect(((await config.json()) as { config: { corpId: string } }).config.corpId).toBe(customer.corpId)
    const { code } = (await (await api(`/dev/auth-code?userId=sunqi&corpId=${customer.corpId}`)).json()) as {
      code: string
    }
    const login = await api('/api/login', {
      method: 'POST',
      body: JSON.stringify({ code, corpId: customer.corpId }),
    })
    expect(await login.json()).toMatchObject({ userId: 'sunqi', corpId: customer.corpId })
  })
})

describe('hono example with DINGTALK_MODE=stream and both: the same handlers over Stream', () => {
  it('stream: a new user reaches the directory over Stream, not over an HTTP callback', async () => {
    const streaming = await startApp({ port: 0, mode: 'stream' })
    try {
      const emu = streaming.emulator!
      const [conn] = await emu.stream.waitForConnections(1, fixtureApp.appKey)
      // Events, and the robot and card topics the client always subscribes (typed robot_message / card_callback).
      expect(conn!.subscriptions).toEqual([
        { type: 'EVENT', topic: '*' },
        { type: 'CALLBACK', topic: '/v1.0/im/bot/messages/get' },
        { type: 'CALLBACK', topic: '/v1.0/card/instances/callback' },
      ])
      const { userId } = await streaming.client.contacts.users.create({
        name: '郑十',
        mobile: '13600000010',
        deptIds: [2],
      })
      await emu.idle()
      await emu.stream.idle()
      expect(streaming.directory.get(userId)).toMatchObject({ userId, name: '郑十', deptIds: [2] })
      const delivery = emu.stream.deliveries.find((d) => d.headers.eventType === 'user_add_org')
      expect(delivery?.result).toMatchObject({ ok: true, attempts: 1, ack: { status: 'SUCCESS' } })
      expect(emu.state.pushes.filter((p) => p.eventType === 'user_add_org')).toEqual([])
    } finally {
      await streaming.close()
    }
    expect(streaming.stream!.stats()).toMatchObject({ connected: false, sockets: 0 })
  })

  it('both: an event delivered over the callback and over Stream with the same eventId is handled once', async () => {
    const both = await startApp({ port: 0, mode: 'both' })
    try {
      const emu = both.emulator!
      await emu.stream.waitForConnections(1, fixtureApp.appKey)
      const fetches = emu.count('/topapi/v2/user/get')
      const overStream = emu.stream.event(
        fixtureApp.appKey,
        'user_modify_org',
        { userId: ['lisi'] },
        { eventId: 'e-1' },
      )
      expect((await overStream.done).ok).toBe(true)
      const overHttp = await pushEvent({
        url: `${both.url}/dingtalk/callback`,
        token: 'hono-example-token',
        aesKey: 'HonoExample0AesKey0123456789abcdefghijklmno',
        receiveId: org.corpId,
        event: { EventType: 'user_modify_org', UserId: ['lisi'], CorpId: org.corpId, eventId: 'e-1' },
      })
      expect(overHttp.ok).toBe(true)
      expect(emu.count('/topapi/v2/user/get') - fetches).toBe(1)
      expect(both.directory.get('lisi')).toMatchObject({ userId: 'lisi', name: '李四' })
    } finally {
      await both.close()
    }
  })
})

describe('configFromEnv', () => {
  it('uses the emulator when no credential is set, and insists on a complete set otherwise', () => {
    expect(configFromEnv({ PORT: '8080' })).toEqual({ port: 8080 })
    expect(() => configFromEnv({ DINGTALK_APP_KEY: 'k' })).toThrow(/DINGTALK_APP_SECRET/)
    const config = configFromEnv({
      DINGTALK_BASE_URL: 'http://127.0.0.1:9',
      DINGTALK_APP_KEY: 'k',
      DINGTALK_APP_SECRET: 's',
      DINGTALK_CORP_ID: 'ding1',
      DINGTALK_AGENT_ID: '42',
      DINGTALK_CALLBACK_TOKEN: 't',
      DINGTALK_CALLBACK_AES_KEY: 'a'.repeat(43),
    })
    expect(config.dingtalk).toMatchObject({ baseUrl: 'http://127.0.0.1:9', agentId: 42, corpId: 'ding1' })
    expect(config.dingtalk?.suite).toBeUndefined()
  })

  it('DINGTALK_MODE: stream needs no callback variables; an unknown mode is refused', () => {
    const app = { DINGTALK_APP_KEY: 'k', DINGTALK_APP_SECRET: 's', DINGTALK_CORP_ID: 'ding1' }
    const config = configFromEnv({
      ...app,
      DINGTALK_MODE: 'stream',
      DINGTALK_API_BASE_URL: 'http://127.0.0.1:1',
    })
    expect(config).toMatchObject({
      mode: 'stream',
      dingtalk: { appKey: 'k', apiBaseUrl: 'http://127.0.0.1:1' },
    })
    expect(() => configFromEnv({ ...app, DINGTALK_MODE: 'both' })).toThrow(/DINGTALK_CALLBACK_TOKEN/)
    expect(() => configFromEnv({ DINGTALK_MODE: 'ws' })).toThrow(
      'DINGTALK_MODE must be one of http, stream, both',
    )
  })
})
