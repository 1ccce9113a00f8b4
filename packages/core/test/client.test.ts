import { defaultFixture, type Emulator, type FaultKind, startEmulator } from '@dingtalk-kit/emulator'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  type ClientHooks,
  createDingTalkClient,
  DingTalkApiError,
  type DingTalkBinaryResponse,
  type DingTalkClientOptions,
  type DingTalkCredentials,
  DingTalkCredentialsError,
  DingTalkHttpError,
  DingTalkRateLimitError,
  DingTalkRequestError,
  DingTalkTimeoutError,
  memoryStore,
  type RetryEvent,
} from '../src/index'

const org = defaultFixture.orgs[0]!
const app = org.apps![0]!
const CORP_ID = org.corpId
const APP: DingTalkCredentials = { appKey: app.appKey, appSecret: app.appSecret }
const CORP: DingTalkCredentials = { corpId: CORP_ID, corpSecret: app.corpSecret! }

// Everything every client in this file reports goes through here; the last test checks it for secrets.
const logged: unknown[] = []
const seenSecrets = new Set<string>([app.appSecret, app.corpSecret!, 'wrong-secret-value'])
const logger: ClientHooks = {
  onRequest: (e) => logged.push(e),
  onResponse: (e) => logged.push(e),
  onRetry: (e) => logged.push(e),
  onTokenRefresh: (e) => logged.push(e),
}

let emu: Emulator

beforeAll(async () => {
  emu = await startEmulator()
})

afterAll(async () => {
  await emu.close()
})

beforeEach(() => {
  emu.faults.clear()
})

function client(
  credentials: DingTalkCredentials = APP,
  options: DingTalkClientOptions & { retries?: RetryEvent[] } = {},
) {
  const retries = options.retries
  return createDingTalkClient(credentials, {
    baseUrl: emu.url,
    retry: { baseDelayMs: 1, maxDelayMs: 4 },
    tokens: { pollIntervalMs: 2 },
    ...options,
    hooks: {
      ...logger,
      onRetry: (e) => {
        logger.onRetry?.(e)
        retries?.push(e)
      },
    },
  })
}

function counter(path: string): () => number {
  const start = emu.count(path)
  return () => emu.count(path) - start
}

const remember = (value: string): string => {
  seenSecrets.add(value)
  return value
}

async function catchError(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    if (error instanceof DingTalkRequestError) logged.push(error.message, error.problemReport())
    return error
  }
  throw new Error('expected a rejection')
}

const userinfoGet = (c: ReturnType<typeof client>) =>
  c.request<{ userid: string }>({
    path: '/user/getuserinfo',
    query: { code: emu.issueAuthCode(CORP_ID, 'lisi') },
  })

const userinfoPost = (c: ReturnType<typeof client>) =>
  c.request<{ result: { userid: string; name: string } }>({
    path: '/topapi/v2/user/getuserinfo',
    json: { code: emu.issueAuthCode(CORP_ID, 'zhangsan') },
  })

