import { defaultFixture, type Emulator, pushEvent, startEmulator } from '@dingtalk-kit/emulator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type CallbackHandler,
  createCallbackHandler,
  createSuiteClient,
  type DingTalkCallbackError,
  memoryStore,
  type SuiteClient,
} from '../src/index'
import { type HandlerServer, serveHandler } from './callback-helpers'

const SUITE = defaultFixture.suites![0]!
const CUSTOMER = 'dingemucustomer0000001'
const OTHER = 'dingemu5f0c1a2b3c4d5e6f'

describe('ISV lifecycle end to end against the emulator', () => {
  let emu: Emulator
  let suite: SuiteClient
  let handler: CallbackHandler<SuiteClient>
  let server: HandlerServer
  const logged: string[] = []
  const errors: DingTalkCallbackError[] = []
  const events: string[] = []
  const secrets = new Set<string>([SUITE.suiteSecret, SUITE.token, SUITE.aesKey])

  beforeAll(async () => {
    emu = await startEmulator({ suiteTicketIntervalMs: 0 })
    const store = memoryStore()
    suite = createSuiteClient(
      { suiteKey: SUITE.suiteKey, suiteSecret: SUITE.suiteSecret },
      { baseUrl: emu.url, store, retry: { maxRetries: 0 } },
    )
    const record = (level: string) => (message: string, data?: Record<string, unknown>) =>
      void logged.push(`${level} ${message} ${JSON.stringify(data ?? {})}`)
    handler = createCallbackHandler({
      token: SUITE.token,
      aesKey: SUITE.aesKey,
      suiteClient: suite,
      store,
      onError: (error) => void errors.push(error),
      logger: { debug: record('debug'), warn: record('warn'), error: record('error') },
    })
    handler.onAny((event, context) => {
      events.push(event.EventType)
      expect(context.suiteClient).toBe(suite)
    })
    server = await serveHandler(handler, '/dingtalk/suite')
    emu.state.suites.get(SUITE.suiteKey)!.callbackUrl = server.url
  })

  afterAll(async () => {
    await emu.close()
    await handler.idle()
    await server.close()
  })

  it('answers the suite URL checks with the Random value (placeholder key while creating)', async () => {
    const create = await pushEvent({
      url: server.url,
      token: SUITE.token,
      aesKey: SUITE.aesKey,
      receiveId: 'suite4xxxxxxxxxxxxxxx',
      event: {
        EventType: 'check_create_suite_url',
        Random: 'LPIdSnlF',
        TestSuiteKey: 'suite4xxxxxxxxxxxxxxx',
      },
    })
    expect(create.attempts[0]?.reply).toBe('LPIdSnlF')
    expect(create.ok).toBe(true)
    const update = await pushEvent({
      url: server.url,
      token: SUITE.token,
      aesKey: SUITE.aesKey,
      receiveId: SUITE.suiteKey,
      event: { EventType: 'check_update_suite_url', Random: 'brdkKLMW', TestSuiteKey: SUITE.suiteKey },
      queryStyle: 'new',
    })
    expect(update.ok).toBe(true)
  })

  it('stores the pushed suite_ticket, authorises, activates, and calls an API for the corp', async () => {
    const [ticketPush] = await emu.pushSuiteTicket(SUITE.suiteKey)
    expect(ticketPush?.ok).toBe(true)
    const ticket = emu.state.suites.get(SUITE.suiteKey)!.suiteTicket!
    secrets.add(ticket)
    expect(await suite.getSuiteTicket()).toBe(ticket)

    const authorised = await emu.authorize(CUSTOMER, SUITE.suiteKey)
    secrets.add(authorised.authCode!)
    expect(authorised.push?.result?.ok).toBe(true)
    const auth = emu.state.authorizations.get(`${SUITE.suiteKey}:${CUSTOMER}`)!
    secrets.add(auth.permanentCode)
    expect(auth.activated).toBe(true)
    expect(await suite.getPermanentCode(CUSTOMER)).toBe(auth.permanentCode)

    const corp = suite.forCorp(CUSTOMER)
    const token = await corp.getAccessToken()
    secrets.add(token)
    const user = await corp.request<{ result: { userid: string } }>({
      path: '/topapi/v2/user/get',
      json: { userid: 'sunqi' },
    })
    expect(user.result.userid).toBe('sunqi')
    expect(events).toEqual(expect.arrayContaining(['suite_ticket', 'tmp_auth_code']))
  })

  it('takes the SYNC_HTTP_PUSH_HIGH form of the ticket and the authorisation too', async () => {
    emu.state.suites.get(SUITE.suiteKey)!.pushStyle = 'syncHttp'
    const [ticketPush] = await emu.pushSuiteTicket(SUITE.suiteKey)
    expect(ticketPush?.ok).toBe(true)
    const ticket = emu.state.suites.get(SUITE.suiteKey)!.suiteTicket!
    secrets.add(ticket)
    expect(await suite.getSuiteTicket()).toBe(ticket)

    const authorised = await emu.authorize(OTHER, SUITE.suiteKey)
    secrets.add(authorised.permanentCode!)
    expect(authorised.push?.result?.ok).toBe(true)
    expect(await suite.getPermanentCode(OTHER)).toBe(authorised.permanentCode)
    expect(emu.state.authorizations.get(`${SUITE.suiteKey}:${OTHER}`)?.activated).toBe(true)
    expect(events).toContain('org_suite_auth')
  })

  it('drops the corp on suite_relieve', async () => {
    const relieve = await pushEvent({
      url: server.url,
      token: SUITE.token,
      aesKey: SUITE.aesKey,
      receiveId: SUITE.suiteKey,
      event: {
        EventType: 'suite_relieve',
        SuiteKey: SUITE.suiteKey,
        AuthCorpId: CUSTOMER,
        TimeStamp: String(Date.now()),
      },
    })
    expect(relieve.ok).toBe(true)
    expect(await suite.hasCorp(CUSTOMER)).toBe(false)
    expect(await suite.hasCorp(OTHER)).toBe(true)
  })

  it('retries a tmp_auth_code whose exchange failed, within the re-pushes', async () => {
    emu.state.suites.get(SUITE.suiteKey)!.pushStyle = 'legacy'
    emu.faults.inject({ route: '/service/get_permanent_code', kind: 'http5xx', times: 1 })
    const authorised = await emu.authorize(CUSTOMER, SUITE.suiteKey)
    secrets.add(authorised.authCode!)
    const attempts = authorised.push?.result?.attempts ?? []
    expect(attempts.map((a) => a.status)).toEqual([503, 200])
    const permanent = await suite.getPermanentCode(CUSTOMER)
    secrets.add(permanent!)
    expect(emu.state.authorizations.get(`${SUITE.suiteKey}:${CUSTOMER}`)?.activated).toBe(true)
    expect(errors.some((e) => e.code === 'CALLBACK_SUITE_FAILED')).toBe(true)
  })

  it('activates on the re-push of a tmp_auth_code whose activation failed after the exchange', async () => {
    // The tmp code is single-use: exchanging it again would be 40078 on every re-push, the corp never activated.
    emu.state.suites.get(SUITE.suiteKey)!.pushStyle = 'legacy'
    // OTHER authorised the suite in an earlier test: start it over on both sides.
    await suite.removeCorp(OTHER)
    emu.state.authorizations.delete(`${SUITE.suiteKey}:${OTHER}`)
    emu.faults.inject({ route: '/service/activate_suite', kind: 'http5xx', times: 1 })
    const exchanges = (): number => emu.count('/service/get_permanent_code')
    const before = exchanges()
    const authorised = await emu.authorize(OTHER, SUITE.suiteKey)
    secrets.add(authorised.authCode!)
    expect((authorised.push?.result?.attempts ?? []).map((a) => a.status)).toEqual([503, 200])
    expect(exchanges() - before).toBe(1)
    expect(emu.state.authorizations.get(`${SUITE.suiteKey}:${OTHER}`)?.activated).toBe(true)
    const permanent = await suite.getPermanentCode(OTHER)
    secrets.add(permanent!)
    expect(permanent).toBe(emu.state.authorizations.get(`${SUITE.suiteKey}:${OTHER}`)?.permanentCode)
  })

  it('never logs or reports a secret, even for rejected requests', async () => {
    await fetch(`${server.url}?signature=${'0'.repeat(40)}&timestamp=${Date.now()}&nonce=abc`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ encrypt: 'AAAA' }),
    })
    expect(logged.length).toBeGreaterThan(0)
    expect(errors.length).toBeGreaterThan(0)
    const reported = [
      ...logged,
      ...errors.map((e) => `${e.message} ${String((e.cause as Error | undefined)?.message)}`),
    ].join('\n')
    for (const secret of secrets) expect(reported).not.toContain(secret)
  })
})
