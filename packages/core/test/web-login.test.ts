import { defaultFixture, type Emulator } from '@dingtalk-kit/emulator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createWebLogin,
  DingTalkApiError,
  type DingTalkClient,
  handleWebLogin,
  type RouteResponse,
  type WebLogin,
} from '../src/index'
import { app, failure, scanLoginPage, startCorp } from './support/office'

const customer = defaultFixture.orgs[1]!
const redirectUri = 'https://app.example.com/dingtalk/login'

let emu: Emulator
let client: DingTalkClient
let login: WebLogin

beforeAll(async () => {
  ;({ emu, client } = await startCorp())
  login = createWebLogin(client, { appSecret: app.appSecret })
})

afterAll(async () => {
  await emu.close()
})

describe('createWebLogin (sns/getuserinfo_bycode, §5.3)', () => {
  it('builds the QR login URL and signs a member in through the login page', async () => {
    const state = login.createState()
    expect(state).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect(login.createState()).not.toBe(state)
    const url = new URL(login.authorizeUrl({ redirectUri, state }))
    expect(url.origin + url.pathname).toBe(`${emu.url}/connect/qrconnect`)
    expect(Object.fromEntries(url.searchParams)).toEqual({
      appid: app.appKey,
      response_type: 'code',
      scope: 'snsapi_login',
      state,
      redirect_uri: redirectUri,
    })
    expect(login.authorizeUrl({ redirectUri, state, form: 'sns_authorize' })).toContain(
      '/connect/oauth2/sns_authorize?',
    )

    const back = await scanLoginPage(emu, url.toString(), 'lisi')
    expect(back.origin + back.pathname).toBe(redirectUri)
    expect(back.searchParams.get('state')).toBe(state)
    const code = back.searchParams.get('code')!
    const user = await login.signIn(code)
    expect(user).toMatchObject({
      userId: 'lisi',
      unionId: 'unionlisi',
      nick: '李四',
      mainOrgAuthHighLevel: true,
    })
    expect(user.openId).toMatch(/^openid/)

    // Signed request: accessKey, a millisecond timestamp and the signature, all in the query; secrets redacted.
    const call = emu.log.find((e) => e.path === '/sns/getuserinfo_bycode')!
    expect(call.query).toMatchObject({ accessKey: app.appKey, signature: '***' })
    expect(call.query.timestamp).toMatch(/^\d{13}$/)
    expect(call.body).toEqual({ tmp_auth_code: '***' })

    // Single use.
    const again = await failure(login.signIn(code))
    expect(again).toBeInstanceOf(DingTalkApiError)
    expect((again as DingTalkApiError).errcode).toBe(40078)
    expect(JSON.stringify((again as DingTalkApiError).request)).not.toContain(code)
  })

  it('refuses a wrong secret (853004), a skewed clock (853002) and an unknown app (853003)', async () => {
    const code = (): string => emu.webLogin.issueCode(app.appKey, 'zhangsan')
    const wrongSecret = await failure(createWebLogin(client, { appSecret: 'not-the-secret' }).signIn(code()))
    expect((wrongSecret as DingTalkApiError).errcode).toBe(853004)
    expect(String((wrongSecret as Error).message)).not.toContain('not-the-secret')
    const skewed = await failure(
      createWebLogin(client, { appSecret: app.appSecret, now: () => Date.now() - 120_000 }).signIn(code()),
    )
    expect((skewed as DingTalkApiError).errcode).toBe(853002)
    const unknown = await failure(
      createWebLogin(client, { appKey: 'dingnope', appSecret: 'x' }).signIn(code()),
    )
    expect((unknown as DingTalkApiError).errcode).toBe(853003)
  })

  it('signs in an account that is not a member of the corp without a userid', async () => {
    emu.state.orgs.get(customer.corpId)!.apps.set('dingcustomerlogin', {
      name: '客户登录',
      agentId: 100000009,
      appKey: 'dingcustomerlogin',
      appSecret: 'customer-login-secret',
    })
    const outsider = createWebLogin(client, {
      appKey: 'dingcustomerlogin',
      appSecret: 'customer-login-secret',
    })
    const user = await outsider.signIn(emu.webLogin.issueCode('dingcustomerlogin', 'sunqi'))
    expect(user).toMatchObject({ nick: '孙七', userId: undefined })
  })
})

