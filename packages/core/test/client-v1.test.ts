import { defaultFixture, type Emulator, startEmulator } from '@dingtalk-kit/emulator'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  type ClientHooks,
  createDingTalkClient,
  createSuiteClient,
  type DingTalkClientOptions,
  DingTalkHttpError,
  DingTalkRateLimitError,
  DingTalkV1ApiError,
  type RetryEvent,
} from '../src/index'

// The v1.0 transport (api.dingtalk.com) against the emulator, which serves /v1.0/… on its one port.
const org = defaultFixture.orgs[0]!
const app = org.apps![0]!
const customer = defaultFixture.orgs[1]!
const suiteFx = defaultFixture.suites![0]!
const BATCH_SEND = '/v1.0/robot/oToMessages/batchSend'
const message = {
  robotCode: app.appKey,
  userIds: ['zhangsan'],
  msgKey: 'sampleText',
  msgParam: JSON.stringify({ content: '你好' }),
}

let emu: Emulator
let now = 1_700_000_000_000
const logged: unknown[] = []
const tokens = new Set<string>()

beforeAll(async () => {
  emu = await startEmulator({ now: () => now })
})
afterAll(() => emu.close())
afterEach(() => emu.faults.clear())

function client(options: DingTalkClientOptions & { retries?: RetryEvent[] } = {}) {
  const { retries, ...rest } = options
  const hooks: ClientHooks = {
    onRequest: (e) => logged.push(e),
    onResponse: (e) => logged.push(e),
    onTokenRefresh: (e) => logged.push(e),
    onRetry: (e) => {
      logged.push(e)
      retries?.push(e)
    },
  }
  return createDingTalkClient(
    { appKey: app.appKey, appSecret: app.appSecret, corpId: org.corpId },
    { baseUrl: emu.url, retry: { baseDelayMs: 1, maxDelayMs: 2 }, hooks, ...rest },
  )
}

function counter(path: string): () => number {
  const start = emu.count(path)
  return () => emu.count(path) - start
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection')
    },
    (error: unknown) => error,
  )
}

