import { buildPush, checkReply, defaultFixture, type Emulator, startEmulator } from '@dingtalk-kit/emulator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCallbackHandler } from '../src/callback/handler'
import { createDingTalkClient, type DingTalkClient } from '../src/client'
import { DingTalkStoreError } from '../src/errors/store'
import { parseEvents } from '../src/events/parse'
import { createDingTalkRoutes, type DingTalkRoutes, type RouteResponse } from '../src/routes/routes'
import { signJsapi } from '../src/signing/jsapi'
import { memoryStore, type Store } from '../src/store/store'
import { createSuiteClient, type SuiteClient } from '../src/suite/suite-client'

const org = defaultFixture.orgs[0]!
const app = org.apps![0]!
const suiteFx = defaultFixture.suites![0]!
const customer = defaultFixture.orgs[1]!
const TOKEN = 'routes-test-token'
const AES_KEY = 'Yue0EfdN5900c1ce5cf6A152c63DDe1808a60c5ecd7'
const ORIGIN = 'https://app.example.com'

let emu: Emulator
let client: DingTalkClient
let suite: SuiteClient
let routes: DingTalkRoutes
const seen: string[] = []

const fast = { retry: { baseDelayMs: 1, maxDelayMs: 2, maxAttempts: 1 } }

beforeAll(async () => {
  emu = await startEmulator({ suiteTicketIntervalMs: 0 })
  client = createDingTalkClient(
    { appKey: app.appKey, appSecret: app.appSecret, corpId: org.corpId },
    { baseUrl: emu.url, agentId: app.agentId, ...fast },
  )
  suite = createSuiteClient(
    {
      suiteKey: suiteFx.suiteKey,
      suiteSecret: suiteFx.suiteSecret,
      token: suiteFx.token,
      aesKey: suiteFx.aesKey,
    },
    { baseUrl: emu.url, store: memoryStore(), ...fast },
  )
  routes = createDingTalkRoutes({
    client,
    suiteClient: suite,
    callback: {
      token: TOKEN,
      aesKey: AES_KEY,
      handlers: { user_add_org: (e) => void seen.push(...e.UserId) },
    },
    jsapi: {
      allowedOrigins: [`${ORIGIN}/`, 'http://localhost:3000'],
      jsApiList: ['biz.chat.pickConversation'],
    },
  })
})

afterAll(async () => {
  await emu.close()
})

const get = async (path: string, query: Record<string, string> | string = {}): Promise<RouteResponse> => {
  const search = typeof query === 'string' ? query : new URLSearchParams(query).toString()
  const out = await routes.handle({ method: 'GET', path, url: `/dingtalk${path}?${search}`, headers: {} })
  if (!out) throw new Error(`no route for ${path}`)
  return out
}
const body = (response: RouteResponse): Record<string, unknown> => JSON.parse(response.body)

