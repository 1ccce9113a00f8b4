import { createHash, createHmac } from 'node:crypto'
import { defaultFixture, type Emulator } from '@dingtalk-kit/emulator'
import { expect, it } from 'vitest'
import { createDingTalkClient, type DingTalkClient } from '../client'
import type { ConformanceApp, ConformanceLog, ConformanceSetup } from './conformance-options'
import { hostileCorpusTests } from './hostile-tests'

// The groups of runAdapterConformance: each declares its tests against the suite's context, as
// hostileCorpusTests does against its target.

const org = defaultFixture.orgs[0]!
const fixtureApp = org.apps![0]!
const customer = defaultFixture.orgs[1]!
const suiteFx = defaultFixture.suites![0]!
const ORIGIN = 'https://micro.example.com'

// §14.1, computed with node:crypto independently of the SDK's signer.
function robotHeaders(appSecret: string): Record<string, string> {
  const timestamp = String(Date.now())
  const sign = createHmac('sha256', appSecret).update(`${timestamp}\n${appSecret}`).digest('base64')
  return { timestamp, sign }
}

/** A route's answer, its body parsed as JSON when it is (`{}` otherwise). */
export interface JsonAnswer {
  status: number
  headers: Headers
  body: Record<string, unknown>
  text: string
}

/** What the conformance groups test against: the emulator, the app under test and a corp client on both. */
export interface ConformanceContext {
  emu: Emulator
  app: ConformanceApp
  setup: ConformanceSetup
  /** A client of the fixture's corp app on the emulator (registers callbacks, creates users). */
  admin: DingTalkClient
  /** What the app's handlers observed so far. */
  observed(): Promise<ConformanceLog>
  /** The absolute URL of a route, e.g. `routes('/sso')`. */
  routes(path: string): string
  getJson(path: string, query?: Record<string, string>, init?: RequestInit): Promise<JsonAnswer>
}

/** The setup the suite configures the app with: the fixture's corp app and suite on the emulator at `baseUrl`. */
export function conformanceSetup(baseUrl: string): ConformanceSetup {
  return {
    baseUrl,
    prefix: '/api/dingtalk',
    app: {
      appKey: fixtureApp.appKey,
      appSecret: fixtureApp.appSecret,
      corpId: org.corpId,
      agentId: fixtureApp.agentId,
    },
    callback: { token: 'conformance-token', aesKey: 'Conformance0AesKey0123456789abcdefghijklmno' },
    suite: {
      suiteKey: suiteFx.suiteKey,
      suiteSecret: suiteFx.suiteSecret,
      token: suiteFx.token!,
      aesKey: suiteFx.aesKey!,
    },
    jsapi: {
      allowedOrigins: [ORIGIN],
      jsApiList: ['biz.chat.pickConversation', 'device.notification.alert'],
    },
  }
}

/**
 * The context of a started app; points the fixture suite's callback at the app's suite route.
 * `local` is the log of the options the suite passed in (used when the app has no `log()`).
 */
export function conformanceContext(
  emu: Emulator,
  app: ConformanceApp,
  setup: ConformanceSetup,
  local: ConformanceLog,
): ConformanceContext {
  const routes = (path: string): string => `${app.url}${setup.prefix}${path}`
  const getJson = async (
    path: string,
    query: Record<string, string> = {},
    init: RequestInit = {},
  ): Promise<JsonAnswer> => {
    const search = new URLSearchParams(query).toString()
    const response = await fetch(`${routes(path)}${search ? `?${search}` : ''}`, init)
    const text = await response.text()
    let body: Record<string, unknown> = {}
    try {
      body = JSON.parse(text) as Record<string, unknown>
    } catch {}
    return { status: response.status, headers: response.headers, body, text }
  }
  emu.state.suites.get(suiteFx.suiteKey)!.callbackUrl = routes('/suite/callback')
  const admin = createDingTalkClient(
    { appKey: fixtureApp.appKey, appSecret: fixtureApp.appSecret, corpId: org.corpId },
    { baseUrl: emu.url, retry: { baseDelayMs: 1, maxDelayMs: 2 } },
  )
  return {
    emu,
    app,
    setup,
    admin,
    observed: async () => (app.log ? app.log() : local),
    routes,
    getJson,
  }
}

