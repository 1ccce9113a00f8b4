import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type Emulator, startEmulator } from '../src/index'
import { app, corp, corpToken, getJson, manualClock, postJson } from './helpers'

let emu: Emulator
const clock = manualClock()

beforeEach(async () => {
  emu = await startEmulator({ now: clock.now })
})
afterEach(async () => {
  await emu.close()
})

describe('gettoken (§4.2)', () => {
  it('listens on 127.0.0.1 with a free port', () => {
    expect(emu.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
  })

  it('issues a 7200 s token for appkey/appsecret and returns the same one while valid', async () => {
    const first = await getJson(`${emu.url}/gettoken?appkey=${app.appKey}&appsecret=${app.appSecret}`)
    expect(first).toMatchObject({ errcode: 0, errmsg: 'ok', expires_in: 7200 })
    expect(typeof first.access_token).toBe('string')
    clock.advance(60_000)
    const second = await getJson(`${emu.url}/gettoken?appkey=${app.appKey}&appsecret=${app.appSecret}`)
    expect(second.access_token).toBe(first.access_token)
    expect(emu.count('/gettoken')).toBe(2)
  })

  it('accepts the legacy corpid/corpsecret credential with its own token', async () => {
    const legacy = await getJson(`${emu.url}/gettoken?corpid=${corp.corpId}&corpsecret=${app.corpSecret}`)
    expect(legacy.errcode).toBe(0)
    const modern = await corpToken(emu.url)
    expect(legacy.access_token).not.toBe(modern)
    expect(emu.state.tokens.get(legacy.access_token as string)).toMatchObject({
      kind: 'corp',
      corpId: corp.corpId,
      appKey: app.appKey,
    })
  })

  it('answers bad credentials as DingTalk does today (§4.2): 40096, 40035, 40089', async () => {
    const variants = [
      `appkey=nope&appsecret=${app.appSecret}`,
      `appkey=${app.appKey}&appsecret=wrong`,
      // A secret in the wrong letter case is just as wrong.
      `appkey=${app.appKey}&appsecret=${app.appSecret.toUpperCase()}`,
      `appkey=${app.appKey}`,
    ]
    for (const query of variants) {
      const answer = await getJson(`${emu.url}/gettoken?${query}`)
      expect(answer).toMatchObject({ errcode: 40096, errmsg: '不合法的appKey或appSecret' })
    }
    expect((await getJson(`${emu.url}/gettoken`)).errcode).toBe(40035)
    expect((await getJson(`${emu.url}/gettoken?appsecret=${app.appSecret}`)).errcode).toBe(40035)
    const unknownCorp = await getJson(`${emu.url}/gettoken?corpid=dingnope&corpsecret=x`)
    expect(unknownCorp.errcode).toBe(40089)
    const badCorpSecret = await getJson(`${emu.url}/gettoken?corpid=${corp.corpId}&corpsecret=wrong`)
    expect(badCorpSecret.errcode).toBe(40089)
    expect(JSON.stringify(badCorpSecret)).not.toContain('wrong')
  })

  it('issues a new token once the old one expired', async () => {
    const first = await corpToken(emu.url)
    clock.advance(7200 * 1000)
    expect((await getJson(`${emu.url}/get_jsapi_ticket?access_token=${first}`)).errcode).toBe(42001)
    const second = await corpToken(emu.url)
    expect(second).not.toBe(first)
  })
})

describe('token checks', () => {
  it('answers 41001 / 40014 / 42001 on legacy endpoints', async () => {
    expect((await getJson(`${emu.url}/get_jsapi_ticket`)).errcode).toBe(41001)
    expect((await getJson(`${emu.url}/get_jsapi_ticket?access_token=bogus`)).errcode).toBe(40014)
    const token = await corpToken(emu.url)
    expect(emu.expireTokens({ appKey: app.appKey })).toBe(1)
    expect((await getJson(`${emu.url}/get_jsapi_ticket?access_token=${token}`)).errcode).toBe(42001)
  })

  it('forgets an invalidated token (40014)', async () => {
    const token = await corpToken(emu.url)
    expect(emu.invalidateToken(token)).toBe(true)
    expect((await getJson(`${emu.url}/get_jsapi_ticket?access_token=${token}`)).errcode).toBe(40014)
  })

  it('answers topapi token failures as 88 with sub_code (§9.1)', async () => {
    const url = `${emu.url}/topapi/v2/user/getuserinfo`
    const unknown = await postJson(`${url}?access_token=bogus`, { code: 'x' })
    expect(unknown).toMatchObject({ errcode: 88, sub_code: '40014' })
    expect(typeof unknown.request_id).toBe('string')
    const token = await corpToken(emu.url)
    emu.expireTokens()
    const expired = await postJson(`${url}?access_token=${token}`, { code: 'x' })
    expect(expired).toMatchObject({ errcode: 88, sub_code: '42001' })
    expect(String(expired.errmsg)).toContain('subcode=42001')
    const missing = await postJson(url, { code: 'x' })
    expect(missing.errcode).toBe(88)
  })

  it('rejects an SSO token where a corp token is required', async () => {
    const sso = await getJson(`${emu.url}/sso/gettoken?corpid=${corp.corpId}&corpsecret=${corp.ssoSecret}`)
    expect(sso.errcode).toBe(0)
    expect((await getJson(`${emu.url}/get_jsapi_ticket?access_token=${sso.access_token}`)).errcode).toBe(
      40014,
    )
  })
})

describe('get_jsapi_ticket (§3.1)', () => {
  it('issues a ticket and a new one invalidates the previous', async () => {
    const token = await corpToken(emu.url)
    const first = await getJson(`${emu.url}/get_jsapi_ticket?access_token=${token}&type=jsapi`)
    expect(first).toMatchObject({ errcode: 0, expires_in: 7200 })
    const ticket1 = first.ticket as string
    expect(emu.isTicketValid(ticket1)).toBe(true)
    const ticket2 = (await getJson(`${emu.url}/get_jsapi_ticket?access_token=${token}`)).ticket as string
    expect(ticket2).not.toBe(ticket1)
    expect(emu.isTicketValid(ticket1)).toBe(false)
    expect(emu.isTicketValid(ticket2)).toBe(true)
    clock.advance(7200 * 1000)
    expect(emu.isTicketValid(ticket2)).toBe(false)
  })
})

describe('request log', () => {
  it('records requests with secrets replaced', async () => {
    const token = await corpToken(emu.url)
    await postJson(`${emu.url}/topapi/v2/user/getuserinfo?access_token=${token}`, { code: 'abc' })
    const [gettoken, userGet] = emu.log
    expect(gettoken).toMatchObject({
      method: 'GET',
      path: '/gettoken',
      query: { appkey: app.appKey, appsecret: '***' },
      errcode: 0,
      status: 200,
    })
    expect(userGet).toMatchObject({ method: 'POST', query: { access_token: '***' }, body: { code: '***' } })
    expect(userGet?.errcode).toBe(40078)
    expect(JSON.stringify(emu.log)).not.toContain(token)
    expect(JSON.stringify(emu.log)).not.toContain(app.appSecret)
  })
})
