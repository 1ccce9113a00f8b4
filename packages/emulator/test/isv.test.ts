import { createHmac } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { defaultFixture, type Emulator, type Fixture, startEmulator } from '../src/index'
import { customer, getJson, type Json, manualClock, postJson, suite } from './helpers'
import { type Receiver, startReceiver } from './receiver'

let emu: Emulator
let receiver: Receiver
let latestTicket = suite.suiteTicket!
const clock = manualClock()
// A receiver that answers HTTP 500 is re-pushed for hours by default (§2.1); these tests want the verdict.
const FAIL_FAST = { retries: 2, backoffMs: 10 }

async function suiteToken(): Promise<string> {
  const res = await postJson(`${emu.url}/service/get_suite_token`, {
    suite_key: suite.suiteKey,
    suite_secret: suite.suiteSecret,
    suite_ticket: latestTicket,
  })
  if (res.errcode !== 0) throw new Error(JSON.stringify(res))
  return res.suite_access_token as string
}

/** What an ISV app does on tmp_auth_code (§4.3): permanent code, then activation. */
async function onSuiteEvent(event: Json): Promise<void> {
  if (event.EventType === 'suite_ticket') latestTicket = event.SuiteTicket as string
  if (event.EventType === 'tmp_auth_code') {
    const st = await suiteToken()
    const code = await postJson(`${emu.url}/service/get_permanent_code?suite_access_token=${st}`, {
      tmp_auth_code: event.AuthCode,
    })
    await postJson(`${emu.url}/service/activate_suite?suite_access_token=${st}`, {
      suite_key: suite.suiteKey,
      auth_corpid: (code.auth_corp_info as { corpid: string }).corpid,
      permanent_code: code.permanent_code,
    })
  }
}

function fixtureWith(callbackUrl: string, pushStyle?: 'syncHttp'): Fixture {
  const fixture = structuredClone(defaultFixture)
  fixture.suites![0]!.callbackUrl = callbackUrl
  if (pushStyle) fixture.suites![0]!.pushStyle = pushStyle
  return fixture
}

beforeEach(async () => {
  latestTicket = suite.suiteTicket!
  receiver = await startReceiver({
    token: suite.token,
    aesKey: suite.aesKey,
    receiveId: suite.suiteKey,
    onEvent: onSuiteEvent,
  })
  emu = await startEmulator({
    fixture: fixtureWith(receiver.url),
    now: clock.now,
    suiteTicketIntervalMs: 0,
    push: FAIL_FAST,
  })
})
afterEach(async () => {
  await emu.close()
  await receiver.close()
})

describe('suite tickets and suite tokens (§2.3, §4.3)', () => {
  it('pushes a suite_ticket that get_suite_token then requires', async () => {
    const [result] = await emu.pushSuiteTicket(suite.suiteKey)
    expect(result?.ok).toBe(true)
    expect(receiver.events[0]).toMatchObject({ EventType: 'suite_ticket', SuiteKey: suite.suiteKey })
    expect(latestTicket).toBe(emu.state.suites.get(suite.suiteKey)?.suiteTicket)
    const res = await postJson(`${emu.url}/service/get_suite_token`, {
      suite_key: suite.suiteKey,
      suite_secret: suite.suiteSecret,
      suite_ticket: latestTicket,
    })
    expect(res).toMatchObject({ errcode: 0, expires_in: 7200 })
    expect(JSON.stringify(emu.log)).not.toContain(latestTicket)
  })

  it('answers 40088 for bad suite credentials and 40085 for a stale ticket', async () => {
    const url = `${emu.url}/service/get_suite_token`
    const body = {
      suite_key: suite.suiteKey,
      suite_secret: suite.suiteSecret,
      suite_ticket: suite.suiteTicket,
    }
    expect((await postJson(url, { ...body, suite_key: 'nope' })).errcode).toBe(40088)
    const wrong = await postJson(url, { ...body, suite_secret: 'wrong' })
    expect(wrong.errcode).toBe(40088)
    expect(wrong.errmsg).toContain('suite_secret')
    expect((await postJson(url, body)).errcode).toBe(0)
    await emu.pushSuiteTicket()
    await emu.pushSuiteTicket()
    expect((await postJson(url, body)).errcode).toBe(40085)
    expect((await postJson(url, { ...body, suite_ticket: undefined })).errcode).toBe(40085)
  })

  it('checks the suite token: 41001, 40082, 42009', async () => {
    const url = `${emu.url}/service/get_auth_info`
    const body = { auth_corpid: customer.corpId, suite_key: suite.suiteKey }
    expect((await postJson(url, body)).errcode).toBe(41001)
    expect((await postJson(`${url}?suite_access_token=bogus`, body)).errcode).toBe(40082)
    const st = await suiteToken()
    emu.expireTokens({ kind: 'suite' })
    expect((await postJson(`${url}?suite_access_token=${st}`, body)).errcode).toBe(42009)
  })

  it('pushes suite tickets on a schedule', async () => {
    await emu.close()
    emu = await startEmulator({
      fixture: fixtureWith(receiver.url),
      suiteTicketIntervalMs: 15,
      push: FAIL_FAST,
    })
    await vi.waitFor(
      () =>
        expect(receiver.events.filter((e) => e.EventType === 'suite_ticket').length).toBeGreaterThanOrEqual(
          2,
        ),
      {
        timeout: 5000,
        interval: 10,
      },
    )
    await emu.close()
    // A push already on the wire when close() aborts it can still land at the receiver, so the check is
    // that no push starts after close(), and that the receiver got nothing the emulator did not push.
    const pushed = emu.state.pushes.length
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(emu.state.pushes.length).toBe(pushed)
    expect(receiver.events.length).toBeLessThanOrEqual(pushed)
  })
})

