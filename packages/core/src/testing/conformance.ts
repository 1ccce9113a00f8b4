import { createHash, createHmac } from 'node:crypto'
import { defaultFixture, type Emulator, startEmulator } from '@dingtalk-kit/emulator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDingTalkClient, type DingTalkClient } from '../client'
import type { DingTalkRoutesOptions } from '../routes/routes'
import { type ConformanceLog, type ConformanceSetup, conformanceRoutesOptions } from './conformance-options'
import { hostileCorpusTests } from './hostile-tests'

/**
 * An app started by the adapter under test.
 *
 * @example
 * ```ts
 * const served: ConformanceApp = { url: 'http://127.0.0.1:54321', close: () => server.close() }
 * ```
 */
export interface ConformanceApp {
  /** The server's origin, e.g. `http://127.0.0.1:54321` (the routes live under `setup.prefix`). */
  url: string
  close(): Promise<void>
  /**
   * For an app in another process that built its own options with `conformanceRoutesOptions`: what its
   * handlers observed. Default: the log of the options the suite passed in.
   */
  log?(): Promise<ConformanceLog>
}

/**
 * Starts the adapter under test on 127.0.0.1 with these routes options mounted at `options.prefix`.
 * `setup` describes the same options as plain data, for apps started in another runtime.
 *
 * @example
 * ```ts
 * const start: ConformanceStart = async ({ prefix, ...options }) => serve(new Hono().route(prefix, dingtalk(options)))
 * ```
 */
export type ConformanceStart = (
  options: DingTalkRoutesOptions & { prefix: string },
  setup: ConformanceSetup,
) => Promise<ConformanceApp>

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

/**
 * The conformance suite every DingTalk adapter passes unchanged: starts an emulator, has `start` serve the
 * routes under a non-default prefix, and checks over real HTTP every route's behaviour (jsapi-config with
 * the origin allow-list, SSO, 404/405 semantics), the emulator's pushes reaching the handlers (check_url on
 * registration, contact events whose handler fetches the user, the ISV suite_ticket → tmp_auth_code flow
 * and the corp's jsapi-config/SSO afterwards), and the hostile-input corpus (callback-security R6).
 *
 * @example
 * ```ts
 * // koa.test.ts
 * import { runAdapterConformance } from '@dingtalk-kit/core/vitest'
 * runAdapterConformance('koa', async ({ prefix, ...options }) => {
 *   const app = new Koa().use(dingtalk({ prefix, ...options }).middleware())
 *   const server = app.listen(0, '127.0.0.1')
 *   await once(server, 'listening')
 *   return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(() => r())) }
 * })
 * ```
 */
export function runAdapterConformance(name: string, start: ConformanceStart): void {
  describe(`DingTalk adapter conformance: ${name}`, () => {
    let emu: Emulator
    let app: ConformanceApp
    let setup: ConformanceSetup
    let admin: DingTalkClient
    const local: ConformanceLog = { events: [], errors: [] }
    const observed = async (): Promise<ConformanceLog> => (app.log ? app.log() : local)
    const routes = (path: string): string => `${app.url}${setup.prefix}${path}`
    const getJson = async (path: string, query: Record<string, string> = {}, init: RequestInit = {}) => {
      const search = new URLSearchParams(query).toString()
      const response = await fetch(`${routes(path)}${search ? `?${search}` : ''}`, init)
      const text = await response.text()
      let body: Record<string, unknown> = {}
      try {
        body = JSON.parse(text) as Record<string, unknown>
      } catch {}
      return { status: response.status, headers: response.headers, body, text }
    }

    beforeAll(async () => {
      emu = await startEmulator({ suiteTicketIntervalMs: 0, push: { retries: 0, timeoutMs: 5000 } })
      setup = {
        baseUrl: emu.url,
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
      app = await start(conformanceRoutesOptions(setup, local), setup)
      emu.state.suites.get(suiteFx.suiteKey)!.callbackUrl = routes('/suite/callback')
      admin = createDingTalkClient(
        { appKey: fixtureApp.appKey, appSecret: fixtureApp.appSecret, corpId: org.corpId },
        { baseUrl: emu.url, retry: { baseDelayMs: 1, maxDelayMs: 2 } },
      )
    })

    afterAll(async () => {
      await emu?.idle()
      await app?.close()
      await emu?.close()
    })

    describe('routes', () => {
      it('GET jsapi-config: 200 with a dd.config signed over the normalised URL with the valid ticket', async () => {
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

      it('GET sso: the identity for a fresh code, 401 when reused, 400 without one', async () => {
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

      it('maps a DingTalk outage to 502 without leaking a secret', async () => {
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
        expect((await fetch(routes('/unknown'))).status).toBe(404)
        expect((await fetch(`${app.url}/dingtalk/sso?code=x`)).status).toBe(404)
        const get = await fetch(routes('/callback'))
        expect(get.status).toBe(405)
        expect(get.headers.get('allow')).toBe('POST')
        // A 405 is heuristically cacheable (RFC 9111 §4.2.2): the callback's error answers are not stored.
        expect(get.headers.get('cache-control')).toBe('no-store')
        expect((await fetch(routes('/suite/callback'), { method: 'PUT' })).status).toBe(405)
      })
    })

    describe('robot in HTTP mode (§14.1)', () => {
      it('POST robot: a signed message reaches robot_message once; its reply lands in the conversation', async () => {
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
        const post = (headers: Record<string, string>, body = '{"msgId":"m","conversationId":"c"}') =>
          fetch(routes('/robot'), {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...headers },
            body,
          })
        const bad = await Promise.all(
          [{}, { timestamp: String(Date.now()), sign: 'AAAA' }, robotHeaders('not-the-secret')].map(
            async (h) => {
              const r = await post(h)
              return `${r.status} ${await r.text()}`
            },
          ),
        )
        expect(new Set(bad).size).toBe(1)
        expect(bad[0]).toMatch(/^401 /)
        expect(bad[0]).not.toContain(setup.app.appSecret)
        expect((await post(robotHeaders(setup.app.appSecret), '{oops')).status).toBe(400)
        expect((await fetch(routes('/robot'))).status).toBe(405)
      })
    })

    describe('pushes from the emulator', () => {
      it('registers the callback (check_url answered) and handles contact events with the client', async () => {
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
    })

    describe('hostile input (callback-security R6)', () => {
      hostileCorpusTests(() => ({
        url: routes('/callback'),
        secrets: { ...setup.callback, receiveId: org.corpId },
        handled: async () => (await observed()).events.filter((e) => e.startsWith('event:')).length,
        errors: async () => (await observed()).errors,
      }))
    })
  })
}