/** The jsapi-config route: a dd.config signed over the normalised URL, the origin allow-list, 400 and 405. */
export function jsapiConfigTests(ctx: () => ConformanceContext): void {
  it('GET jsapi-config: 200 with a dd.config signed over the normalised URL with the valid ticket', async () => {
    const { emu, setup, getJson } = ctx()
    const page = `${ORIGIN}/app/index.html?from=%E9%92%89%E9%92%89&x=1#/home`
    const { status, headers, body, text } = await getJson('/jsapi-config', { url: page })
    expect(status).toBe(200)
    expect(headers.get('cache-control')).toBe('no-store')
    expect(headers.get('content-type')).toMatch(/^application\/json/)
    const normalized = `${ORIGIN}/app/index.html?from=钉钉&x=1`
    expect(body.url).toBe(normalized)
    const config = body.config as Record<string, unknown>
    expect(config).toMatchObject({
      agentId: String(fixtureApp.agentId),
      corpId: org.corpId,
      jsApiList: setup.jsapi.jsApiList,
    })
    const tickets = [...emu.state.tickets.values()].filter(
      (t) => t.corpId === org.corpId && emu.isTicketValid(t.ticket),
    )
    expect(tickets).toHaveLength(1)
    const ticket = tickets[0]!.ticket
    expect(text).not.toContain(ticket)
    // §3.2, computed independently of the core.
    const plain = `jsapi_ticket=${ticket}&noncestr=${config.nonceStr}&timestamp=${config.timeStamp}&url=${normalized}`
    expect(config.signature).toBe(createHash('sha1').update(plain).digest('hex'))
  })

  it('GET jsapi-config: 403 for an origin not allowed, 400 without a valid url, 405 for POST', async () => {
    const { getJson } = ctx()
    for (const url of ['https://evil.example.com/', `${ORIGIN}.evil.com/`, 'http://micro.example.com/']) {
      const response = await getJson('/jsapi-config', { url })
      expect(response.status, url).toBe(403)
      expect(response.body.error).toBe('origin_not_allowed')
    }
    expect((await getJson('/jsapi-config')).status).toBe(400)
    expect((await getJson('/jsapi-config', { url: 'not a url' })).status).toBe(400)
    const post = await getJson('/jsapi-config', { url: `${ORIGIN}/` }, { method: 'POST' })
    expect(post.status).toBe(405)
    expect(post.headers.get('allow')).toBe('GET')
  })
}

/** The sign-in routes: SSO with a one-time code, and the web login round trip with its state cookie. */
export function signInTests(ctx: () => ConformanceContext): void {
  it('GET sso: the identity for a fresh code, 401 when reused, 400 without one', async () => {
    const { emu, getJson } = ctx()
    const code = emu.issueAuthCode(org.corpId, 'zhangsan')
    const first = await getJson('/sso', { code })
    expect(first.status).toBe(200)
    expect(first.body).toMatchObject({
      userId: 'zhangsan',
      name: '张三',
      isAdmin: true,
      corpId: org.corpId,
    })
    expect(first.headers.get('cache-control')).toBe('no-store')
    const reused = await getJson('/sso', { code })
    expect(reused.status).toBe(401)
    expect(reused.body).toMatchObject({ error: 'invalid_code', errcode: 40078 })
    expect((await getJson('/sso')).status).toBe(400)
  })

  it('GET login: 302 to the login page with a state cookie; back with code and state, signed in; a forged state 400', async () => {
    const { emu, routes, getJson } = ctx()
    const start = await fetch(routes('/login'), { redirect: 'manual' })
    expect(start.status).toBe(302)
    const state = new URL(start.headers.get('location') ?? '').searchParams.get('state') ?? ''
    expect(state).not.toBe('')
    const cookie = start.headers
      .getSetCookie()
      .map((c) => c.split(';', 1)[0])
      .join('; ')
    expect(cookie).toContain(`=${state}`)
    const code = emu.webLogin.issueCode(fixtureApp.appKey, 'zhangsan')
    const back = await getJson('/login', { code, state }, { headers: { cookie } })
    expect(back.status).toBe(200)
    expect(back.body).toMatchObject({ userId: 'zhangsan' })
    const forged = await getJson(
      '/login',
      { code: emu.webLogin.issueCode(fixtureApp.appKey, 'zhangsan'), state: 'x' },
      { headers: { cookie } },
    )
    expect(forged.status).toBe(400)
  })
}

/** Errors and routing: an outage as 502, 404 outside the routes and the prefix, 405 on the callbacks. */
export function routingTests(ctx: () => ConformanceContext): void {
  it('maps a DingTalk outage to 502 without leaking a secret', async () => {
    const { emu, getJson } = ctx()
    emu.faults.inject({ route: '/topapi/v2/user/getuserinfo', kind: 'http5xx', status: 503, times: 10 })
    try {
      const response = await getJson('/sso', { code: emu.issueAuthCode(org.corpId, 'lisi') })
      expect(response.status).toBe(502)
      expect(response.text).not.toContain(fixtureApp.appSecret)
    } finally {
      emu.faults.clear()
    }
  })

  it('answers 404 outside its routes and outside the prefix, and 405 for GET on the callbacks', async () => {
    const { app, routes } = ctx()
    expect((await fetch(routes('/unknown'))).status).toBe(404)
    expect((await fetch(`${app.url}/dingtalk/sso?code=x`)).status).toBe(404)
    const get = await fetch(routes('/callback'))
    expect(get.status).toBe(405)
    expect(get.headers.get('allow')).toBe('POST')
    // A 405 is heuristically cacheable (RFC 9111 §4.2.2): the callback's error answers are not stored.
    expect(get.headers.get('cache-control')).toBe('no-store')
    expect((await fetch(routes('/suite/callback'), { method: 'PUT' })).status).toBe(405)
  })
}