describe('authorisation flow (§4.3)', () => {
  it('authorize → tmp_auth_code → permanent code → activate → corp token → contacts of the corp', async () => {
    await emu.pushSuiteTicket()
    const { authCode, push } = await emu.authorize(customer.corpId, suite.suiteKey)
    expect(push?.result?.ok).toBe(true)
    expect(receiver.events.at(-1)).toMatchObject({ EventType: 'tmp_auth_code', AuthCode: authCode })
    const auth = emu.state.authorizations.get(`${suite.suiteKey}:${customer.corpId}`)
    expect(auth?.activated).toBe(true)
    const st = await suiteToken()
    const corpToken = await postJson(`${emu.url}/service/get_corp_token?suite_access_token=${st}`, {
      auth_corpid: customer.corpId,
      permanent_code: auth?.permanentCode,
    })
    expect(corpToken).toMatchObject({ errcode: 0, expires_in: 7200 })
    const user = await getJson(`${emu.url}/user/get?access_token=${corpToken.access_token}&userid=sunqi`)
    expect(user).toMatchObject({ errcode: 0, name: '孙七' })
    const info = await postJson(`${emu.url}/service/get_auth_info?suite_access_token=${st}`, {
      auth_corpid: customer.corpId,
      suite_key: suite.suiteKey,
    })
    expect(info).toMatchObject({
      auth_corp_info: { corpid: customer.corpId, corp_name: '客户公司' },
      auth_user_info: { userId: 'sunqi' },
      auth_info: { agent: [{ agentid: auth?.agentId, agent_name: suite.name }] },
    })
    const agent = await postJson(`${emu.url}/service/get_agent?suite_access_token=${st}`, {
      suite_key: suite.suiteKey,
      auth_corpid: customer.corpId,
      permanent_code: auth?.permanentCode,
      agentid: auth?.agentId,
    })
    expect(agent).toMatchObject({ errcode: 0, agentid: auth?.agentId, close: 1 })
    const reuse = await postJson(`${emu.url}/service/get_permanent_code?suite_access_token=${st}`, {
      tmp_auth_code: authCode,
    })
    expect(reuse.errcode).toBe(40078)
  })

  it('issues a corp token with the signed form of §4.4; the signed-request family of errcodes', async () => {
    await emu.authorize(customer.corpId, suite.suiteKey)
    const now = String(clock.now())
    const sign = (timestamp: string, ticket: string, secret = suite.suiteSecret): string =>
      createHmac('sha256', secret).update(`${timestamp}\n${ticket}`).digest('base64')
    const call = (
      fields: { timestamp?: string; ticket?: string; signature?: string; accessKey?: string },
      corpId = customer.corpId,
    ) => {
      const timestamp = fields.timestamp ?? now
      const ticket = fields.ticket ?? latestTicket
      const signature = fields.signature ?? sign(timestamp, ticket)
      const query = `accessKey=${fields.accessKey ?? suite.suiteKey}&timestamp=${timestamp}&suiteTicket=${encodeURIComponent(ticket)}&signature=${encodeURIComponent(signature)}`
      return postJson(`${emu.url}/service/get_corp_token?${query}`, { auth_corpid: corpId })
    }
    const ok = await call({})
    expect(ok).toMatchObject({ errcode: 0 })
    expect(emu.state.tokens.get(ok.access_token as string)).toMatchObject({
      suiteKey: suite.suiteKey,
      corpId: customer.corpId,
    })
    const seconds = String(Math.floor(clock.now() / 1000))
    expect((await call({ timestamp: seconds })).errcode).toBe(853001)
    expect((await call({ timestamp: String(clock.now() - 61_000) })).errcode).toBe(853002)
    expect((await call({ accessKey: 'suitenosuchsuite' })).errcode).toBe(853003)
    expect((await call({ signature: 'AAAA' })).errcode).toBe(853004)
    expect((await call({ signature: sign(now, latestTicket, 'not-the-secret') })).errcode).toBe(853004)
    expect((await call({ ticket: 'a-ticket-dingtalk-never-pushed' })).errcode).toBe(853005)
    expect((await call({}, 'dingx')).errcode).toBe(48004)
    expect(emu.log.every((e) => e.query.signature === undefined || e.query.signature === '***')).toBe(true)
  })

  it('a test suite may sign with any suiteTicket (§4.4)', async () => {
    await emu.close()
    const fixture = fixtureWith(receiver.url)
    fixture.suites![0]!.testSuite = true
    emu = await startEmulator({ fixture, now: clock.now, suiteTicketIntervalMs: 0, push: FAIL_FAST })
    await emu.authorize(customer.corpId, suite.suiteKey)
    const timestamp = String(clock.now())
    const sig = createHmac('sha256', suite.suiteSecret).update(`${timestamp}\nany-ticket`).digest('base64')
    const query = `accessKey=${suite.suiteKey}&timestamp=${timestamp}&suiteTicket=any-ticket&signature=${encodeURIComponent(sig)}`
    const ok = await postJson(`${emu.url}/service/get_corp_token?${query}`, { auth_corpid: customer.corpId })
    expect(ok).toMatchObject({ errcode: 0 })
  })

  it('answers 42008 for an expired tmp code and 48004 for a wrong permanent code', async () => {
    receiver.mode = 'http500'
    const { authCode } = await emu.authorize(customer.corpId, suite.suiteKey)
    const st = await suiteToken()
    clock.advance(10 * 60 * 1000)
    const expired = await postJson(`${emu.url}/service/get_permanent_code?suite_access_token=${st}`, {
      tmp_auth_code: authCode,
    })
    expect(expired.errcode).toBe(42008)
    const { authCode: fresh } = await emu.authorize(customer.corpId, suite.suiteKey)
    const code = await postJson(`${emu.url}/service/get_permanent_code?suite_access_token=${st}`, {
      tmp_auth_code: fresh,
    })
    expect(code.errcode).toBe(0)
    const activate = await postJson(`${emu.url}/service/activate_suite?suite_access_token=${st}`, {
      suite_key: suite.suiteKey,
      auth_corpid: customer.corpId,
      permanent_code: 'wrong',
    })
    expect(activate.errcode).toBe(48004)
    const agent = await postJson(`${emu.url}/service/get_agent?suite_access_token=${st}`, {
      suite_key: suite.suiteKey,
      auth_corpid: customer.corpId,
      permanent_code: code.permanent_code,
      agentid: emu.state.authorizations.get(`${suite.suiteKey}:${customer.corpId}`)?.agentId,
    })
    expect(agent.close).toBe(2)
  })

  it('set_corp_ipwhitelist applies to the ISV corp token (60020)', async () => {
    await emu.authorize(customer.corpId, suite.suiteKey)
    const st = await suiteToken()
    const auth = emu.state.authorizations.get(`${suite.suiteKey}:${customer.corpId}`)
    const corpToken = await postJson(`${emu.url}/service/get_corp_token?suite_access_token=${st}`, {
      auth_corpid: customer.corpId,
      permanent_code: auth?.permanentCode,
    })
    const url = `${emu.url}/service/set_corp_ipwhitelist?suite_access_token=${st}`
    expect((await postJson(url, { auth_corpid: customer.corpId, ip_whitelist: ['1.2.3.4.5'] })).errcode).toBe(
      40035,
    )
    expect((await postJson(url, { auth_corpid: customer.corpId, ip_whitelist: ['5.6.*.*'] })).errcode).toBe(0)
    const user = await getJson(`${emu.url}/user/get?access_token=${corpToken.access_token}&userid=sunqi`)
    expect(user.errcode).toBe(60020)
  })
})