describe('GET /jsapi-config (§3)', () => {
  it('signs the normalised page URL with the current ticket, without revealing it', async () => {
    const page = `${ORIGIN}/home?name=%E5%BC%A0&x=1#/deep`
    const response = await get('/jsapi-config', { url: page })
    expect(response.status).toBe(200)
    expect(response.headers['cache-control']).toBe('no-store')
    const { config, url } = body(response) as { config: Record<string, string>; url: string }
    expect(url).toBe(`${ORIGIN}/home?name=张&x=1`)
    expect(config).toMatchObject({
      agentId: String(app.agentId),
      corpId: org.corpId,
      jsApiList: ['biz.chat.pickConversation'],
    })
    const ticket = await client.jsapi.getTicket()
    expect(response.body).not.toContain(ticket)
    expect(emu.isTicketValid(ticket)).toBe(true)
    expect(config.signature).toBe(
      signJsapi({ ticket, nonceStr: config.nonceStr!, timeStamp: config.timeStamp!, url: page }),
    )
  })

  it('answers 403 for any origin not exactly allowed, and 400 for a missing or bad URL', async () => {
    for (const url of [
      'https://evil.example.com/home',
      'https://app.example.com.evil.com/',
      'http://app.example.com/',
      'https://app.example.com:8443/',
      'http://localhost:3001/',
    ]) {
      const response = await get('/jsapi-config', { url })
      expect(response.status, url).toBe(403)
      expect(body(response).error).toBe('origin_not_allowed')
    }
    expect((await get('/jsapi-config', { url: 'http://localhost:3000/a' })).status).toBe(200)
    for (const query of [
      {} as Record<string, string>,
      { url: '' },
      { url: '/relative' },
      { url: 'javascript:alert(1)' },
    ]) {
      expect((await get('/jsapi-config', query)).status, JSON.stringify(query)).toBe(400)
    }
    expect((await get('/jsapi-config', `url=${ORIGIN}/a&url=${ORIGIN}/b`)).status).toBe(400)
  })

  it('maps a DingTalk failure to 502 with the errcode and no secret', async () => {
    const fresh = createDingTalkClient(
      { appKey: app.appKey, appSecret: 'wrong-secret-value', corpId: org.corpId },
      { baseUrl: emu.url, agentId: app.agentId, ...fast },
    )
    const broken = createDingTalkRoutes({ client: fresh, jsapi: { allowedOrigins: [ORIGIN] } })
    const response = await broken.handle({
      method: 'GET',
      path: '/jsapi-config',
      query: { url: `${ORIGIN}/` },
    })
    expect(response?.status).toBe(502)
    expect(body(response!)).toMatchObject({ error: 'dingtalk_error', errcode: expect.any(Number) })
    expect(response?.body).not.toContain('wrong-secret-value')
  })

  it('answers 503 with Retry-After, not 500, when the shared store is down (no ticket can be fetched safely)', async () => {
    const down: Store = {
      get: () =>
        Promise.reject(
          new DingTalkStoreError('STORE_UNAVAILABLE', {
            store: 'redis',
            operation: 'get',
            message: 'Redis is down',
          }),
        ),
      set: () => Promise.reject(new Error('down')),
      delete: () => Promise.reject(new Error('down')),
      setIfAbsent: () => Promise.reject(new Error('down')),
      deleteIfEquals: () => Promise.reject(new Error('down')),
    }
    const fresh = createDingTalkClient(
      { appKey: app.appKey, appSecret: app.appSecret, corpId: org.corpId },
      { baseUrl: emu.url, agentId: app.agentId, store: down, ...fast },
    )
    const routesOnDownStore = createDingTalkRoutes({ client: fresh, jsapi: { allowedOrigins: [ORIGIN] } })
    const response = await routesOnDownStore.handle({
      method: 'GET',
      path: '/jsapi-config',
      query: { url: `${ORIGIN}/` },
    })
    expect(response?.status).toBe(503)
    expect(response?.headers['retry-after']).toBe('1')
    expect(body(response!)).toEqual({ error: 'temporarily_unavailable', code: 'STORE_UNAVAILABLE' })
  })

  it('uses the authorised corp’s client for ?corpId= (ISV) and 403s an unauthorised corp', async () => {
    await emu.pushSuiteTicket()
    await suite.saveSuiteTicket(emu.state.suites.get(suiteFx.suiteKey)!.suiteTicket!)
    const unauthorised = await get('/jsapi-config', { url: `${ORIGIN}/`, corpId: customer.corpId })
    expect(unauthorised.status).toBe(403)
    expect(body(unauthorised)).toEqual({ error: 'corp_not_authorized', errcode: 48004 })
    const { authCode } = await emu.authorize(customer.corpId, suiteFx.suiteKey)
    await suite.handleTmpAuthCode(authCode!)
    const response = await get('/jsapi-config', { url: `${ORIGIN}/`, corpId: customer.corpId })
    expect(response.status).toBe(200)
    expect((body(response).config as { corpId: string }).corpId).toBe(customer.corpId)
    expect((await get('/jsapi-config', { url: `${ORIGIN}/`, corpId: 'not a corp' })).status).toBe(400)
  })
})