describe('tokens and tickets under load', () => {
  it('1,000 concurrent cold getAccessToken() calls → exactly 1 gettoken', async () => {
    const gettoken = counter('/gettoken')
    const c = client()
    const tokens = await Promise.all(Array.from({ length: 1000 }, () => c.getAccessToken()))
    expect(gettoken()).toBe(1)
    expect(new Set(tokens).size).toBe(1)
    remember(tokens[0]!)
    expect((await userinfoGet(c)).userid).toBe('lisi')
  })

  it('1,000 concurrent cold getJsapiTicket() calls → exactly 1 get_jsapi_ticket, and the ticket is valid', async () => {
    const gettoken = counter('/gettoken')
    const tickets = counter('/get_jsapi_ticket')
    const c = client(CORP)
    const values = await Promise.all(Array.from({ length: 1000 }, () => c.getJsapiTicket()))
    expect(tickets()).toBe(1)
    expect(gettoken()).toBe(1)
    expect(new Set(values).size).toBe(1)
    expect(emu.isTicketValid(remember(values[0]!))).toBe(true)
  })

  it('three instances on one store: 300 concurrent cold calls each → 1 gettoken and 1 ticket in total', async () => {
    const store = memoryStore()
    const gettoken = counter('/gettoken')
    const tickets = counter('/get_jsapi_ticket')
    const instances = [client(APP, { store }), client(APP, { store }), client(APP, { store })]
    emu.expireTokens()
    const values = await Promise.all(
      instances.flatMap((c) =>
        Array.from({ length: 300 }, (_, i) => (i % 2 ? c.getJsapiTicket() : c.getAccessToken())),
      ),
    )
    expect(gettoken()).toBe(1)
    expect(tickets()).toBe(1)
    expect(new Set(values).size).toBe(2)
    const ticket = await instances[2]!.getJsapiTicket()
    expect(emu.isTicketValid(remember(ticket))).toBe(true)
  })

  it('forced expiry mid-run → exactly 1 refresh, every call succeeds', async () => {
    const c = client()
    remember(await c.getAccessToken())
    const gettoken = counter('/gettoken')
    const calls = counter('/user/getuserinfo')
    const first = await Promise.all(Array.from({ length: 20 }, () => userinfoGet(c)))
    expect(emu.expireTokens()).toBeGreaterThan(0)
    const second = await Promise.all(Array.from({ length: 100 }, () => userinfoGet(c)))
    expect([...first, ...second].every((r) => r.userid === 'lisi')).toBe(true)
    expect(gettoken()).toBe(1)
    expect(calls()).toBe(20 + 100 * 2)
    expect(remember(await c.getAccessToken())).not.toBe(undefined)
  })

  it('a token invalidated at DingTalk → one refresh and one replay (legacy 40014)', async () => {
    const retries: RetryEvent[] = []
    const c = client(APP, { retries })
    const old = remember(await c.getAccessToken())
    emu.invalidateToken(old)
    const gettoken = counter('/gettoken')
    const calls = counter('/user/getuserinfo')
    expect((await userinfoGet(c)).userid).toBe('lisi')
    expect(gettoken()).toBe(1)
    expect(calls()).toBe(2)
    expect(retries.map((r) => [r.reason, r.errcode])).toEqual([['TOKEN_INVALID', 40014]])
    expect(remember(await c.getAccessToken())).not.toBe(old)
  })

  it('a token invalidated at DingTalk → one refresh and one replay of a POST (topapi 88 / sub_code 40014)', async () => {
    const retries: RetryEvent[] = []
    const c = client(APP, { retries })
    emu.invalidateToken(remember(await c.getAccessToken()))
    const gettoken = counter('/gettoken')
    const calls = counter('/topapi/v2/user/getuserinfo')
    const body = await userinfoPost(c)
    expect(body.result.name).toBe('张三')
    expect(gettoken()).toBe(1)
    expect(calls()).toBe(2)
    expect(retries.map((r) => [r.reason, r.errcode])).toEqual([['TOKEN_INVALID', 88]])
  })

  it('concurrent failures with the old token do not clobber the token another caller just refreshed', async () => {
    const store = memoryStore()
    const a = client(APP, { store })
    const b = client(APP, { store })
    const old = remember(await a.getAccessToken())
    expect(await b.getAccessToken()).toBe(old)
    emu.invalidateToken(old)
    const gettoken = counter('/gettoken')
    const results = await Promise.all([
      ...Array.from({ length: 40 }, () => userinfoGet(a)),
      ...Array.from({ length: 40 }, () => userinfoGet(b)),
    ])
    expect(results.every((r) => r.userid === 'lisi')).toBe(true)
    expect(gettoken()).toBe(1)
    const fresh = remember(await a.getAccessToken())
    // A caller whose request with the old token failed late reports it now: nothing is dropped.
    await a.invalidateAccessToken(old)
    await b.invalidateAccessToken(old)
    expect(await a.getAccessToken()).toBe(fresh)
    expect(await b.getAccessToken()).toBe(fresh)
    expect(await store.get(`dingtalk:${app.appKey}:-:access_token`)).toContain(fresh)
    expect(gettoken()).toBe(1)
  })
})

