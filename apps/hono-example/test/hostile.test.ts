import { defaultFixture, pushEvent } from '@dingtalk-kit/emulator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningExample, startApp } from '../src/app'

const org = defaultFixture.orgs[0]!
const customer = defaultFixture.orgs[1]!
const suite = defaultFixture.suites![0]!

let running: RunningExample
beforeAll(async () => {
  running = await startApp({ port: 0, sessionSecret: 'test-session-secret' })
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
const code = (corpId = org.corpId, userId = 'zhangsan'): string =>
  running.emulator!.issueAuthCode(corpId, userId)

describe('the Hono example under hostile input', () => {
  it('POST /api/login: a corpId with illegal characters → 400, a corp that never authorised the suite → 403', async () => {
    const illegal = await login(JSON.stringify({ code: code(), corpId: 'ding"><script>' }))
    expect(illegal.status).toBe(400)
    expect(await illegal.json()).toMatchObject({ error: 'bad_request' })
    const stranger = await login(JSON.stringify({ code: code(), corpId: 'dingnotauthorised000' }))
    expect(stranger.status).toBe(403)
    expect(illegal.headers.getSetCookie()).toEqual([])
    expect(stranger.headers.getSetCookie()).toEqual([])
  })

  it('login CSRF: a foreign origin, a text/plain body holding JSON and a form get no session', async () => {
    const foreign = await login(JSON.stringify({ code: code() }), { origin: 'https://evil.example' })
    expect(foreign.status).toBe(403)
    const plain = await login(JSON.stringify({ code: code() }), { 'content-type': 'text/plain' })
    expect(plain.status).toBe(415)
    const form = await login(`code=${code()}`, { 'content-type': 'application/x-www-form-urlencoded' })
    expect(form.status).toBe(415)
    for (const response of [foreign, plain, form]) expect(response.headers.getSetCookie()).toEqual([])
    // The same request from the app's own page signs in, with a SameSite cookie.
    const own = await login(JSON.stringify({ code: code() }))
    expect(own.status).toBe(200)
    expect(own.headers.getSetCookie().join()).toMatch(/SameSite=Lax/i)
  })

  it('a validly signed suite user_add_org of an authorised customer corp is answered 200, not 503 forever', async () => {
    const emu = running.emulator!
    await emu.pushSuiteTicket(suite.suiteKey)
    const { push } = await emu.authorize(customer.corpId, suite.suiteKey)
    expect(push?.result?.ok).toBe(true)
    const before = running.directory.size
    const result = await pushEvent({
      url: `${running.url}/dingtalk/suite/callback`,
      token: suite.token!,
      aesKey: suite.aesKey!,
      receiveId: suite.suiteKey,
      event: { EventType: 'user_add_org', CorpId: customer.corpId, UserId: ['sunqi'], TimeStamp: Date.now() },
      retries: 2,
    })
    expect(result.attempts.map((a) => a.status)).toEqual([200])
    expect(result.ok).toBe(true)
    // The directory is the own corp's: the customer's user is not in it.
    expect(running.directory.size).toBe(before)
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