describe('requestV1: api.dingtalk.com (v1.0) on the cached access_token', () => {
  it('sends the token in x-acs-dingtalk-access-token, JSON as raw UTF-8, and resolves with the payload', async () => {
    const seen: { url: string; headers: Record<string, string>; body: unknown }[] = []
    // Passes every request on to the real fetch, noting what went out.
    const observe: typeof fetch = (input, init) => {
      seen.push({
        url: String(input),
        headers: { ...(init?.headers as Record<string, string>) },
        body: init?.body,
      })
      return globalThis.fetch(input, init)
    }
    const c = client({ fetch: observe })
    expect(c.apiBaseUrl).toBe(emu.url)
    const sent = await c.requestV1<{ processQueryKey: string; invalidStaffIdList: string[] }>({
      method: 'POST',
      path: BATCH_SEND,
      json: message,
    })
    expect(sent.processQueryKey).toEqual(expect.any(String))
    expect(sent.invalidStaffIdList).toEqual([])
    expect(emu.state.robotMessages.at(-1)).toMatchObject({
      corpId: org.corpId,
      userIds: ['zhangsan'],
      msgParam: { content: '你好' },
      processQueryKey: sent.processQueryKey,
    })
    const entry = emu.log.at(-1)!
    expect(entry).toMatchObject({ path: BATCH_SEND, status: 200, query: {} })
    const token = await c.getAccessToken()
    const call = seen.at(-1)!
    expect(call.url).toBe(`${emu.url}${BATCH_SEND}`)
    expect(call.headers['x-acs-dingtalk-access-token']).toBe(token)
    expect(call.headers['Content-Type']).toMatch(/^application\/json/)
    expect(call.body).toBe(JSON.stringify(message))
    expect(call.body).toContain('你好')
    tokens.add(token)
  })

  it('shares one token with the oapi calls: one gettoken for both APIs, in either order', async () => {
    for (const first of ['oapi', 'v1'] as const) {
      const gettoken = counter('/gettoken')
      const c = client()
      const oapi = () => c.request({ path: '/user/get', query: { userid: 'zhangsan' } })
      const v1 = () => c.requestV1({ method: 'POST', path: BATCH_SEND, json: message })
      if (first === 'oapi') await Promise.all([oapi(), v1()])
      else {
        await v1()
        await oapi()
      }
      expect(gettoken()).toBe(1)
      tokens.add(await c.getAccessToken())
    }
  })

  it('a rejected token (401 InvalidAuthentication) is dropped, refreshed once and the call replayed once', async () => {
    const retries: RetryEvent[] = []
    const c = client({ retries })
    const old = await c.getAccessToken()
    emu.invalidateToken(old)
    const gettoken = counter('/gettoken')
    const sends = counter(BATCH_SEND)
    await c.requestV1({ method: 'POST', path: BATCH_SEND, json: message })
    expect(gettoken()).toBe(1)
    expect(sends()).toBe(2)
    expect(retries).toEqual([
      expect.objectContaining({ reason: 'TOKEN_INVALID', apiCode: 'InvalidAuthentication', attempt: 1 }),
    ])
    const fresh = await c.getAccessToken()
    expect(fresh).not.toBe(old)
    tokens.add(old).add(fresh)
  })

  it('a token still rejected after the replay surfaces as DingTalkV1ApiError 401 (never a loop)', async () => {
    const c = client({ hooks: { onTokenRefresh: () => emu.expireTokens() } })
    const sends = counter(BATCH_SEND)
    const error = (await rejection(
      c.requestV1({ method: 'POST', path: BATCH_SEND, json: message }),
    )) as DingTalkV1ApiError
    expect(error).toBeInstanceOf(DingTalkV1ApiError)
    expect(error).toMatchObject({
      code: 'API_ERROR',
      httpStatus: 401,
      apiCode: 'InvalidAuthentication',
      attempts: 2,
    })
    expect(sends()).toBe(2)
  })

  it('QpsLimit (HTTP 403) is retried with backoff, even for a POST, until it passes', async () => {
    const limited = await startEmulator({
      now: () => now,
      rateLimits: [{ route: BATCH_SEND, limit: 1, windowMs: 1000 }],
    })
    try {
      const retries: RetryEvent[] = []
      // The limit counts per second of the emulator's clock: each backoff moves it on by a second.
      const onRetry = (e: RetryEvent) => {
        retries.push(e)
        now += 1000
      }
      const c = client({ baseUrl: limited.url, hooks: { onRetry } })
      await c.requestV1({ method: 'POST', path: BATCH_SEND, json: message })
      const sends = limited.count(BATCH_SEND)
      await c.requestV1({ method: 'POST', path: BATCH_SEND, json: message })
      expect(limited.count(BATCH_SEND) - sends).toBe(2)
      expect(retries).toEqual([
        expect.objectContaining({ reason: 'RATE_LIMITED', apiCode: 'Forbidden.AccessDenied.QpsLimitForApi' }),
      ])
      expect(limited.state.robotMessages).toHaveLength(2)
    } finally {
      await limited.close()
    }
  })

  it('QpsLimit that never clears ends, after the retry budget, in DingTalkRateLimitError with the v1.0 code', async () => {
    const limited = await startEmulator({ rateLimits: [{ route: BATCH_SEND, limit: 0 }] })
    try {
      const retries: RetryEvent[] = []
      const c = client({ baseUrl: limited.url, retries })
      const error = (await rejection(
        c.requestV1({ method: 'POST', path: BATCH_SEND, json: message }),
      )) as DingTalkRateLimitError
      expect(error).toBeInstanceOf(DingTalkRateLimitError)
      expect(error).toMatchObject({
        code: 'RATE_LIMITED',
        httpStatus: 403,
        apiCode: 'Forbidden.AccessDenied.QpsLimitForApi',
        punished: false,
        attempts: 4,
      })
      expect(error.requestId).toEqual(expect.any(String))
      expect(error.message).toContain('Forbidden.AccessDenied.QpsLimitForApi')
      expect(retries.map((r) => [r.reason, r.apiCode])).toEqual(
        Array(3).fill(['RATE_LIMITED', 'Forbidden.AccessDenied.QpsLimitForApi']),
      )
      expect(limited.count(BATCH_SEND)).toBe(4)
      tokens.add(await c.getAccessToken())
    } finally {
      await limited.close()
    }
  })

  it('other v1.0 errors throw DingTalkV1ApiError with status, code and requestid, not retried', async () => {
    const c = client()
    const sends = counter(BATCH_SEND)
    const error = (await rejection(
      c.requestV1({ method: 'POST', path: BATCH_SEND, json: { ...message, msgParam: { content: 'x' } } }),
    )) as DingTalkV1ApiError
    expect(error).toBeInstanceOf(DingTalkV1ApiError)
    expect(error).toMatchObject({
      code: 'API_ERROR',
      httpStatus: 400,
      apiCode: 'InvalidParameter',
      attempts: 1,
    })
    expect(error.apiMessage).toContain('msgParam')
    expect(error.requestId).toEqual(expect.any(String))
    expect(error.message).toContain(`${BATCH_SEND} failed with HTTP 400 InvalidParameter`)
    expect(sends()).toBe(1)
    const report = error.problemReport()
    expect(report).toContain(`${emu.url}${BATCH_SEND}`)
    expect(report).toContain('HTTP 400, code InvalidParameter')
    expect(report).toContain(`| request_id | ${error.requestId} |`)
    expect(report).toContain('"robotCode":"dingemuappkey0001"')
    const missing = (await rejection(
      c.requestV1({ method: 'GET', path: '/v1.0/robot/nothing' }),
    )) as DingTalkV1ApiError
    expect(missing).toMatchObject({ httpStatus: 404, apiCode: 'InvalidAction.NotFound', attempts: 1 })
  })

  it('a 5xx is repeated only when the call is idempotent', async () => {
    const c = client()
    const sends = counter(BATCH_SEND)
    emu.faults.inject({ route: BATCH_SEND, kind: 'busy' })
    const error = (await rejection(
      c.requestV1({ method: 'POST', path: BATCH_SEND, json: message }),
    )) as DingTalkV1ApiError
    expect(error).toMatchObject({ httpStatus: 503, apiCode: 'ServiceUnavailable' })
    expect(sends()).toBe(1)
    emu.faults.inject({ route: BATCH_SEND, kind: 'http5xx', status: 502 })
    await c.requestV1({ method: 'POST', path: BATCH_SEND, json: message, idempotent: true })
    expect(sends()).toBe(3)
    emu.faults.inject({ route: BATCH_SEND, kind: 'http5xx', status: 502 })
    const gateway = await rejection(c.requestV1({ method: 'POST', path: BATCH_SEND, json: message }))
    expect(gateway).toBeInstanceOf(DingTalkHttpError)
    expect((gateway as DingTalkHttpError).httpStatus).toBe(502)
  })

  it("auth 'none' sends no token, and the refusal is not replayed", async () => {
    const c = client()
    const gettoken = counter('/gettoken')
    const error = (await rejection(
      c.requestV1({ method: 'POST', path: BATCH_SEND, json: message, auth: 'none' }),
    )) as DingTalkV1ApiError
    expect(error).toMatchObject({ httpStatus: 400, apiCode: 'MissingacsDingtalkAccessToken', attempts: 1 })
    expect(gettoken()).toBe(0)
  })

  it("suite.forCorp clients call v1.0 with that corp's own cached token", async () => {
    const suite = createSuiteClient(
      { suiteKey: suiteFx.suiteKey, suiteSecret: suiteFx.suiteSecret },
      { baseUrl: emu.url, retry: { baseDelayMs: 1, maxDelayMs: 2 } },
    )
    await suite.saveSuiteTicket(suiteFx.suiteTicket!)
    const { authCode } = await emu.authorize(customer.corpId, suiteFx.suiteKey)
    await suite.handleTmpAuthCode(authCode!)
    const corp = suite.forCorp(customer.corpId)
    expect(corp.apiBaseUrl).toBe(emu.url)
    const corpTokens = counter('/service/get_corp_token')
    await corp.requestV1({
      method: 'POST',
      path: BATCH_SEND,
      json: { ...message, robotCode: suiteFx.suiteKey, userIds: [customer.users[0]!.userid] },
    })
    await corp.requestV1({
      method: 'POST',
      path: BATCH_SEND,
      json: { ...message, robotCode: suiteFx.suiteKey },
    })
    expect(corpTokens()).toBe(1)
    expect(emu.state.robotMessages.at(-2)).toMatchObject({
      corpId: customer.corpId,
      robotCode: suiteFx.suiteKey,
    })
    const token = await corp.getAccessToken()
    expect(emu.state.tokens.get(token)).toMatchObject({ corpId: customer.corpId, suiteKey: suiteFx.suiteKey })
    tokens.add(token)
  })

  it('no token or secret reaches a URL, an error message, a problem report or a hook event', async () => {
    const c = client()
    const errors = await Promise.all([
      rejection(c.requestV1({ method: 'POST', path: BATCH_SEND, json: { ...message, msgParam: {} } })),
      rejection(c.requestV1({ method: 'GET', path: '/v1.0/robot/nothing', query: { q: 'x' } })),
    ])
    tokens.add(await c.getAccessToken())
    const shown = JSON.stringify([
      logged,
      errors.map((e) => [(e as Error).message, (e as DingTalkV1ApiError).problemReport()]),
      emu.log,
    ])
    expect(tokens.size).toBeGreaterThan(3)
    for (const secret of [...tokens, app.appSecret]) expect(shown).not.toContain(secret)
    expect(logged.some((e) => (e as { url?: string }).url?.includes('/v1.0/robot/nothing?q=x'))).toBe(true)
  })
})
