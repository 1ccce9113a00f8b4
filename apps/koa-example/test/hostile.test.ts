import { connect } from 'node:net'
import { defaultFixture, pushEvent } from '@dingtalk-kit/emulator'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { type RunningApp, startApp } from '../src/app'

const org = defaultFixture.orgs[0]!
const customer = defaultFixture.orgs[1]!
const suite = defaultFixture.suites![0]!

let running: RunningApp
beforeAll(async () => {
  running = await startApp({ port: 0, registerCallback: false })
})
afterAll(async () => {
  vi.restoreAllMocks()
  await running?.close()
})

const login = (body: string, headers: Record<string, string> = {}): Promise<Response> =>
  fetch(`${running.url}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: running.url, ...headers },
    body,
  })
const code = (): string => running.emulator!.issueAuthCode(org.corpId, 'zhangsan')

/** A client that sends half a request and hangs up. */
const hangUp = (port: number, path: string, body: string): Promise<void> =>
  new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(
        `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n${body}`,
      )
      setTimeout(() => {
        socket.destroy()
        resolve()
      }, 30)
    })
    socket.on('error', () => resolve())
  })

describe('the Koa example under hostile input', () => {
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
    expect(own.headers.getSetCookie().join()).toMatch(/samesite=lax/i)
  })

  it('100 clients hanging up mid-request: debug lines, no stack trace on stderr', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined)
    const debug = vi.spyOn(console, 'debug').mockImplementation(() => undefined)
    const port = Number(new URL(running.url).port)
    await Promise.all(Array.from({ length: 100 }, () => hangUp(port, '/api/login', '{"code":')))
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(errors.mock.calls).toEqual([])
    expect(debug.mock.calls.length).toBeGreaterThan(0)
    expect(String(debug.mock.calls[0]![0])).toMatch(/^client went away: POST \/api\/login/)
    errors.mockRestore()
    debug.mockRestore()
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
