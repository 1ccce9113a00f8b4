import 'reflect-metadata'
import { defaultFixture, type Emulator } from '@dingtalk-kit/emulator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningApp, startApp } from '../src/app'
import { configFromEnv } from '../src/config'

const org = defaultFixture.orgs[0]!
const customer = defaultFixture.orgs[1]!
const suite = defaultFixture.suites![0]!

let running: RunningApp
let emu: Emulator

beforeAll(async () => {
  running = await startApp({ port: 0, registerCallback: false })
  emu = running.emulator!
})

afterAll(async () => {
  await running?.close()
})

const get = (path: string, init: RequestInit = {}): Promise<Response> => fetch(running.url + path, init)
const post = (path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> =>
  fetch(running.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  })

const cookieOf = (response: Response): string =>
  response.headers
    .getSetCookie()
    .map((c) => c.split(';', 1)[0])
    .join('; ')

describe('the NestJS example against the emulator, over HTTP', () => {
  it('registers its callback: the emulator checks the URL with check_url and gets "success"', async () => {
    await running.registerCallback()
    const check = emu.state.pushes.find((p) => p.eventType === 'check_url')
    expect(check?.url).toBe(`${running.url}/dingtalk/callback`)
    expect((await check?.done)?.ok).toBe(true)
  })

  it('keeps a directory from contact events, fetching each new user through the API', async () => {
    const { userId } = await running.client.contacts.users.create({
      name: '周八',
      mobile: '13800000099',
      deptIds: [2],
      title: '测试工程师',
    })
    await emu.idle()
    expect(running.directory.get(userId)).toEqual({
      userId,
      name: '周八',
      title: '测试工程师',
      deptIdList: [2],
    })
    await running.client.contacts.users.update({ userId, title: '测试经理' })
    await emu.idle()
    expect(running.directory.get(userId)?.title).toBe('测试经理')
    const listed = (await (await get('/api/directory')).json()) as Array<{ userId: string }>
    expect(listed.map((u) => u.userId)).toContain(userId)
    await running.client.contacts.users.delete(userId)
    await emu.idle()
    expect(running.directory.has(userId)).toBe(false)
    const pushes = emu.state.pushes.filter((p) => (p.event.UserId as string[] | undefined)?.includes(userId))
    expect(pushes.map((p) => p.eventType)).toEqual(['user_add_org', 'user_modify_org', 'user_leave_org'])
    for (const p of pushes) expect((await p.done).ok).toBe(true)
    expect(emu.count('/topapi/v2/user/get')).toBeGreaterThanOrEqual(2)
  })

  it('serves the page and the dd.config for it, only for its own origin', async () => {
    const page = await get('/')
    expect(page.headers.get('content-type')).toMatch(/text\/html/)
    expect(await page.text()).toContain('/dingtalk/jsapi-config?url=')
    const response = await get(`/dingtalk/jsapi-config?url=${encodeURIComponent(`${running.url}/?x=1#top`)}`)
    expect(response.status).toBe(200)
    expect(response.headers.get('cache-control')).toBe('no-store')
    const { config, url } = (await response.json()) as { config: Record<string, unknown>; url: string }
    expect(url).toBe(`${running.url}/?x=1`)
    expect(config).toMatchObject({ corpId: org.corpId, agentId: String(running.settings.agentId) })
    expect(typeof config.signature).toBe('string')
    const foreign = await get(`/dingtalk/jsapi-config?url=${encodeURIComponent('https://evil.example/')}`)
    expect(foreign.status).toBe(403)
  })

  it('signs in with a free-login code into a signed HttpOnly session, and sends a conversation message', async () => {
    expect((await post('/api/messages', { cid: 'x', text: 'hi' })).status).toBe(401)
    const code = emu.issueAuthCode(org.corpId, 'zhangsan')
    const login = await post('/api/login', { code })
    expect(login.status).toBe(200)
    expect(await login.json()).toMatchObject({ userId: 'zhangsan', name: '张三', isAdmin: true })
    expect(login.headers.getSetCookie().find((c) => c.startsWith('dt_session='))).toMatch(/HttpOnly/)
    const cookie = cookieOf(login)
    expect(await (await get('/api/me', { headers: { cookie } })).json()).toMatchObject({ userId: 'zhangsan' })
    const [, signature] = cookie.split('.')
    const forged = `dt_session=${Buffer.from('{"userId":"lisi"}').toString('base64url')}.${signature}`
    expect((await get('/api/me', { headers: { cookie: forged } })).status).toBe(401)
    // Codes are single-use (DingTalk today answers 40078, the old documents 40029 → 401, one core mapping).
    const reused = await post('/api/login', { code })
    expect(reused.status).toBe(401)
    expect(await reused.json()).toMatchObject({ error: 'invalid_code', errcode: 40078 })

    const { openConversationId } = await running.client.chats.create({
      name: '项目群',
      owner: 'zhangsan',
      userIds: ['zhangsan', 'lisi'],
    })
    expect((await post('/api/messages', { cid: openConversationId }, { cookie })).status).toBe(400)
    const sent = await post('/api/messages', { cid: openConversationId, text: '你好' }, { cookie })
    expect(sent.status).toBe(200)
    expect(await sent.json()).toEqual({ receivers: ['lisi'] })
    const last = emu.state.messages.at(-1)
    expect(last).toMatchObject({
      api: 'send_to_conversation',
      msgtype: 'text',
      msg: { text: { content: '你好' } },
    })
    expect(last?.body.sender).toBe('zhangsan')

    // A DingTalk failure of the app's own call (the sender left: 40003) is a 502 naming the errcode.
    const { userId } = await running.client.contacts.users.create({
      name: '临时',
      mobile: '13800000098',
      deptIds: [1],
    })
    const leaver = cookieOf(await post('/api/login', { code: emu.issueAuthCode(org.corpId, userId) }))
    await running.client.contacts.users.delete(userId)
    await emu.idle()
    const failed = await post('/api/messages', { cid: openConversationId, text: 'x' }, { cookie: leaver })
    expect(failed.status).toBe(502)
    expect(await failed.json()).toMatchObject({ error: 'dingtalk_error', errcode: 40003 })
  })

  it('runs the ISV flow on the suite callback: ticket, authorisation, then corp APIs and SSO', async () => {
    const [ticket] = await emu.pushSuiteTicket(suite.suiteKey)
    expect(ticket?.ok).toBe(true)
    expect((await get(`/api/isv/corps/${customer.corpId}`)).status).toBe(404)
    await emu.authorize(customer.corpId, suite.suiteKey)
    await emu.idle()
    const corp = await get(`/api/isv/corps/${customer.corpId}`)
    expect(corp.status).toBe(200)
    expect(await corp.json()).toEqual({ corpId: customer.corpId, corpName: customer.corpName })
    const user = await get(`/api/isv/corps/${customer.corpId}/users/sunqi`)
    expect(await user.json()).toMatchObject({ userId: 'sunqi', name: '孙七' })
    const code = emu.issueAuthCode(customer.corpId, 'sunqi')
    const login = await post('/api/login', { code, corpId: customer.corpId })
    expect(login.status).toBe(200)
    expect(await login.json()).toMatchObject({ userId: 'sunqi', corpId: customer.corpId })
  })
})

describe('configFromEnv', () => {
  it('runs on the bundled emulator without credentials, and needs every corp variable once one is set', () => {
    expect(configFromEnv({ PORT: '4000' })).toEqual({ port: 4000 })
    expect(() => configFromEnv({ DINGTALK_APP_KEY: 'k' })).toThrow(/DINGTALK_APP_SECRET/)
    const config = configFromEnv({
      DINGTALK_APP_KEY: 'k',
      DINGTALK_APP_SECRET: 's',
      DINGTALK_CORP_ID: 'dingc',
      DINGTALK_CALLBACK_TOKEN: 't',
      DINGTALK_CALLBACK_AES_KEY: 'a',
      DINGTALK_AGENT_ID: '42',
      DINGTALK_ALLOWED_ORIGINS: 'https://a.example, https://b.example',
    })
    expect(config.dingtalk).toMatchObject({ appKey: 'k', corpId: 'dingc', agentId: 42 })
    expect(config.allowedOrigins).toEqual(['https://a.example', 'https://b.example'])
  })
})