describe('GET /sso (§5.1)', () => {
  it('exchanges a code once: 200 with the identity, then 401', async () => {
    const code = emu.issueAuthCode(org.corpId, 'zhangsan')
    const first = await get('/sso', { code })
    expect(first.status).toBe(200)
    expect(body(first)).toMatchObject({ userId: 'zhangsan', name: '张三', isAdmin: true, corpId: org.corpId })
    const again = await get('/sso', { code })
    expect(again.status).toBe(401)
    expect(body(again)).toMatchObject({ error: 'invalid_code', errcode: 40078 })
    expect((await get('/sso')).status).toBe(400)
  })

  it('refuses a malformed code with 400 without asking DingTalk', async () => {
    const before = emu.count('/topapi/v2/user/getuserinfo')
    for (const code of ['a\u0000b', 'x"y', "o'r", 'has space', 'x'.repeat(200), '张三']) {
      const response = await get('/sso', { code })
      expect(response.status, code).toBe(400)
      expect(body(response)).toMatchObject({ error: 'bad_request', message: 'code is malformed' })
    }
    expect(emu.count('/topapi/v2/user/getuserinfo')).toBe(before)
  })

  it('a client whose codes keep failing gets 429 before DingTalk is asked again; others are unaffected', async () => {
    const limited = createDingTalkRoutes({ client, sso: { failureLimit: { max: 3, windowMs: 60_000 } } })
    const ask = (code: string, clientAddress: string) =>
      limited.handle({ method: 'GET', path: '/sso', query: { code }, clientAddress })
    const before = emu.count('/topapi/v2/user/getuserinfo')
    for (let i = 0; i < 3; i++) expect((await ask(`bogus${i}`, '203.0.113.7'))?.status).toBe(401)
    const blocked = await ask('bogus3', '203.0.113.7')
    expect(blocked?.status).toBe(429)
    expect(blocked?.headers['retry-after']).toBe('60')
    expect(emu.count('/topapi/v2/user/getuserinfo') - before).toBe(3)
    const other = await ask(emu.issueAuthCode(org.corpId, 'zhangsan'), '198.51.100.2')
    expect(other?.status).toBe(200)
  })

  it('signs an ISV user in through the corp’s client', async () => {
    const response = await get('/sso', {
      code: emu.issueAuthCode(customer.corpId, 'sunqi'),
      corpId: customer.corpId,
    })
    expect(response.status).toBe(200)
    expect(body(response)).toMatchObject({ userId: 'sunqi', corpId: customer.corpId })
  })
})

describe('dispatch', () => {
  it('answers 405 with Allow for other methods and undefined for unknown paths', async () => {
    const post = await routes.handle({ method: 'POST', path: '/sso', query: {} })
    expect(post?.status).toBe(405)
    expect(post?.headers.allow).toBe('GET')
    expect(await routes.handle({ method: 'GET', path: '/nope' })).toBeUndefined()
    expect(await routes.handle({ method: 'GET', path: '/' })).toBeUndefined()
    const off = createDingTalkRoutes({ client, sso: false })
    expect(await off.handle({ method: 'GET', path: '/sso', query: { code: 'x' } })).toBeUndefined()
    expect(await off.handle({ method: 'GET', path: '/jsapi-config', query: { url: ORIGIN } })).toBeUndefined()
    expect(await off.handle({ method: 'POST', path: '/callback' })).toBeUndefined()
    expect(off.suiteCallback).toBeUndefined()
  })

  it('hands POST /callback to the corp handler, with the client, and mounts the suite callback', async () => {
    const push = buildPush({
      url: 'http://127.0.0.1/x',
      token: TOKEN,
      aesKey: AES_KEY,
      receiveId: org.corpId,
      event: { EventType: 'user_add_org', UserId: ['lisi'], CorpId: org.corpId, TimeStamp: 1 },
    })
    const response = await routes.handle({
      method: 'POST',
      path: '/callback',
      query: push.query,
      headers: { 'content-type': 'application/json' },
      body: push.body,
    })
    expect(response?.status).toBe(200)
    expect(
      checkReply({ status: 200, body: response!.body, token: TOKEN, aesKey: AES_KEY, receiveId: org.corpId })
        .ok,
    ).toBe(true)
    expect(seen).toEqual(['lisi'])
    expect(typeof routes.suiteCallback?.handle).toBe('function')
    const unsigned = await routes.handle({
      method: 'POST',
      path: '/suite/callback',
      query: {},
      headers: { 'content-type': 'application/json' },
      body: '{}',
    })
    expect(unsigned?.status).toBe(400)
  })

  it('refuses a jsapi route it could not serve or an allow-list entry that is not an origin', () => {
    expect(() => createDingTalkRoutes({ jsapi: { allowedOrigins: [ORIGIN] } })).toThrow(TypeError)
    expect(() => createDingTalkRoutes({ client, jsapi: { allowedOrigins: ['app.example.com'] } })).toThrow(
      /not an http\(s\) origin/,
    )
  })

  it('takes an existing handler as is, and strips the prefix in the Web face', async () => {
    const handler = createCallbackHandler({ token: TOKEN, aesKey: AES_KEY, receiveId: org.corpId })
    const own = createDingTalkRoutes({ callback: handler })
    expect(own.callback).toBe(handler)
    const response = await own.fetch(new Request('http://h/dt/callback', { method: 'GET' }), {
      prefix: '/dt/',
    })
    expect(response?.status).toBe(405)
    expect(await own.fetch(new Request('http://h/other/callback'), { prefix: '/dt' })).toBeUndefined()
    expect(await own.fetch(new Request('http://h/dtcallback'), { prefix: '/dt' })).toBeUndefined()
  })
})

