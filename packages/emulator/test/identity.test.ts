import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type Emulator, startEmulator } from '../src/index'
import { corp, corpToken, customer, getJson, manualClock, postJson } from './helpers'

let emu: Emulator
const clock = manualClock()

beforeEach(async () => {
  emu = await startEmulator({ now: clock.now })
})
afterEach(async () => {
  await emu.close()
})

describe('free-login codes (§5.1)', () => {
  it('user/getuserinfo turns a code into a userid once', async () => {
    const token = await corpToken(emu.url)
    const code = emu.issueAuthCode(corp.corpId, 'zhangsan')
    const first = await getJson(`${emu.url}/user/getuserinfo?access_token=${token}&code=${code}`)
    expect(first).toMatchObject({ errcode: 0, userid: 'zhangsan', is_sys: true, sys_level: 2 })
    const again = await getJson(`${emu.url}/user/getuserinfo?access_token=${token}&code=${code}`)
    expect(again.errcode).toBe(40078)
  })

  it('topapi/v2/user/getuserinfo wraps the identity in result', async () => {
    const token = await corpToken(emu.url)
    const code = emu.issueAuthCode(corp.corpId, 'lisi')
    const res = await postJson(`${emu.url}/topapi/v2/user/getuserinfo?access_token=${token}`, { code })
    expect(res).toMatchObject({
      errcode: 0,
      result: { userid: 'lisi', name: '李四', sys: false, sys_level: 0 },
    })
    expect(typeof res.request_id).toBe('string')
  })

  it('expires codes after five minutes and refuses codes of another corp', async () => {
    const token = await corpToken(emu.url)
    const code = emu.issueAuthCode(corp.corpId, 'lisi')
    clock.advance(5 * 60 * 1000)
    expect(
      (await postJson(`${emu.url}/topapi/v2/user/getuserinfo?access_token=${token}`, { code })).errcode,
    ).toBe(40078)
    const foreign = emu.issueAuthCode(customer.corpId, 'sunqi')
    expect((await getJson(`${emu.url}/user/getuserinfo?access_token=${token}&code=${foreign}`)).errcode).toBe(
      40078,
    )
    expect((await getJson(`${emu.url}/user/getuserinfo?access_token=${token}`)).errcode).toBe(40078)
  })

  it('refuses to issue codes for unknown users', () => {
    expect(() => emu.issueAuthCode(corp.corpId, 'nobody')).toThrow(/nobody/)
    expect(() => emu.issueAuthCode('dingnope', 'lisi')).toThrow(/dingnope/)
  })
})

describe('admin SSO (§5.2)', () => {
  it('sso/gettoken + sso/getuserinfo identify the admin', async () => {
    const sso = await getJson(`${emu.url}/sso/gettoken?corpid=${corp.corpId}&corpsecret=${corp.ssoSecret}`)
    expect(sso).toMatchObject({ errcode: 0, expires_in: 7200 })
    const code = emu.issueSsoCode(corp.corpId, 'zhangsan')
    const info = await getJson(`${emu.url}/sso/getuserinfo?access_token=${sso.access_token}&code=${code}`)
    expect(info).toMatchObject({
      errcode: 0,
      is_sys: true,
      corp_info: { corpid: corp.corpId, corp_name: corp.corpName },
      user_info: { userid: 'zhangsan', name: '张三' },
    })
  })

  it('rejects a wrong SSO secret, a corp token, and app codes', async () => {
    const bad = await getJson(`${emu.url}/sso/gettoken?corpid=${corp.corpId}&corpsecret=nope`)
    expect(bad.errcode).toBe(40001)
    expect((await getJson(`${emu.url}/sso/gettoken?corpid=dingx&corpsecret=nope`)).errcode).toBe(40089)
    const token = await corpToken(emu.url)
    const code = emu.issueSsoCode(corp.corpId, 'zhangsan')
    expect((await getJson(`${emu.url}/sso/getuserinfo?access_token=${token}&code=${code}`)).errcode).toBe(
      40014,
    )
    const sso = await getJson(`${emu.url}/sso/gettoken?corpid=${corp.corpId}&corpsecret=${corp.ssoSecret}`)
    const appCode = emu.issueAuthCode(corp.corpId, 'zhangsan')
    expect(
      (await getJson(`${emu.url}/sso/getuserinfo?access_token=${sso.access_token}&code=${appCode}`)).errcode,
    ).toBe(40078)
  })
})
