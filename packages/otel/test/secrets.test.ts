import {
  createDingTalkClient,
  createDingTalkRoutes,
  createSuiteClient,
  createWebLogin,
  DingTalkApiError,
  memoryStore,
} from '@dingtalk-kit/core'
import { defaultFixture, type Emulator, generateAesKey, startEmulator } from '@dingtalk-kit/emulator'
import { createStreamClient, TOPIC_ROBOT } from '@dingtalk-kit/stream'
import { afterAll, beforeAll, expect, it, vi } from 'vitest'
import { ATTRIBUTES as A, instrument, METRICS } from '../src/index'
import { serveRoutes, type TestTelemetry, testTelemetry, total, useAsyncContext } from './helpers'

const org = defaultFixture.orgs[0]!
const app = org.apps![0]!
const customer = defaultFixture.orgs[1]!
const suite = defaultFixture.suites![0]!
const callback = { token: 'otel-secret-callback-token', aesKey: generateAesKey() }

let emu: Emulator
let t: TestTelemetry
let stopContext: () => void

beforeAll(async () => {
  stopContext = useAsyncContext()
  emu = await startEmulator({ suiteTicketIntervalMs: 0 })
  t = testTelemetry()
})

afterAll(async () => {
  await t.shutdown()
  await emu.close()
  stopContext()
})

/** Every secret the fixture holds and every token, ticket and code the emulator issued during the run. */
function secretsOf(emulator: Emulator): Set<string> {
  const secrets = new Set<string>([callback.token, callback.aesKey])
  const add = (value: unknown) => {
    if (typeof value === 'string' && value.length >= 6) secrets.add(value)
  }
  for (const o of defaultFixture.orgs) {
    add(o.ssoSecret)
    for (const a of o.apps ?? []) [a.appSecret, a.corpSecret].forEach(add)
  }
  for (const s of defaultFixture.suites ?? []) [s.suiteSecret, s.token, s.aesKey, s.suiteTicket].forEach(add)
  const { state } = emulator
  for (const s of state.suites.values()) [s.suiteTicket, ...s.tickets].forEach(add)
  for (const o of state.orgs.values()) [o.callback?.token, o.callback?.aesKey].forEach(add)
  for (const key of state.tokens.keys()) add(key)
  for (const key of state.tickets.keys()) add(key)
  for (const key of state.authCodes.keys()) add(key)
  for (const key of state.tmpAuthCodes.keys()) add(key)
  for (const key of state.office.userTokens.keys()) add(key)
  for (const a of state.authorizations.values()) add(a.permanentCode)
  return secrets
}

const SECRET_NAME = /secret|token|ticket|aes_?key|permanent_?code|auth_?code|^code$|signature/i

/**
 * A `fetch` that remembers every secret-named value that crossed the wire — query parameters, headers, JSON
 * fields of requests and answers — including tokens and codes the emulator has since forgotten (invalidated,
 * used once).
 */
function recordingFetch(seen: Set<string>): typeof fetch {
  const collect = (key: string, value: unknown) => {
    if (typeof value === 'string' && value.length >= 6 && SECRET_NAME.test(key)) seen.add(value)
    if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) collect(k, v)
  }
  const collectJson = (text: string) => {
    try {
      collect('', JSON.parse(text))
    } catch {
      // Not JSON (a download).
    }
  }
  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input))
    for (const [key, value] of url.searchParams) collect(key, value)
    for (const [key, value] of new Headers(init?.headers)) collect(key, value)
    if (typeof init?.body === 'string') collectJson(init.body)
    const response = await globalThis.fetch(input, init)
    collectJson(await response.clone().text())
    return response
  }
}

