import 'reflect-metadata'
import { defaultFixture, pushEvent } from '@dingtalk-kit/emulator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningApp, startApp } from '../src/app'

const org = defaultFixture.orgs[0]!
const customer = defaultFixture.orgs[1]!
const suite = defaultFixture.suites![0]!

let running: RunningApp
beforeAll(async () => {
  running = await startApp({ port: 0, registerCallback: false })
})
afterAll(async () => {
  await running?.close()
})

const login = (body: string, headers: Record<string, string> = {}): Promise<Response> =>
  fetch(`${running.url}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: running.url, ...headers },
    body,
  })
const code = (): string => running.emulator!.issueAuthCode(org.corpId, 'zhangsan')

describe('the NestJS example under hostile input', () => {
  it('no X-Powered-By; a 404 does not echo the path or query; a 400 does not repeat the parser', async () => {
    const missing = await fetch(`${running.url}/nope/%3Cscript%3E?token=secret-looking`)
    expect(missing.status).toBe(404)
    expect(missing.headers.get('x-powered-by')).toBeNull()
    const text = await missing.text()
    expect(text).not.toMatch(/nope|script|token|secret/i)
    expect(JSON.parse(text)).toEqual({ error: 'not_found' })
    const broken = await login('{"code":')
    expect(broken.status).toBe(400)
    expect(broken.headers.get('x-powered-by')).toBeNull()
    const body = await broken.text()
    expect(body).not.toMatch(/JSON|Unexpected|position|input/i)
    expect(JSON.parse(body)).toEqual({ error: 'bad_request' })
  })

  it('login CSRF: a foreign origin, a form and a text/plain body get no session; its own page does', async () => {
    const foreign = await login(JSON.stringify({ code: code() }), { origin: 'https://evil.example' })
    expect(foreign.status).toBe(403)
    const form = await login(`code=${code()}`, { 'content-type': 'application/x-www-form-urlencoded' })
    expect(form.status).toBe(415)
    const plain = await login(JSON.stringify({ code: code() }), { 'content-type': 'text/plain' })
    expect(plain.status).toBe(415)
    for (const response of [foreign, form, plain]) expect(response.headers.getSetCookie()).toEqual([])
    const own = await login(JSON.stringify({ code: code() }))
    expect(own.status).toBe(200)
    expect(own.headers.getSetCookie().join()).toMatch(/SameSite=Lax/i)
    // The SSO route's own answers pass through unchanged.
    const used = await login(JSON.stringify({ code: 'no-such-code' }))
    expect(used.status).toBe(401)
    expect(await used.json()).toMatchObject({ error: 'invalid_code' })
  })

  it('a validly signed suite user_add_org of an authorised customer corp is answered 200', async () => {
    const emu = running.emulator!
    await emu.pushSuiteTicket(suite.suiteKey)
    const { push } = await emu.authorize(customer.corpId, suite.suiteKey)
    expect(push?.result?.ok).toBe(true)
    const result = await pushEvent({
      url: `${running.url}/dingtalk/suite/callback`,
      token: suite.token!,
      aesKey: suite.aesKey!,
      receiveId: suite.suiteKey,
      event: { EventType: 'user_add_org', CorpId: customer.corpId, UserId: ['sunqi'], TimeStamp: Date.now() },
    })
    expect(result.attempts.map((a) => a.status)).toEqual([200])
  })
  it('bogus login codes from one client: 401 until the per-client failure limit, then 429 without calling DingTalk', async () => {
    const emu = running.emulator!
    const calls = () => emu.log.filter((e) => e.path === '/topapi/v2/user/getuserinfo').length
    const before = calls()
    const statuses: number[] = []
    for (let i = 0; i < 15; i++)
      statuses.push((await login(JSON.stringify({ code: `bogus${i}code` }))).status)
    expect(statuses).toContain(401)
    expect(statuses.slice(-3)).toEqual([429, 429, 429])
    expect(calls() - before).toBeLessThanOrEqual(10)
  })
})
