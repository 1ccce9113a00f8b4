import type { Emulator } from '@dingtalk-kit/emulator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createDingTalkClient,
  createWebLogin,
  type DingTalkClient,
  DingTalkV1ApiError,
  handleWebLogin,
  type WebLogin,
} from '../src/index'
import { app, failure, scanLoginPage, startCorp } from './support/office'

// The newer OAuth2 form of the web login: login.dingtalk.com/oauth2/auth, then api.dingtalk.com's
// /v1.0/oauth2/userAccessToken and /v1.0/contact/users/me with the user's token.
const redirectUri = 'https://app.example.com/dingtalk/login'

let emu: Emulator
let client: DingTalkClient
let login: WebLogin

beforeAll(async () => {
  ;({ emu, client } = await startCorp())
  login = createWebLogin(client, { appSecret: app.appSecret, form: 'oauth2' })
})

afterAll(async () => {
  await emu.close()
})

describe("createWebLogin({ form: 'oauth2' })", () => {
  it('sends the browser to /oauth2/auth (login.dingtalk.com against DingTalk itself)', () => {
    const url = new URL(login.authorizeUrl({ redirectUri, state: 's1' }))
    expect(url.origin + url.pathname).toBe(`${emu.url}/oauth2/auth`)
    expect(Object.fromEntries(url.searchParams)).toEqual({
      redirect_uri: redirectUri,
      response_type: 'code',
      client_id: app.appKey,
      scope: 'openid',
      state: 's1',
      prompt: 'consent',
    })
    const production = createWebLogin(
      createDingTalkClient({ appKey: app.appKey, appSecret: app.appSecret }),
      {
        appSecret: app.appSecret,
        form: 'oauth2',
      },
    )
    expect(production.authorizeUrl({ redirectUri, state: 's' })).toMatch(
      /^https:\/\/login\.dingtalk\.com\/oauth2\/auth\?/,
    )
    // The legacy forms stay on oapi.
    expect(production.authorizeUrl({ redirectUri, state: 's', form: 'qrconnect' })).toMatch(
      /^https:\/\/oapi\.dingtalk\.com\/connect\/qrconnect\?/,
    )
  })

  it('exchanges the code for the user token and the profile, finds the member, and spends the code', async () => {
    const back = await scanLoginPage(emu, login.authorizeUrl({ redirectUri, state: 'st' }), 'lisi')
    expect(back.searchParams.get('state')).toBe('st')
    const code = back.searchParams.get('authCode')!
    expect(back.searchParams.get('code')).toBe(code)
    const user = await login.signIn(code)
    expect(user).toMatchObject({ userId: 'lisi', unionId: 'unionlisi', nick: '李四' })
    expect(user.openId).toMatch(/^openid/)
    expect(user.mainOrgAuthHighLevel).toBeUndefined()

    // The exchange carried the secret and the code in the body (redacted in the log), the profile call the
    // user's token in the header — not the app's.
    const exchange = emu.log.find((e) => e.path === '/v1.0/oauth2/userAccessToken')!
    expect(exchange.body).toMatchObject({ clientId: app.appKey, clientSecret: '***', code: '***' })
    const appToken = await client.getAccessToken()
    const tokens = [...emu.state.office.userTokens.keys()]
    expect(tokens).toHaveLength(1)
    expect(tokens[0]).not.toBe(appToken)

    const again = await failure(login.signIn(code))
    expect(again).toBeInstanceOf(DingTalkV1ApiError)
    expect((again as DingTalkV1ApiError).apiCode).toBe('invalidAuthCode')
    expect(JSON.stringify(again)).not.toContain(code)
    expect(String((again as Error).message)).not.toContain(app.appSecret)
    expect(JSON.stringify((again as DingTalkV1ApiError).request)).not.toContain(app.appSecret)
  })

  it('a legacy code is not an OAuth2 code and the other way round', async () => {
    const legacy = emu.webLogin.issueCode(app.appKey, 'zhangsan')
    expect(await failure(login.signIn(legacy))).toBeInstanceOf(DingTalkV1ApiError)
    const modern = emu.webLogin.issueCode(app.appKey, 'zhangsan', { form: 'oauth2' })
    const legacyLogin = createWebLogin(client, { appSecret: app.appSecret })
    expect(await failure(legacyLogin.signIn(modern))).toMatchObject({ errcode: 40078 })
  })

  it('a wrong client secret is refused without leaking it', async () => {
    const wrong = createWebLogin(client, { appSecret: 'not-the-oauth2-secret', form: 'oauth2' })
    const error = await failure(
      wrong.signIn(emu.webLogin.issueCode(app.appKey, 'wangwu', { form: 'oauth2' })),
    )
    expect(error).toBeInstanceOf(DingTalkV1ApiError)
    expect(
      JSON.stringify({ message: (error as Error).message, request: (error as DingTalkV1ApiError).request }),
    ).not.toContain('not-the-oauth2-secret')
  })
})

describe('GET {prefix}/login with the OAuth2 form', () => {
  it('starts, comes back with ?authCode=, signs in; a replayed code is 401 and a wrong secret 500', async () => {
    const start = await handleWebLogin({ method: 'GET', path: '/login' }, { webLogin: login, redirectUri })
    expect(start.status).toBe(302)
    expect(start.headers.location).toContain('/oauth2/auth?')
    const cookie = start.headers['set-cookie']!.split(';')[0]!
    const back = await scanLoginPage(emu, start.headers.location!, 'wangwu')
    // DingTalk's OAuth2 redirect: authCode (the route also takes code).
    const query = { authCode: back.searchParams.get('authCode')!, state: back.searchParams.get('state')! }
    const reply = await handleWebLogin(
      { method: 'GET', path: '/login', query, headers: { cookie } },
      { webLogin: login, redirectUri },
    )
    expect(reply.status).toBe(200)
    expect(JSON.parse(reply.body)).toMatchObject({ userId: 'wangwu', unionId: 'unionwangwu', nick: '王五' })

    const replay = await handleWebLogin(
      { method: 'GET', path: '/login', query, headers: { cookie } },
      { webLogin: login, redirectUri },
    )
    expect(replay.status).toBe(401)
    expect(JSON.parse(replay.body)).toMatchObject({ error: 'invalid_code' })

    const wrong = createWebLogin(client, { appSecret: 'not-the-oauth2-secret', form: 'oauth2' })
    const code = emu.webLogin.issueCode(app.appKey, 'wangwu', { form: 'oauth2' })
    const misconfigured = await handleWebLogin(
      { method: 'GET', path: '/login', query: { code, state: query.state }, headers: { cookie } },
      { webLogin: wrong, redirectUri },
    )
    expect(misconfigured.status).toBe(500)
    expect(misconfigured.body).not.toContain('not-the-oauth2-secret')
    expect(misconfigured.body).not.toContain(code)
  })
})
