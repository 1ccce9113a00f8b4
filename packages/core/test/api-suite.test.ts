import { defaultFixture, type Emulator, type Fixture, startEmulator } from '@dingtalk-kit/emulator'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  type ClientHooks,
  CORPID_PLACEHOLDER,
  corpIdFromRequest,
  createSuiteClient,
  DingTalkApiError,
  DingTalkCredentialsError,
  DingTalkError,
  DingTalkSuiteError,
  homePageUrl,
  memoryStore,
  type Store,
  type SuiteClient,
  type SuiteClientOptions,
  signJsapi,
} from '../src/index'
import { type Json, startTestReceiver, type TestReceiver } from './support/receiver'

const suiteFx = defaultFixture.suites![0]!
const customer = defaultFixture.orgs[1]!
const home = defaultFixture.orgs[0]!
const SECOND_KEY = 'suiteemu0000000002'

let emu: Emulator
let receivers: TestReceiver[]
let suite: SuiteClient
let store: Store
const logged: unknown[] = []
const hooks: ClientHooks = {
  onRequest: (e) => logged.push(e),
  onResponse: (e) => logged.push(e),
  onRetry: (e) => logged.push(e),
  onTokenRefresh: (e) => logged.push(e),
}

const handlers = new Map<string, SuiteClient>()

/** What the callback handler does with suite events (§2.3), on a real HTTP endpoint. */
async function suiteReceiver(suiteKey: string, token: string, aesKey: string): Promise<TestReceiver> {
  return startTestReceiver({
    token,
    aesKey,
    receiveId: suiteKey,
    onEvent: async (event: Json) => {
      const target = handlers.get(suiteKey)
      if (target === undefined) return
      if (event.EventType === 'suite_ticket') await target.saveSuiteTicket(String(event.SuiteTicket))
      if (event.EventType === 'tmp_auth_code') await target.handleTmpAuthCode(String(event.AuthCode))
    },
  })
}

function newSuite(
  extra: SuiteClientOptions = {},
  key = suiteFx.suiteKey,
  secret = suiteFx.suiteSecret,
): SuiteClient {
  const client = createSuiteClient(
    { suiteKey: key, suiteSecret: secret, token: suiteFx.token, aesKey: suiteFx.aesKey },
    {
      baseUrl: emu.url,
      store,
      hooks,
      retry: { baseDelayMs: 1, maxDelayMs: 2 },
      tokens: { pollIntervalMs: 2 },
      ...extra,
    },
  )
  handlers.set(key, client)
  return client
}

beforeEach(async () => {
  handlers.clear()
  const first = await suiteReceiver(suiteFx.suiteKey, suiteFx.token, suiteFx.aesKey)
  const second = await suiteReceiver(SECOND_KEY, 'second-token', suiteFx.aesKey)
  receivers = [first, second]
  const fixture: Fixture = structuredClone(defaultFixture)
  fixture.suites![0]!.callbackUrl = first.url
  fixture.suites!.push({
    ...fixture.suites![0]!,
    suiteKey: SECOND_KEY,
    suiteSecret: 'second-suite-secret',
    token: 'second-token',
    callbackUrl: second.url,
    name: '第二套件',
  })
  // A failing suite callback is re-pushed for hours by default (§2.1); these tests want the verdict.
  emu = await startEmulator({ fixture, suiteTicketIntervalMs: 0, push: { retries: 2, backoffMs: 10 } })
  store = memoryStore()
  suite = newSuite()
})

afterEach(async () => {
  await emu.close()
  for (const r of receivers) await r.close()
})

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection')
    },
    (e: unknown) => e,
  )
}

const authorization = (suiteKey = suiteFx.suiteKey, corpId = customer.corpId) =>
  emu.state.authorizations.get(`${suiteKey}:${corpId}`)

