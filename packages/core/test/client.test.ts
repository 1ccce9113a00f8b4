import { startEmulator } from '@dingtalk-kit/emulator'
import { describe, expect, it } from 'vitest'
import {
  DingTalkApiError,
  type DingTalkBinaryResponse,
  DingTalkCredentialsError,
  memoryStore,
  type RetryEvent,
} from '../src/index'
import {
  APP,
  app,
  CORP,
  CORP_ID,
  catchError,
  client,
  counter,
  emu,
  logged,
  loggedWithoutSecrets,
  remember,
  useEmulator,
  userinfoGet,
  userinfoPost,
} from './client-helpers'

// Faults and retries are in client-faults.test.ts.

useEmulator()

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
    expect(logged.length).toBeGreaterThan(1000)
    const text = loggedWithoutSecrets()
    expect(text).toContain('"outcome":"fetched"')
    expect(text).toContain('[redacted]')
  })
})