it('no span, span event or metric of a full run carries a secret, token, ticket, code or key', async () => {
  const wire = new Set<string>()
  const fetch = recordingFetch(wire)
  const client = createDingTalkClient(
    { appKey: app.appKey, appSecret: app.appSecret, corpId: org.corpId },
    { baseUrl: emu.url, agentId: app.agentId, retry: { baseDelayMs: 1, maxDelayMs: 4 }, fetch },
  )
  const suiteClient = createSuiteClient(suite, { baseUrl: emu.url, store: memoryStore(), fetch })
  const routes = createDingTalkRoutes({
    prefix: '/dingtalk',
    client,
    suiteClient,
    callback: { ...callback, logger: {} },
    suiteCallback: { logger: {} },
    jsapi: { allowedOrigins: ['http://127.0.0.1'] },
  })
  const telemetry = instrument({
    client,
    suiteClient,
    routes,
    tracerProvider: t.tracerProvider,
    meterProvider: t.meterProvider,
  })
  routes.on('user_add_org', async (event) => {
    for (const userId of event.UserId) await client.contacts.users.get(userId)
  })
  const server = await serveRoutes(routes)
  const stream = createStreamClient({
    clientId: app.appKey,
    clientSecret: app.appSecret,
    apiBaseUrl: emu.url,
    dispatcher: routes.dispatcher,
    hooks: telemetry.streamHooks,
    callbacks: { [TOPIC_ROBOT]: async () => ({ msgtype: 'text' }) },
    reconnect: { baseMs: 1, maxMs: 5 },
    logger: {},
  })
  let code = ''
  let oauthCode = ''
  try {
    // Corp app: callback registration (check_url), a pushed event whose handler calls DingTalk.
    await client.callbacks.register({
      tags: ['user_add_org'],
      ...callback,
      url: `${server.url}/dingtalk/callback`,
    })
    const created = await client.contacts.users.create({ name: '赵六', mobile: '13900004321', deptIds: [1] })
    await vi.waitFor(() => expect(emu.state.pushes.some((p) => p.eventType === 'user_add_org')).toBe(true))
    await emu.idle()
    // JSAPI (jsapi_ticket), SSO by code, media, a v1.0 call, a failed call, a token replay.
    const page = encodeURIComponent('http://127.0.0.1/index.html?x=1#/home')
    expect((await fetch(`${server.url}/dingtalk/jsapi-config?url=${page}`)).status).toBe(200)
    code = emu.issueAuthCode(org.corpId, 'zhangsan')
    expect((await fetch(`${server.url}/dingtalk/sso?code=${code}`)).status).toBe(200)
    expect((await fetch(`${server.url}/dingtalk/sso?code=${code}`)).status).toBe(401)
    // The web login's OAuth2 form: a code for a user access token (api.dingtalk.com), then the user's profile.
    const login = createWebLogin(client, { appSecret: app.appSecret, form: 'oauth2' })
    const authorize = login.authorizeUrl({
      redirectUri: 'https://app.example.com/dingtalk/login',
      state: 's',
    })
    const loginPage = await (await fetch(authorize)).text()
    const link = /href="([^"]+)" data-userid="lisi"/
      .exec(loginPage)![1]!
      .replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)))
    const back = await fetch(new URL(link, emu.url), { redirect: 'manual' })
    oauthCode = new URL(back.headers.get('location')!).searchParams.get('authCode')!
    expect((await login.signIn(oauthCode)).userId).toBe('lisi')
    const media = await client.media.upload({ type: 'file', file: new Uint8Array(64), filename: 'a.pdf' })
    await client.media.download(media.mediaId)
    await client.requestV1({
      method: 'POST',
      path: '/v1.0/robot/oToMessages/batchSend',
      json: { robotCode: app.appKey, userIds: ['lisi'], msgKey: 'sampleText', msgParam: '{"content":"hi"}' },
    })
    await expect(client.contacts.users.get('nobody')).rejects.toBeInstanceOf(DingTalkApiError)
    emu.invalidateToken(await client.getAccessToken())
    await client.contacts.users.get(created.userId)

    // ISV: suite_ticket and tmp_auth_code pushed to the suite callback, corp tokens both ways.
    emu.state.suites.get(suite.suiteKey)!.callbackUrl = `${server.url}/dingtalk/suite/callback`
    expect((await emu.pushSuiteTicket(suite.suiteKey))[0]?.ok).toBe(true)
    expect((await emu.authorize(customer.corpId, suite.suiteKey)).push?.result?.ok).toBe(true)
    await suiteClient.forCorp(customer.corpId).contacts.users.get(customer.users[0]!.userid)
    await suiteClient.getCorpToken(customer.corpId, { mode: 'signed' })
    await suiteClient.getAuthInfo(customer.corpId)

    // Stream: an event and its redelivery, a robot message, a server disconnect and the reconnect.
    await stream.start()
    emu.stream.redeliver(1) // the event comes again under a new messageId after its ACK (a redelivery)
    expect(await emu.stream.event(app.appKey, 'org_dept_create', { deptId: [2] }).done).toMatchObject({
      ok: true,
    })
    await emu.stream.callback(app.appKey, TOPIC_ROBOT, { msgId: 'm-secret', text: { content: 'hi' } }).done
    const [conn] = emu.stream.live(app.appKey)
    emu.stream.disconnect(conn!.id, { closeAfterMs: 10 })
    await vi.waitFor(() => expect(emu.stream.live(app.appKey).some((c) => c.id !== conn!.id)).toBe(true))
  } finally {
    await stream.close()
    await routes.dispatcher.idle()
    await server.close()
  }

  // The run covered what it claims to: every kind of span and metric is there.
  const names = new Set(t.spans().map((s) => s.name))
  for (const name of [
    'DingTalk callback user_add_org',
    'DingTalk callback check_url',
    'DingTalk callback suite_ticket',
    'DingTalk callback tmp_auth_code',
    'DingTalk stream org_dept_create',
    'DingTalk handle user_add_org',
    'DingTalk refresh access_token',
    'DingTalk refresh jsapi_ticket',
    'DingTalk refresh suite_access_token',
    'DingTalk GET /gettoken',
    'DingTalk POST /topapi/v2/user/getuserinfo',
    'DingTalk POST /v1.0/oauth2/userAccessToken',
    'DingTalk GET /v1.0/contact/users/me',
    'DingTalk POST /service/get_permanent_code',
    'DingTalk POST /service/get_corp_token',
    'DingTalk POST /v1.0/robot/oToMessages/batchSend',
    'DingTalk POST /media/upload',
  ]) {
    expect(names).toContain(name)
  }
  const points = await t.points()
  expect(total(points, METRICS.apiErrors)).toBeGreaterThanOrEqual(2) // the unknown user, the used SSO code
  expect(total(points, METRICS.streamReconnects)).toBe(1)
  expect(total(points, METRICS.streamRedeliveries)).toBe(1)
  expect(t.spans().some((s) => s.attributes[A.replayed] === true)).toBe(true)

  const secrets = new Set([...secretsOf(emu), ...wire, code, oauthCode])
  expect(wire.size).toBeGreaterThan(10)
  expect(secrets.size).toBeGreaterThanOrEqual(18)
  const values = await t.allAttributeValues()
  expect(values.length).toBeGreaterThan(300)
  const leaks = values.filter(({ value }) => [...secrets].some((secret) => value.includes(secret)))
  expect(leaks).toEqual([])
  // Paths are paths: no query string (where tokens, signatures and codes travel) ever reaches an attribute.
  expect(values.filter(({ value }) => /[?&](access_token|signature|code|suiteTicket)=/.test(value))).toEqual(
    [],
  )

  // The scan finds a leak when there is one: a span that did carry a token is caught.
  const token = [...wire].find((value) => /^[0-9a-f]{32}$/.test(value))!
  t.tracerProvider
    .getTracer('control')
    .startSpan('control', { attributes: { note: `x ${token} y` } })
    .end()
  const caught = (await t.allAttributeValues()).filter(({ value }) => value.includes(token))
  expect(caught).toEqual([{ where: 'control note', value: `x ${token} y` }])
})