describe('suite_access_token (§4.3)', () => {
  it('is a typed 40085-style error until a suite_ticket is stored, then cached', async () => {
    const error = await failure(suite.getSuiteAccessToken())
    expect(error).toBeInstanceOf(DingTalkSuiteError)
    expect(error).toMatchObject({ code: 'SUITE_TICKET_MISSING', errcode: 40085, suiteKey: suiteFx.suiteKey })
    expect(emu.count('/service/get_suite_token')).toBe(0)

    const [push] = await emu.pushSuiteTicket(suiteFx.suiteKey)
    expect(push?.ok).toBe(true)
    expect(await suite.getSuiteTicket()).toBe(emu.state.suites.get(suiteFx.suiteKey)?.suiteTicket)
    const token = await suite.getSuiteAccessToken()
    expect(await Promise.all([suite.getSuiteAccessToken(), suite.getSuiteAccessToken()])).toEqual([
      token,
      token,
    ])
    expect(emu.count('/service/get_suite_token')).toBe(1)
    // Another instance on the same store shares it.
    expect(await newSuite().getSuiteAccessToken()).toBe(token)
    expect(emu.count('/service/get_suite_token')).toBe(1)
  })

  it('a stale ticket is DingTalk 40085; wrong suite credentials a credentials error', async () => {
    await suite.saveSuiteTicket('stale-ticket')
    const stale = await failure(suite.getSuiteAccessToken())
    expect(stale).toBeInstanceOf(DingTalkApiError)
    expect((stale as DingTalkApiError).errcode).toBe(40085)
    await emu.pushSuiteTicket(suiteFx.suiteKey)
    const wrong = newSuite({}, suiteFx.suiteKey, 'wrong-suite-secret')
    const error = await failure(wrong.getSuiteAccessToken())
    expect(error).toBeInstanceOf(DingTalkCredentialsError)
    expect((error as DingTalkCredentialsError).credentials).toEqual(['suiteKey', 'suiteSecret'])
    expect((error as Error).message).not.toContain('wrong-suite-secret')
  })

  it('an expired suite token (42009) is refreshed and the call replayed once', async () => {
    await emu.pushSuiteTicket(suiteFx.suiteKey)
    await emu.authorize(customer.corpId, suiteFx.suiteKey)
    expect(emu.count('/service/get_suite_token')).toBe(1)
    emu.expireTokens({ kind: 'suite' })
    const info = await suite.getAuthInfo(customer.corpId)
    expect(info.corp).toMatchObject({ corpId: customer.corpId, corpName: '客户公司' })
    expect(emu.count('/service/get_suite_token')).toBe(2)
  })
})

