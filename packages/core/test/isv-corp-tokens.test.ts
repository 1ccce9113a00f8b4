import { defaultFixture, type Emulator, startEmulator } from '@dingtalk-kit/emulator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSuiteClient, memoryStore, type RetryEvent, type Store, type SuiteClient } from '../src/index'

const suiteFx = defaultFixture.suites![0]!
const customer = defaultFixture.orgs[1]!

// §4.3: whether get_corp_token re-returns a valid corp token is not confirmed; a newer document says it issues a
// new one each time. With the emulator answering that way, instances sharing a store must still work.
describe("ISV corp tokens when get_corp_token replaces the previous token (emulator corpTokens: 'replace')", () => {
  let emu: Emulator
  let store: Store
  const retries: RetryEvent[] = []
  const instance = (): SuiteClient =>
    createSuiteClient(
      {
        suiteKey: suiteFx.suiteKey,
        suiteSecret: suiteFx.suiteSecret,
        token: suiteFx.token,
        aesKey: suiteFx.aesKey,
      },
      {
        baseUrl: emu.url,
        store,
        retry: { baseDelayMs: 1, maxDelayMs: 2 },
        tokens: { pollIntervalMs: 2 },
        hooks: { onRetry: (e) => retries.push(e) },
      },
    )

  beforeAll(async () => {
    emu = await startEmulator({ suiteTicketIntervalMs: 0, corpTokens: 'replace', push: { retries: 0 } })
    store = memoryStore()
    const first = instance()
    await first.saveSuiteTicket(suiteFx.suiteTicket!)
    const { authCode } = await emu.authorize(customer.corpId, suiteFx.suiteKey)
    await first.handleTmpAuthCode(authCode!)
  })
  afterAll(() => emu?.close())

  it('the emulator: a second get_corp_token is a new token and the first one is refused (88 / 40014)', async () => {
    const a = instance().forCorp(customer.corpId)
    const old = await a.getAccessToken()
    const fresh = await instance().forCorp(customer.corpId).getAccessToken()
    expect(fresh).toBe(old) // the second instance takes the stored token: no second fetch
    const before = emu.count('/service/get_corp_token')
    await a.invalidateAccessToken(old)
    const replaced = await a.getAccessToken()
    expect(replaced).not.toBe(old)
    expect(emu.count('/service/get_corp_token') - before).toBe(1)
    const answer = await fetch(`${emu.url}/topapi/v2/user/get?access_token=${old}`, {
      method: 'POST',
      body: JSON.stringify({ userid: 'sunqi' }),
    })
    // topapi answers 88 with sub_code 40014 (§4.5): the token is no longer valid.
    expect(await answer.json()).toMatchObject({ errcode: 88, sub_code: '40014' })
  })

  it('one instance replaces the token: the others replay once with the stored one, no extra fetch, no failure', async () => {
    const a = instance().forCorp(customer.corpId)
    const b = instance().forCorp(customer.corpId)
    const held = await a.getAccessToken()
    expect(await b.getAccessToken()).toBe(held)
    // B is told the token is bad (or its refresh comes first) and fetches a new one: A's copy is now dead.
    await b.invalidateAccessToken(held)
    const before = emu.count('/service/get_corp_token')
    expect(await b.getAccessToken()).not.toBe(held)
    retries.length = 0
    const users = await Promise.all(Array.from({ length: 20 }, () => a.contacts.users.get('sunqi')))
    expect(users.every((u) => u.userId === 'sunqi')).toBe(true)
    expect(emu.count('/service/get_corp_token') - before).toBe(1)
    expect(retries.length).toBeGreaterThan(0)
    expect(retries.every((r) => r.reason === 'TOKEN_INVALID')).toBe(true)
  })
})