describe('routing owned by the core', () => {
  const suitePush = (event: Record<string, unknown>) =>
    buildPush({
      url: 'http://127.0.0.1/x',
      token: suiteFx.token,
      aesKey: suiteFx.aesKey,
      receiveId: suiteFx.suiteKey,
      event: { TimeStamp: 1, ...event },
    })
  const corpPush = (event: Record<string, unknown>) =>
    buildPush({
      url: 'http://127.0.0.1/x',
      token: TOKEN,
      aesKey: AES_KEY,
      receiveId: org.corpId,
      event: { CorpId: org.corpId, TimeStamp: 1, ...event },
    })
  const post = (target: DingTalkRoutes, path: string, push: ReturnType<typeof buildPush>) =>
    target.serve({
      method: 'POST',
      path,
      query: push.query,
      headers: { 'content-type': 'application/json' },
      body: push.body,
    })

  it('serve() takes the whole path under the prefix; the table lists only what is configured', async () => {
    const mounted = createDingTalkRoutes({ prefix: 'hooks/dd/', client, sso: true })
    expect(mounted.prefix).toBe('/hooks/dd')
    expect(mounted.table.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /sso'])
    expect((await mounted.serve({ method: 'POST', path: '/hooks/dd/sso?code=x' }))?.status).toBe(405)
    expect((await mounted.serve({ method: 'GET', path: '/hooks/dd/sso/' }))?.status).toBe(400)
    expect(await mounted.serve({ method: 'GET', path: '/sso' })).toBeUndefined()
    expect(await mounted.serve({ method: 'GET', path: '/hooks/ddx/sso' })).toBeUndefined()
    expect((await mounted.fetch(new Request('http://h/hooks/dd/sso', { method: 'PUT' })))?.status).toBe(405)
  })

  it('one on() serves the corp and the suite callback; `from` keeps one side', async () => {
    const both = createDingTalkRoutes({
      client,
      suiteClient: suite,
      callback: { token: TOKEN, aesKey: AES_KEY },
    })
    expect(both.callback?.dispatcher).toBe(both.dispatcher)
    expect(both.suiteCallback?.dispatcher).toBe(both.dispatcher)
    const all: string[] = []
    const suiteOnly: string[] = []
    both.on('user_add_org', (event, context) => {
      all.push(`${event.UserId[0]}@${context.receiveId}`)
    })
    both.on('user_add_org', (event) => void suiteOnly.push(event.UserId[0]!), { from: ['suiteCallback'] })
    const corp = await post(
      both,
      '/callback',
      corpPush({ EventType: 'user_add_org', UserId: ['c1'], eventId: 'r1' }),
    )
    const fromSuite = await post(
      both,
      '/suite/callback',
      suitePush({ EventType: 'user_add_org', UserId: ['s1'], CorpId: customer.corpId, eventId: 'r2' }),
    )
    expect([corp?.status, fromSuite?.status]).toEqual([200, 200])
    expect(all).toEqual([`c1@${org.corpId}`, `s1@${suiteFx.suiteKey}`])
    expect(suiteOnly).toEqual(['s1'])
  })

  it('onRequestEvent() hands the adapter context to handlers and refuses events that came without one', async () => {
    const typed = createDingTalkRoutes<{ requestId: string }>({
      client,
      callback: { token: TOKEN, aesKey: AES_KEY },
    })
    const contexts: string[] = []
    typed.onRequestEvent('user_leave_org', (_event, _context, locals) => void contexts.push(locals.requestId))
    const push = corpPush({ EventType: 'user_leave_org', UserId: ['l1'], eventId: 'r3' })
    const response = await typed.handle(
      {
        method: 'POST',
        path: '/callback',
        query: push.query,
        headers: { 'content-type': 'application/json' },
        body: push.body,
      },
      { locals: { requestId: 'req-7' } },
    )
    expect(response?.status).toBe(200)
    expect(contexts).toEqual(['req-7'])
    const parsed = parseEvents({ EventType: 'user_leave_org', UserId: ['l2'], CorpId: org.corpId })[0]!
    const outcome = await typed.dispatcher.deliver([{ parsed, id: 'id:stream-1' }], {
      transport: 'stream',
      receiveId: 'dingapp',
    })
    expect(outcome).toEqual({ kind: 'retry' })
  })

  it('a given dispatcher is the one both callbacks feed, so another transport shares their handlers', async () => {
    const shared = createDingTalkRoutes({ client, callback: { token: TOKEN, aesKey: AES_KEY } })
    const again = createDingTalkRoutes({
      client,
      callback: { token: TOKEN, aesKey: AES_KEY },
      dispatcher: shared.dispatcher,
    })
    expect(again.dispatcher).toBe(shared.dispatcher)
    expect(again.callback?.dispatcher).toBe(shared.dispatcher)
  })
})