describe('the ISV flow end to end', () => {
  it('ticket → suite token → authorize → tmp code → permanent code → activate → corp token → APIs', async () => {
    await emu.pushSuiteTicket(suiteFx.suiteKey)
    const { authCode, push } = await emu.authorize(customer.corpId, suiteFx.suiteKey)
    expect(push?.result?.ok).toBe(true)
    const granted = authorization()!
    expect(granted.activated).toBe(true)
    expect(await suite.hasCorp(customer.corpId)).toBe(true)
    expect(await suite.getPermanentCode(customer.corpId)).toBe(granted.permanentCode)
    // The tmp code was single-use.
    const reused = await failure(suite.getPermanentCode({ tmpAuthCode: authCode! }))
    expect((reused as DingTalkApiError).errcode).toBe(40078)
    expect(((await failure(suite.handleTmpAuthCode('bogus'))) as DingTalkApiError).errcode).toBe(40078)

    const corp = suite.forCorp(customer.corpId)
    expect(suite.forCorp(customer.corpId)).toBe(corp)
    expect(corp.corpId).toBe(customer.corpId)
    expect((await corp.contacts.users.get('sunqi')).name).toBe('孙七')
    expect((await corp.contacts.legacy.users.get('sunqi')).isAdmin).toBe(true)
    expect(emu.count('/service/get_corp_token')).toBe(1)
    const token = await corp.getAccessToken()
    expect(emu.state.tokens.get(token)).toMatchObject({ suiteKey: suiteFx.suiteKey, corpId: customer.corpId })

    // DingTalk opens the home page with $CORPID$ replaced; the backend reads the corpId back from the URL.
    const url = homePageUrl('https://isv.example.com/app#/home').replace(CORPID_PLACEHOLDER, customer.corpId)
    expect(suite.forCorp(corpIdFromRequest(url)!)).toBe(corp)
    const config = await corp.jsapi.createConfig({ url, jsApiList: ['biz.contact.choose'] })
    const ticket = await corp.getJsapiTicket()
    expect(config).toMatchObject({ agentId: String(granted.agentId), corpId: customer.corpId })
    expect(config.signature).toBe(
      signJsapi({ ticket, nonceStr: config.nonceStr, timeStamp: config.timeStamp, url }),
    )
    expect(emu.isTicketValid(ticket)).toBe(true)
    // The agentId was learnt once from get_auth_info and kept in the store.
    const authInfoCalls = emu.count('/service/get_auth_info')
    await corp.jsapi.createConfig({ url, jsApiList: [] })
    expect(emu.count('/service/get_auth_info')).toBe(authInfoCalls)

    const { taskId } = await corp.messages.sendWorkNotice({
      userIds: ['sunqi'],
      message: { type: 'text', content: '欢迎使用' },
    })
    expect(emu.state.messages.at(-1)).toMatchObject({
      taskId,
      agentId: granted.agentId,
      corpId: customer.corpId,
    })
  })

  it('auth info, agent, activation and the IP whitelist', async () => {
    await emu.pushSuiteTicket(suiteFx.suiteKey)
    await emu.authorize(customer.corpId, suiteFx.suiteKey)
    const granted = authorization()!
    const info = await suite.getAuthInfo(customer.corpId)
    expect(info.authUser.userId).toBe('sunqi')
    expect(info.agents[0]).toMatchObject({
      agentId: granted.agentId,
      agentName: suiteFx.name,
      adminList: ['sunqi'],
    })
    expect(await suite.getAgent(customer.corpId)).toMatchObject({ agentId: granted.agentId, close: 1 })
    expect(((await failure(suite.getAgent(customer.corpId, 1))) as DingTalkApiError).errcode).toBe(40056)
    granted.activated = false
    expect((await suite.getAgent(customer.corpId)).close).toBe(2)
    await suite.activateSuite(customer.corpId)
    expect(granted.activated).toBe(true)

    const corp = suite.forCorp(customer.corpId)
    await suite.setCorpIpWhitelist(customer.corpId, ['10.1.*.*'])
    expect(((await failure(corp.contacts.users.get('sunqi'))) as DingTalkApiError).errcode).toBe(60020)
    expect(
      ((await failure(suite.setCorpIpWhitelist(customer.corpId, ['1.2.3.4.5']))) as DingTalkApiError).errcode,
    ).toBe(40035)
    await suite.setCorpIpWhitelist(customer.corpId, ['127.0.*.*'])
    expect((await corp.contacts.users.get('sunqi')).userId).toBe('sunqi')
  })

  it('the signed corp-token form of §4.4', async () => {
    await emu.pushSuiteTicket(suiteFx.suiteKey)
    await emu.authorize(customer.corpId, suiteFx.suiteKey)
    const signed = newSuite({ corpTokenMode: 'signed' })
    const corp = signed.forCorp(customer.corpId)
    expect((await corp.contacts.users.get('sunqi')).name).toBe('孙七')
    const call = emu.log.filter((e) => e.path === '/service/get_corp_token').at(-1)!
    expect(call.query).toMatchObject({ accessKey: suiteFx.suiteKey, signature: '***', suiteTicket: '***' })
    expect(call.query.suite_access_token).toBeUndefined()
    const direct = await suite.getCorpToken(customer.corpId, { mode: 'signed' })
    expect(emu.state.tokens.get(direct.accessToken)?.corpId).toBe(customer.corpId)
    const unknown = await failure(signed.getCorpToken('dingnobody'))
    expect((unknown as DingTalkApiError).errcode).toBe(48004)
    // §4.4: signed with the wrong suite secret names it; a ticket DingTalk does not know is 853005.
    const wrongSecret = newSuite({ corpTokenMode: 'signed' }, suiteFx.suiteKey, 'not-the-suite-secret')
    const rejected = await failure(wrongSecret.getCorpToken(customer.corpId))
    expect(rejected).toBeInstanceOf(DingTalkCredentialsError)
    expect((rejected as DingTalkCredentialsError).credentials).toEqual(['suiteSecret'])
    expect((rejected as Error).message).not.toContain('not-the-suite-secret')
    await signed.saveSuiteTicket('a-ticket-dingtalk-never-pushed')
    const stale = await failure(signed.getCorpToken(customer.corpId))
    expect(stale).not.toBeInstanceOf(DingTalkCredentialsError)
    expect((stale as DingTalkApiError).errcode).toBe(853005)
    expect((stale as DingTalkApiError).info?.action).toContain('latest suite_ticket')
    const noTicket = createSuiteClient(
      { suiteKey: suiteFx.suiteKey, suiteSecret: suiteFx.suiteSecret },
      { baseUrl: emu.url, corpTokenMode: 'signed' },
    )
    expect(await failure(noTicket.getCorpToken(customer.corpId))).toMatchObject({
      code: 'SUITE_TICKET_MISSING',
    })
  })

  it('suite_relieve: removeCorp drops the permanent code and the corp tokens', async () => {
    await emu.pushSuiteTicket(suiteFx.suiteKey)
    await emu.authorize(customer.corpId, suiteFx.suiteKey)
    const corp = suite.forCorp(customer.corpId)
    await corp.getAccessToken()
    await suite.removeCorp(customer.corpId)
    expect(await suite.hasCorp(customer.corpId)).toBe(false)
    expect(await suite.getPermanentCode(customer.corpId)).toBeUndefined()
    const error = await failure(suite.forCorp(customer.corpId).getAccessToken())
    expect(error).toBeInstanceOf(DingTalkSuiteError)
    expect(error).toMatchObject({ code: 'CORP_NOT_AUTHORIZED', corpId: customer.corpId, errcode: 48004 })
    expect(suite.forCorp(customer.corpId)).not.toBe(corp)
    expect(await failure(suite.getAuthInfo('dingnobody'))).toMatchObject({ code: 'CORP_NOT_AUTHORIZED' })
  })

  it('a failed store write fails the tmp_auth_code flow before activation (DingTalk re-pushes)', async () => {
    await emu.pushSuiteTicket(suiteFx.suiteKey)
    const broken: Store = {
      ...store,
      set: async (key, value, ttl) => {
        if (key.endsWith(':permanent_code')) throw new DingTalkError('STORE_UNAVAILABLE', 'store is down')
        return store.set(key, value, ttl)
      },
    }
    newSuite({ store: broken })
    const { push } = await emu.authorize(customer.corpId, suiteFx.suiteKey)
    expect(push?.result?.ok).toBe(false)
    expect(emu.count('/service/activate_suite')).toBe(0)
    expect(authorization()?.activated).toBe(false)
  })

  it('one store serves two suites authorised by the same corp, and a suite many corps, without collisions', async () => {
    const second = newSuite({}, SECOND_KEY, 'second-suite-secret')
    await emu.pushSuiteTicket()
    await emu.authorize(customer.corpId, suiteFx.suiteKey)
    await emu.authorize(customer.corpId, SECOND_KEY)
    await emu.authorize(home.corpId, suiteFx.suiteKey)
    expect(authorization(SECOND_KEY)?.activated).toBe(true)
    const codes = [
      await suite.getPermanentCode(customer.corpId),
      await second.getPermanentCode(customer.corpId),
      await suite.getPermanentCode(home.corpId),
    ]
    expect(new Set(codes).size).toBe(3)
    expect(await second.hasCorp(home.corpId)).toBe(false)
    const tokens = await Promise.all([
      suite.forCorp(customer.corpId).getAccessToken(),
      second.forCorp(customer.corpId).getAccessToken(),
      suite.forCorp(home.corpId).getAccessToken(),
    ])
    expect(new Set(tokens).size).toBe(3)
    expect(emu.state.tokens.get(tokens[1]!)).toMatchObject({ suiteKey: SECOND_KEY, corpId: customer.corpId })
    expect((await suite.forCorp(home.corpId).contacts.users.get('zhangsan')).name).toBe('张三')
    expect(await suite.getSuiteAccessToken()).not.toBe(await second.getSuiteAccessToken())
  })

  it('never reports a secret, ticket, token or permanent code through hooks or errors', async () => {
    await emu.pushSuiteTicket(suiteFx.suiteKey)
    await emu.authorize(customer.corpId, suiteFx.suiteKey)
    const corp = suite.forCorp(customer.corpId)
    await corp.contacts.users.get('sunqi')
    await suite.getCorpToken(customer.corpId, { mode: 'signed' })
    const error = await failure(corp.contacts.users.get('ghost'))
    const secrets = [
      suiteFx.suiteSecret,
      (await suite.getSuiteTicket())!,
      await suite.getSuiteAccessToken(),
      (await suite.getPermanentCode(customer.corpId))!,
      await corp.getAccessToken(),
    ]
    const text =
      JSON.stringify(logged) +
      String((error as Error).message) +
      JSON.stringify((error as DingTalkApiError).request)
    for (const secret of secrets) expect(text).not.toContain(secret)
    expect(logged.length).toBeGreaterThan(5)
  })
})