describe('handleWebLogin (GET {prefix}/login)', () => {
  const cookieOf = (reply: RouteResponse): string => reply.headers['set-cookie']!.split(';')[0]!

  it('starts with a state cookie and a redirect, then signs the member in', async () => {
    const start = await handleWebLogin({ method: 'GET', path: '/login' }, { webLogin: login, redirectUri })
    expect(start.status).toBe(302)
    expect(start.headers['set-cookie']).toMatch(
      /^dingtalk_login_state=[\w-]{22}; Path=\/dingtalk\/login; Max-Age=600; HttpOnly; SameSite=Lax; Secure$/,
    )
    const cookie = cookieOf(start)
    const state = cookie.split('=')[1]!
    expect(new URL(start.headers.location!).searchParams.get('state')).toBe(state)

    const back = await scanLoginPage(emu, start.headers.location!, 'wangwu')
    const reply = await handleWebLogin(
      {
        method: 'GET',
        path: '/login',
        url: back.pathname + back.search,
        headers: { cookie: `theme=dark; ${cookie}` },
      },
      { webLogin: login, redirectUri },
    )
    expect(reply.status).toBe(200)
    expect(JSON.parse(reply.body)).toEqual({
      userId: 'wangwu',
      unionId: 'unionwangwu',
      openId: expect.stringMatching(/^openid/),
      nick: '王五',
    })
    expect(reply.headers['set-cookie']).toMatch(/^dingtalk_login_state=; Path=\/dingtalk\/login; Max-Age=0/)
    expect(reply.body).not.toContain(back.searchParams.get('code')!)

    // The same code again: 401.
    const replay = await handleWebLogin(
      { method: 'GET', path: '/login', query: back.searchParams, headers: { cookie } },
      { webLogin: login, redirectUri },
    )
    expect(replay.status).toBe(401)
    expect(JSON.parse(replay.body)).toMatchObject({ error: 'invalid_code', errcode: 40078 })
  })

  it('answers 400 without the state cookie or with another state (login CSRF), before spending the code', async () => {
    const code = emu.webLogin.issueCode(app.appKey, 'lisi')
    const noCookie = await handleWebLogin(
      { method: 'GET', path: '/login', query: { code, state: 'abc' } },
      { webLogin: login, redirectUri },
    )
    expect(noCookie.status).toBe(400)
    expect(JSON.parse(noCookie.body)).toMatchObject({ error: 'invalid_state' })
    const forged = await handleWebLogin(
      {
        method: 'GET',
        path: '/login',
        query: { code, state: 'abc' },
        headers: { cookie: 'dingtalk_login_state=abd' },
      },
      { webLogin: login, redirectUri },
    )
    expect(forged.status).toBe(400)
    // The code was not spent by the refused attempts.
    expect((await login.signIn(code)).userId).toBe('lisi')
  })

  it('hands the user to onSignIn (its session cookie wins), and maps failures to 403/405/500', async () => {
    const state = 'fixed-state-for-test'
    const headers = { cookie: `dingtalk_login_state=${state}` }
    const reply = await handleWebLogin(
      {
        method: 'GET',
        path: '/login',
        query: { code: emu.webLogin.issueCode(app.appKey, 'zhaoliu'), state },
        headers,
      },
      {
        webLogin: login,
        redirectUri,
        onSignIn: (user) => ({
          status: 302,
          headers: { location: '/', 'set-cookie': `session=${user.userId}; HttpOnly` },
          body: '',
        }),
      },
    )
    expect(reply).toEqual({
      status: 302,
      headers: { location: '/', 'set-cookie': 'session=zhaoliu; HttpOnly' },
      body: '',
    })

    const outsider = createWebLogin(client, {
      appKey: 'dingcustomerlogin',
      appSecret: 'customer-login-secret',
    })
    const forbidden = await handleWebLogin(
      {
        method: 'GET',
        path: '/login',
        query: { code: emu.webLogin.issueCode('dingcustomerlogin', 'sunqi'), state },
        headers,
      },
      { webLogin: outsider, redirectUri },
    )
    expect(forbidden.status).toBe(403)
    expect(JSON.parse(forbidden.body)).toMatchObject({ error: 'not_a_member' })

    const misconfigured = await handleWebLogin(
      {
        method: 'GET',
        path: '/login',
        query: { code: emu.webLogin.issueCode(app.appKey, 'lisi'), state },
        headers,
      },
      { webLogin: createWebLogin(client, { appSecret: 'wrong-secret' }), redirectUri },
    )
    expect(misconfigured.status).toBe(500)
    expect(misconfigured.body).not.toContain('wrong-secret')
    expect(JSON.parse(misconfigured.body)).toMatchObject({ error: 'misconfigured', errcode: 853004 })

    const post = await handleWebLogin({ method: 'POST', path: '/login' }, { webLogin: login, redirectUri })
    expect(post.status).toBe(405)
  })
})