describe('faults, retries and final outcomes', () => {
  type Case = {
    kind: FaultKind
    times: number
    method: 'GET' | 'POST'
    calls: number
    retries: string[]
    outcome: 'ok' | ((error: unknown) => void)
    /** Fault `/gettoken` (a truly idempotent GET) instead of `/user/getuserinfo` (which consumes its code). */
    gettoken?: boolean
  }
  const exhausted = ['x', 'x', 'x']
  const cases: [string, Case][] = [
    [
      'busy (-1) twice on a GET → 2 retries, success',
      {
        kind: 'busy',
        times: 2,
        method: 'GET',
        calls: 3,
        retries: ['SYSTEM_BUSY', 'SYSTEM_BUSY'],
        outcome: 'ok',
      },
    ],
    [
      'busy (-1) on a POST → retried (DingTalk did nothing), success',
      { kind: 'busy', times: 1, method: 'POST', calls: 2, retries: ['SYSTEM_BUSY'], outcome: 'ok' },
    ],
    [
      'busy (-1) forever → 3 retries, then DingTalkApiError -1',
      {
        kind: 'busy',
        times: Number.POSITIVE_INFINITY,
        method: 'GET',
        calls: 4,
        retries: exhausted.map(() => 'SYSTEM_BUSY'),
        outcome: (e) => {
          expect(e).toBeInstanceOf(DingTalkApiError)
          expect((e as DingTalkApiError).errcode).toBe(-1)
          expect((e as DingTalkApiError).attempts).toBe(4)
        },
      },
    ],
    [
      'punish page (the egress IP is blocked, §10) → not retried, DingTalkRateLimitError (punished)',
      {
        kind: 'punish',
        times: Number.POSITIVE_INFINITY,
        method: 'GET',
        calls: 1,
        retries: [],
        outcome: (e) => {
          expect(e).toBeInstanceOf(DingTalkRateLimitError)
          expect((e as DingTalkRateLimitError).punished).toBe(true)
          expect((e as DingTalkRateLimitError).code).toBe('RATE_LIMITED')
          expect((e as DingTalkRateLimitError).attempts).toBe(1)
        },
      },
    ],
    [
      'HTTP 502 twice on a GET → 2 retries, success',
      {
        kind: 'http5xx',
        times: 2,
        method: 'GET',
        calls: 3,
        retries: ['HTTP_ERROR', 'HTTP_ERROR'],
        outcome: 'ok',
      },
    ],
    [
      'HTTP 502 on a POST → not retried, DingTalkHttpError',
      {
        kind: 'http5xx',
        times: 1,
        method: 'POST',
        calls: 1,
        retries: [],
        outcome: (e) => {
          expect(e).toBeInstanceOf(DingTalkHttpError)
          expect((e as DingTalkHttpError).code).toBe('HTTP_ERROR')
          expect((e as DingTalkHttpError).httpStatus).toBe(502)
        },
      },
    ],
    [
      'HTTP 502 forever on a GET → 3 retries, then DingTalkHttpError',
      {
        kind: 'http5xx',
        times: Number.POSITIVE_INFINITY,
        method: 'GET',
        calls: 4,
        retries: exhausted.map(() => 'HTTP_ERROR'),
        outcome: (e) => expect((e as DingTalkHttpError).code).toBe('HTTP_ERROR'),
      },
    ],
    [
      'truncated JSON on gettoken → 1 retry, success',
      {
        kind: 'truncated',
        times: 1,
        method: 'GET',
        calls: 2,
        retries: ['INVALID_RESPONSE'],
        outcome: 'ok',
        gettoken: true,
      },
    ],
    [
      'truncated JSON on a POST → not retried (it was processed), INVALID_RESPONSE',
      {
        kind: 'truncated',
        times: 1,
        method: 'POST',
        calls: 1,
        retries: [],
        outcome: (e) => expect((e as DingTalkHttpError).code).toBe('INVALID_RESPONSE'),
      },
    ],
    [
      'HTML instead of JSON on a GET → 1 retry, success',
      { kind: 'nonJson', times: 1, method: 'GET', calls: 2, retries: ['INVALID_RESPONSE'], outcome: 'ok' },
    ],
    [
      'HTML instead of JSON on a POST → not retried, INVALID_RESPONSE',
      {
        kind: 'nonJson',
        times: 1,
        method: 'POST',
        calls: 1,
        retries: [],
        outcome: (e) => expect((e as DingTalkHttpError).code).toBe('INVALID_RESPONSE'),
      },
    ],
    [
      'connection reset on a GET → 1 retry, success',
      { kind: 'reset', times: 1, method: 'GET', calls: 2, retries: ['NETWORK_ERROR'], outcome: 'ok' },
    ],
    [
      'connection reset on a POST → not retried, NETWORK_ERROR',
      {
        kind: 'reset',
        times: 1,
        method: 'POST',
        calls: 1,
        retries: [],
        outcome: (e) => {
          expect(e).toBeInstanceOf(DingTalkHttpError)
          expect((e as DingTalkHttpError).code).toBe('NETWORK_ERROR')
        },
      },
    ],
  ]

  it.each(cases)('%s', async (_name, c) => {
    const retries: RetryEvent[] = []
    const cl = client(APP, { retries })
    if (!c.gettoken) remember(await cl.getAccessToken())
    const route = c.gettoken
      ? '/gettoken'
      : c.method === 'GET'
        ? '/user/getuserinfo'
        : '/topapi/v2/user/getuserinfo'
    const calls = counter(route)
    emu.faults.inject({ route, kind: c.kind, times: c.times })
    const run = c.gettoken ? cl.getAccessToken() : c.method === 'GET' ? userinfoGet(cl) : userinfoPost(cl)
    if (c.outcome === 'ok') await run
    else c.outcome(await catchError(run))
    expect(calls()).toBe(c.calls)
    expect(retries.map((r) => r.reason)).toEqual(c.retries)
  })

  it('latency beyond timeoutMs: a GET is retried and succeeds; a POST fails with DingTalkTimeoutError', async () => {
    const retries: RetryEvent[] = []
    const c = client(APP, { retries, timeoutMs: 1000 })
    remember(await c.getAccessToken())
    emu.faults.inject({ route: '/user/getuserinfo', kind: 'latency', ms: 5000, times: 1 })
    expect((await userinfoGet(c)).userid).toBe('lisi')
    expect(retries.map((r) => r.reason)).toEqual(['TIMEOUT'])
    emu.faults.inject({ route: '/topapi/v2/user/getuserinfo', kind: 'latency', ms: 5000, times: 1 })
    const calls = counter('/topapi/v2/user/getuserinfo')
    const error = await catchError(userinfoPost(c))
    expect(error).toBeInstanceOf(DingTalkTimeoutError)
    expect((error as DingTalkTimeoutError).code).toBe('TIMEOUT')
    expect(calls()).toBe(1)
    expect(retries).toHaveLength(1)
  })

  it('faults on gettoken itself are retried like any GET', async () => {
    const gettoken = counter('/gettoken')
    emu.faults.inject({ route: '/gettoken', kind: 'busy', times: 1 })
    emu.faults.inject({ route: '/gettoken', kind: 'reset', times: 1 })
    emu.expireTokens()
    remember(await client().getAccessToken())
    expect(gettoken()).toBe(3)
  })

  it('a user abort is not retried and rejects with the abort reason', async () => {
    const c = client()
    remember(await c.getAccessToken())
    const calls = counter('/user/getuserinfo')
    emu.faults.inject({ route: '/user/getuserinfo', kind: 'latency', ms: 1000, times: 1 })
    const controller = new AbortController()
    const run = c.request({ path: '/user/getuserinfo', query: { code: 'x' }, signal: controller.signal })
    setTimeout(() => controller.abort(new Error('user went away')), 50)
    await expect(run).rejects.toThrow('user went away')
    expect(calls()).toBeLessThanOrEqual(1)
  })
})