/** The robot route in HTTP mode (§14.1): a signed message handled once and answered, every bad request refused. */
export function robotTests(ctx: () => ConformanceContext): void {
  it('POST robot: a signed message reaches robot_message once; its reply lands in the conversation', async () => {
    const { emu, setup, observed, routes } = ctx()
    const dm = emu.robot.dm('wangwu')
    const said = await emu.robot.say(dm, 'conformance ping', { mode: 'http', url: routes('/robot') })
    expect(said).toMatchObject({ delivered: true, ok: true, status: 200 })
    const again = await fetch(routes('/robot'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...robotHeaders(setup.app.appSecret) },
      body: JSON.stringify(said.data),
    })
    expect(again.status).toBe(200)
    await emu.robot.waitForReply(dm, { since: 0 })
    expect(emu.robot.replies(dm).map((r) => r.text)).toEqual(['echo: conformance ping'])
    const events = (await observed()).events.filter((e) => e === 'robot:dm:conformance ping')
    expect(events).toHaveLength(1)
  })

  it('POST robot: one 401 for every bad signature, 400 for a bad body, 405 for GET', async () => {
    const { setup, routes } = ctx()
    const post = (headers: Record<string, string>, body = '{"msgId":"m","conversationId":"c"}') =>
      fetch(routes('/robot'), {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
      })
    const bad = await Promise.all(
      [{}, { timestamp: String(Date.now()), sign: 'AAAA' }, robotHeaders('not-the-secret')].map(async (h) => {
        const r = await post(h)
        return `${r.status} ${await r.text()}`
      }),
    )
    expect(new Set(bad).size).toBe(1)
    expect(bad[0]).toMatch(/^401 /)
    expect(bad[0]).not.toContain(setup.app.appSecret)
    expect((await post(robotHeaders(setup.app.appSecret), '{oops')).status).toBe(400)
    expect((await fetch(routes('/robot'))).status).toBe(405)
  })
}

/** The emulator's pushes: callback registration and contact events, and the ISV suite flow. */
export function pushTests(ctx: () => ConformanceContext): void {
  it('registers the callback (check_url answered) and handles contact events with the client', async () => {
    const { emu, setup, admin, observed, routes } = ctx()
    const errorsBefore = (await observed()).errors.length
    await admin.callbacks.register({
      url: routes('/callback'),
      token: setup.callback.token,
      aesKey: setup.callback.aesKey,
      tags: ['user_add_org', 'user_modify_org', 'user_leave_org', 'org_dept_create'],
    })
    const { userId } = await admin.contacts.users.create({
      name: '周八',
      mobile: '13700000008',
      deptIds: [1],
    })
    await emu.idle()
    const { deptId } = await admin.contacts.departments.create({ name: '合规部', parentId: 1 })
    await emu.idle()
    const { events, errors } = await observed()
    expect(events).toContain(`event:user_add_org:${userId}`)
    expect(events).toContain(`user:${userId}:周八`)
    expect(events).toContain(`event:org_dept_create:${deptId}`)
    expect(errors.slice(errorsBefore)).toEqual([])
  })

  it('runs the ISV flow: suite_ticket → tmp_auth_code → the corp’s jsapi-config and SSO', async () => {
    const { emu, observed, getJson } = ctx()
    const [ticket] = await emu.pushSuiteTicket(suiteFx.suiteKey)
    expect(ticket?.ok).toBe(true)
    const { push } = await emu.authorize(customer.corpId, suiteFx.suiteKey)
    expect(push?.result?.ok).toBe(true)
    expect(emu.state.authorizations.get(`${suiteFx.suiteKey}:${customer.corpId}`)?.activated).toBe(true)
    const { events } = await observed()
    expect(events).toContain('suite:suite_ticket')
    expect(events).toContain('suite:tmp_auth_code')

    const config = await getJson('/jsapi-config', { url: `${ORIGIN}/isv`, corpId: customer.corpId })
    expect(config.status).toBe(200)
    expect((config.body.config as { corpId: string }).corpId).toBe(customer.corpId)
    const sso = await getJson('/sso', {
      code: emu.issueAuthCode(customer.corpId, 'sunqi'),
      corpId: customer.corpId,
    })
    expect(sso.status).toBe(200)
    expect(sso.body).toMatchObject({ userId: 'sunqi', name: '孙七', corpId: customer.corpId })
    const stranger = await getJson('/jsapi-config', { url: `${ORIGIN}/`, corpId: 'dingneverauthorized' })
    expect(stranger.status).toBe(403)
  })
}

/** The hostile-input corpus (callback-security R6) against the app's corp callback route. */
export function hostileTests(ctx: () => ConformanceContext): void {
  hostileCorpusTests(() => {
    const { setup, observed, routes } = ctx()
    return {
      url: routes('/callback'),
      secrets: { ...setup.callback, receiveId: org.corpId },
      handled: async () => (await observed()).events.filter((e) => e.startsWith('event:')).length,
      errors: async () => (await observed()).errors,
    }
  })
}