describe('SYNC_HTTP_PUSH_HIGH (§2.3)', () => {
  it('pushes suite tickets and authorisations as bizData', async () => {
    await emu.close()
    emu = await startEmulator({
      fixture: fixtureWith(receiver.url, 'syncHttp'),
      suiteTicketIntervalMs: 0,
      push: FAIL_FAST,
    })
    await emu.pushSuiteTicket()
    const ticketPush = receiver.events[0] as {
      EventType: string
      bizData: { biz_type: number; biz_data: string }[]
    }
    expect(ticketPush.EventType).toBe('SYNC_HTTP_PUSH_HIGH')
    expect(ticketPush.bizData[0]?.biz_type).toBe(2)
    const ticketData = JSON.parse(ticketPush.bizData[0]!.biz_data) as Json
    expect(ticketData).toMatchObject({
      syncAction: 'suite_ticket',
      suiteTicket: emu.state.suites.get(suite.suiteKey)?.suiteTicket,
    })
    const { permanentCode, push } = await emu.authorize(customer.corpId, suite.suiteKey)
    expect(push?.result?.ok).toBe(true)
    const authPush = receiver.events[1] as typeof ticketPush
    expect(authPush.bizData[0]?.biz_type).toBe(4)
    expect(JSON.parse(authPush.bizData[0]!.biz_data)).toMatchObject({
      syncAction: 'org_suite_auth',
      permanent_code: permanentCode,
      auth_corp_info: { corpid: customer.corpId },
    })
  })
})