describe('bad credentials', () => {
  it.each([
    // §4.2: DingTalk answers 40096 for either, without saying which; both are named.
    ['a wrong appSecret', { appKey: app.appKey, appSecret: 'wrong-secret-value' }, ['appKey', 'appSecret']],
    [
      'an appSecret in the wrong letter case',
      { appKey: app.appKey, appSecret: app.appSecret.toUpperCase() },
      ['appKey', 'appSecret'],
    ],
    [
      'an unknown appKey',
      { appKey: 'dingnosuchapp', appSecret: 'wrong-secret-value' },
      ['appKey', 'appSecret'],
    ],
    ['a wrong corpSecret', { corpId: CORP_ID, corpSecret: 'wrong-secret-value' }, ['corpId', 'corpSecret']],
    [
      'an unknown corpId',
      { corpId: 'dingnosuchcorp', corpSecret: 'wrong-secret-value' },
      ['corpId', 'corpSecret'],
    ],
  ] as const)(
    '%s → DingTalkCredentialsError naming it, one gettoken for 100 callers',
    async (_n, creds, names) => {
      const gettoken = counter('/gettoken')
      const c = client(creds)
      const results = await Promise.allSettled(Array.from({ length: 100 }, () => c.getAccessToken()))
      expect(gettoken()).toBe(1)
      const error = results[0]?.status === 'rejected' ? results[0].reason : undefined
      expect(results.every((r) => r.status === 'rejected' && r.reason === error)).toBe(true)
      expect(error).toBeInstanceOf(DingTalkCredentialsError)
      expect((error as DingTalkCredentialsError).code).toBe('INVALID_CREDENTIALS')
      expect((error as DingTalkCredentialsError).credentials).toEqual(names)
      expect((error as DingTalkCredentialsError).attempts).toBe(1)
      expect((error as Error).message).toContain(`check ${names.join(' or ')}`)
      expect((error as Error).message).not.toContain('wrong-secret-value')
      logged.push((error as Error).message, (error as DingTalkCredentialsError).problemReport())
      // An API call with bad credentials fails the same way, without reaching the API.
      const calls = counter('/user/getuserinfo')
      await expect(userinfoGet(c)).rejects.toBeInstanceOf(DingTalkCredentialsError)
      expect(calls()).toBe(0)
    },
  )
})

