import { defaultFixture, type Emulator, pushEvent } from '@dingtalk-kit/emulator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningApp, startApp } from '../src/app'

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

function cookieOf(response: Response): string {
  return response.headers
    .getSetCookie()
    .map((c) => c.split(';', 1)[0])
    .join('; ')
}

describe('the Koa example against the emulator, over HTTP', () => {
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
  })

  it('serves the page and the dd.config for it, only for its own origin', async () => {
    const html = await (await get('/')).text()
    expect(html).toContain('/dingtalk/jsapi-config?url=')
    const response = await get(`/dingtalk/jsapi-config?url=${encodeURIComponent(`${running.url}/?x=1#top`)}`)
    expect(response.status).toBe(200)
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
    const setCookie = login.headers.getSetCookie()
    expect(setCookie.find((c) => c.startsWith('dt_session='))).toMatch(/httponly/i)
    expect(setCookie.some((c) => c.startsWith('dt_session.sig='))).toBe(true)
    const cookie = cookieOf(login)
    expect(await (await get('/api/me', { headers: { cookie } })).json()).toMatchObject({ userId: 'zhangsan' })
    const forged = cookie.replace(
      /dt_session=[^;]+/,
      `dt_session=${Buffer.from('{"userId":"lisi"}').toString('base64url')}`,
    )
    expect((await get('/api/me', { headers: { cookie: forged } })).status).toBe(401)
    expect((await post('/api/login', { code })).status).toBe(401)

    const { openConversationId } = await running.client.chats.create({
      name: '项目群',
      owner: 'zhangsan',
      userIds: ['zhangsan', 'lisi'],
    })
    const sent = await post('/api/messages', { cid: openConversationId, text: '你好' }, { cookie })
    expect(sent.status).toBe(200)
    const last = emu.state.messages.at(-1)
    expect(last).toMatchObject({
      api: 'send_to_conversation',
      msgtype: 'text',
      msg: { text: { content: '你好' } },
    })
    expect(last?.body.sender).toBe('zhangsan')
    expect(await sent.json()).toEqual({ receivers: ['lisi'] })

    const { userId } = await running.client.contacts.users.create({
      name: '临时',
      mobile: '13800000098',
      deptIds: [1],
    })
    const temp = cookieOf(await post('/api/login', { code: emu.issueAuthCode(org.corpId, userId) }))
    await running.client.contacts.users.delete(userId)
    await emu.idle()
    const gone = await post('/api/messages', { cid: openConversationId, text: 'x' }, { cookie: temp })
    expect(gone.status).toBe(502)
    expect(await gone.json()).toMatchObject({ error: 'dingtalk_error', errcode: 40003 })
  })

  it('runs the ISV flow on the suite callback: ticket, authorisation, then corp APIs and SSO', async () => {
    const [ticket] = await emu.pushSuiteTicket(suite.suiteKey)
    expect(ticket?.ok).toBe(true)
    expect((await get(`/api/isv/corps/${customer.corpId}`)).status).toBe(404)
    const authorized = await emu.authorize(customer.corpId, suite.suiteKey)
    expect(authorized.push?.result?.ok).toBe(true)
    await emu.idle()
    const corp = await get(`/api/isv/corps/${customer.corpId}`)
    expect(corp.status).toBe(200)
    expect(await corp.json()).toEqual({ corpId: customer.corpId, corpName: customer.corpName })
    const user = await get(`/api/isv/corps/${customer.corpId}/users/sunqi`)
    expect(await user.json()).toMatchObject({ userId: 'sunqi', name: '孙七' })
    const code = emu.issueAuthCode(customer.corpId, 'sunqi')
    const sso = await get(`/dingtalk/sso?code=${code}&corpId=${customer.corpId}`)
    expect(sso.status).toBe(200)
    expect(await sso.json()).toMatchObject({ userId: 'sunqi', corpId: customer.corpId })
  })
})

describe('the Koa example with DINGTALK_MODE=stream and both: the same handlers over Stream', () => {
  it('stream: a new user reaches the directory over Stream, not over an HTTP callback', async () => {
    const streaming = await startApp({ port: 0, mode: 'stream' })
    try {
      const emulator = streaming.emulator!
      const [conn] = await emulator.stream.waitForConnections(1, streaming.settings.appKey)
      // Events, and the robot and card topics the client always subscribes (typed robot_message / card_callback).
      expect(conn!.subscriptions).toEqual([
        { type: 'EVENT', topic: '*' },
        { type: 'CALLBACK', topic: '/v1.0/im/bot/messages/get' },
        { type: 'CALLBACK', topic: '/v1.0/card/instances/callback' },
      ])
      const { userId } = await streaming.client.contacts.users.create({
        name: '流式',
        mobile: '13800000097',
        deptIds: [2],
      })
      await emulator.idle()
      await emulator.stream.idle()
      expect(streaming.directory.get(userId)).toMatchObject({ userId, name: '流式', deptIdList: [2] })
      const delivery = emulator.stream.deliveries.find((d) => d.headers.eventType === 'user_add_org')
      expect(delivery?.result).toMatchObject({ ok: true, attempts: 1, ack: { status: 'SUCCESS' } })
      expect(emulator.state.pushes.filter((p) => p.eventType === 'user_add_org')).toEqual([])
    } finally {
      await streaming.close()
    }
    expect(streaming.stream!.stats()).toMatchObject({ connected: false, sockets: 0 })
  })

  it('both: an event delivered over the callback and over Stream with the same eventId is handled once', async () => {
    const both = await startApp({ port: 0, mode: 'both' })
    try {
      const emulator = both.emulator!
      const { appKey, corpId, callbackToken, callbackAesKey } = both.settings
      await emulator.stream.waitForConnections(1, appKey)
      const fetches = emulator.count('/topapi/v2/user/get')
      const overStream = emulator.stream.event(
        appKey,
        'user_modify_org',
        { userId: ['lisi'] },
        { eventId: 'e-1' },
      )
      expect((await overStream.done).ok).toBe(true)
      const overHttp = await pushEvent({
        url: `${both.url}/dingtalk/callback`,
        token: callbackToken!,
        aesKey: callbackAesKey!,
        receiveId: corpId,
        event: { EventType: 'user_modify_org', UserId: ['lisi'], CorpId: corpId, eventId: 'e-1' },
      })
      expect(overHttp.ok).toBe(true)
      expect(emulator.count('/topapi/v2/user/get') - fetches).toBe(1)
      expect(both.directory.get('lisi')).toMatchObject({ userId: 'lisi', name: '李四' })
    } finally {
      await both.close()
    }
  })
})