describe('request pipeline against the emulator', () => {
  it('sends JSON as raw UTF-8 with the JSON Content-Type (no 43004, no 40033 from a strict DingTalk)', async () => {
    // strictEscapes: the old table's rule, every \uXXXX escape is 40033 (§4.1).
    const strict = await startEmulator({ strictEscapes: true })
    try {
      const c = client(APP, { baseUrl: strict.url })
      const body = await c.request<{ result: { name: string } }>({
        path: '/topapi/v2/user/getuserinfo',
        json: { code: strict.issueAuthCode(CORP_ID, 'zhangsan'), remark: '中文名字 ✓' },
      })
      expect(body.result.name).toBe('张三')
    } finally {
      await strict.close()
    }
  })

  it('a non-retryable errcode is thrown at once with the catalogue entry and a problem report', async () => {
    const c = client(APP)
    const token = remember(await c.getAccessToken())
    const calls = counter('/user/getuserinfo')
    const error = (await catchError(
      c.request({ path: '/user/getuserinfo', query: { code: 'used-code' } }),
    )) as DingTalkApiError
    expect(calls()).toBe(1)
    expect(error).toBeInstanceOf(DingTalkApiError)
    expect(error.code).toBe('API_ERROR')
    expect(error.errcode).toBe(40078)
    expect(error.info?.retryable).toBe(false)
    expect(error.request.api).toBe(`${emu.url}/user/getuserinfo`)
    const report = error.problemReport({ company: '示例科技有限公司', egressIp: '203.0.113.7' })
    expect(report).toContain(`| 访问接口的路径 API | ${emu.url}/user/getuserinfo |`)
    expect(report).toContain('示例科技有限公司')
    expect(report).toContain('203.0.113.7')
    expect(report).toContain('errcode 40078')
    expect(report).not.toContain(token)
    expect(report).not.toContain('access_token=')
  })

  it('problem reports carry the corpId and never a token or secret', async () => {
    const c = client(CORP)
    const token = remember(await c.getAccessToken())
    const error = (await catchError(
      c.request({ path: '/no/such/api', query: { debug: token } }),
    )) as DingTalkApiError
    expect(error.errcode).toBe(404)
    const report = error.problemReport()
    expect(report).toContain(`"corpid":"${CORP_ID}"`)
    expect(report).not.toContain(token)
    expect(report).not.toContain(app.corpSecret!)
  })

  it('topapi request_id and errcode 88 sub_codes are parsed', async () => {
    const c = client()
    remember(await c.getAccessToken())
    const error = (await catchError(
      c.request({ path: '/topapi/v2/user/getuserinfo', json: { code: 'no-such-code' } }),
    )) as DingTalkApiError
    expect(error.errcode).toBe(40078)
    expect(error.requestId).toMatch(/^[0-9a-f]+$/)
    expect(error.problemReport()).toContain(`| request_id | ${error.requestId} |`)
  })
})

describe('multipart and downloads against the emulator', () => {
  it('uploads a file with FormData (field media) and downloads the same bytes', async () => {
    const c = client()
    const bytes = new Uint8Array(2048).map((_, i) => i % 251)
    const form = new FormData()
    form.set('media', new Blob([bytes], { type: 'image/png' }), '头像.png')
    const uploaded = await c.request<{ media_id: string; type: string }>({
      path: '/media/upload',
      query: { type: 'image' },
      form,
    })
    expect(uploaded.type).toBe('image')
    const file = await c.request<DingTalkBinaryResponse>({
      path: '/media/get',
      query: { media_id: uploaded.media_id },
      responseType: 'bytes',
    })
    expect(file.bytes).toEqual(bytes)
    expect(file.filename).toBe('头像.png')
    expect(file.contentType).toContain('image/png')
  })

  it('a download that fails still throws the envelope’s error', async () => {
    const c = client()
    const error = await catchError(
      c.request({ path: '/media/get', query: { media_id: '@nosuch' }, responseType: 'bytes' }),
    )
    expect(error).toBeInstanceOf(DingTalkApiError)
    expect((error as DingTalkApiError).errcode).toBe(40004)
  })
})

describe('hooks', () => {
  it('see every request, response, retry and refresh; the whole file’s traffic carries no secret', async () => {
    for (const token of emu.state.tokens.keys()) seenSecrets.add(token)
    for (const ticket of emu.state.tickets.keys()) seenSecrets.add(ticket)
    expect(logged.length).toBeGreaterThan(1000)
    const text = JSON.stringify(logged)
    expect(text).toContain('"outcome":"fetched"')
    expect(text).toContain('[redacted]')
    for (const secret of seenSecrets)
      expect(text.includes(secret), 'a secret leaked into the log').toBe(false)
  })
})
