import { request } from 'node:http'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type Emulator, startEmulator } from '../src/index'
import { app, corpToken, getJson, postJson } from './helpers'

let emu: Emulator

beforeEach(async () => {
  emu = await startEmulator({ maxBodyBytes: 64 * 1024 })
})
afterEach(async () => {
  await emu.close()
})

const tokenUrl = (): string => `${emu.url}/gettoken?appkey=${app.appKey}&appsecret=${app.appSecret}`

describe('faults', () => {
  it('answers HTTP 5xx with an HTML page, once by default', async () => {
    emu.faults.inject({ route: '/gettoken', kind: 'http5xx', status: 503 })
    const res = await fetch(tokenUrl())
    expect(res.status).toBe(503)
    expect(res.headers.get('content-type')).toContain('text/html')
    expect((await getJson(tokenUrl())).errcode).toBe(0)
    expect(emu.log.map((e) => e.fault)).toEqual(['http5xx', undefined])
  })

  it('truncates the JSON while still processing the request', async () => {
    emu.faults.inject({ route: '/gettoken', kind: 'truncated' })
    const text = await (await fetch(tokenUrl())).text()
    expect(() => JSON.parse(text)).toThrow()
    expect(text.startsWith('{"errcode":0')).toBe(true)
    expect(emu.state.tokens.size).toBe(1)
  })

  it('answers an HTML page with HTTP 200 (nonJson)', async () => {
    emu.faults.inject({ kind: 'nonJson' })
    const res = await fetch(tokenUrl())
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('<html>')
  })

  it('resets the connection', async () => {
    emu.faults.inject({ route: '/gettoken', kind: 'reset' })
    await expect(fetch(tokenUrl())).rejects.toThrow()
    expect(emu.log[0]).toMatchObject({ path: '/gettoken', status: 0, fault: 'reset' })
    expect((await getJson(tokenUrl())).errcode).toBe(0)
  })

  it("answers §10's punish page without an errcode", async () => {
    emu.faults.inject({ kind: 'punish', times: 2 })
    const first = await getJson(tokenUrl())
    expect(first).toMatchObject({ status: 1111, wait: 5, source: 'x5', punish: 'deny' })
    expect(first.errcode).toBeUndefined()
    expect((await getJson(tokenUrl())).punish).toBe('deny')
    expect((await getJson(tokenUrl())).errcode).toBe(0)
  })

  it('answers errcode -1 (system busy) on demand, on one route only', async () => {
    emu.faults.inject({ route: '/get_jsapi_ticket', kind: 'busy', times: Number.POSITIVE_INFINITY })
    const token = await corpToken(emu.url)
    for (let i = 0; i < 3; i++) {
      expect((await getJson(`${emu.url}/get_jsapi_ticket?access_token=${token}`)).errcode).toBe(-1)
    }
    expect(emu.faults.list()).toHaveLength(1)
    emu.faults.clear()
    expect((await getJson(`${emu.url}/get_jsapi_ticket?access_token=${token}`)).errcode).toBe(0)
  })

  it('delays answers (latency) and combines with another fault', async () => {
    emu.faults.inject({ kind: 'latency', ms: 30 })
    emu.faults.inject({ kind: 'busy' })
    const res = await getJson(tokenUrl())
    expect(res.errcode).toBe(-1)
    expect(emu.log[0]?.fault).toBe('busy')
    expect(emu.faults.list()).toHaveLength(0)
  })

  it('rejects a non-positive times', () => {
    expect(() => emu.faults.inject({ kind: 'busy', times: 0 })).toThrow(TypeError)
  })
})

describe('bad input never crashes the emulator', () => {
  it('answers unknown paths with a 404 envelope, unknown topapi methods with 22', async () => {
    expect((await getJson(`${emu.url}/no/such/api`)).errcode).toBe(404)
    const topapi = await postJson(`${emu.url}/topapi/no/such`, {})
    expect(topapi.errcode).toBe(22)
    expect(typeof topapi.request_id).toBe('string')
  })

  it('answers the wrong method with 43001 / 43002', async () => {
    expect((await postJson(tokenUrl(), {})).errcode).toBe(43001)
    const token = await corpToken(emu.url)
    expect((await getJson(`${emu.url}/topapi/v2/user/getuserinfo?access_token=${token}`)).errcode).toBe(43002)
  })

  it('answers 43004 without a JSON Content-Type, 47001 on malformed JSON, 44002 on an empty body', async () => {
    const token = await corpToken(emu.url)
    const url = `${emu.url}/topapi/v2/user/getuserinfo?access_token=${token}`
    const plain = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: '{}' })
    expect(((await plain.json()) as { errcode: number }).errcode).toBe(43004)
    expect((await postJson(url, '{"code":')).errcode).toBe(47001)
    expect((await postJson(url, '[1,2]')).errcode).toBe(47001)
    expect((await postJson(url, '')).errcode).toBe(44002)
  })

  it('answers 40033 for escaped control characters and quoted codes, accepts escaped Chinese (§4.1)', async () => {
    const token = await corpToken(emu.url)
    const url = `${emu.url}/topapi/v2/user/getuserinfo?access_token=${token}`
    // As DingTalk today: escaped text is accepted (the code is simply unknown), a NUL is not.
    expect((await postJson(url, '{"code":"\\u5f20\\u4e09"}')).errcode).toBe(40078)
    expect((await postJson(url, '{"code":"a\\u0000b"}')).errcode).toBe(40033)
    expect((await postJson(url, JSON.stringify({ code: 'a"b' }))).errcode).toBe(40033)
    expect((await getJson(`${emu.url}/user/getuserinfo?access_token=${token}&code=a%00b`)).errcode).toBe(
      40033,
    )
    expect((await postJson(url, '{"code":"张三"}')).errcode).toBe(40078)
    expect((await postJson(url, '{"code":"a\\\\u0000"}')).errcode).toBe(40078)
  })

  it('strictEscapes: 40033 for every \\uXXXX escape, as the old table says', async () => {
    const strict = await startEmulator({ strictEscapes: true })
    try {
      const token = await corpToken(strict.url)
      const url = `${strict.url}/topapi/v2/user/getuserinfo?access_token=${token}`
      expect((await postJson(url, '{"code":"\\u5f20\\u4e09"}')).errcode).toBe(40033)
      expect((await postJson(url, '{"code":"张三"}')).errcode).toBe(40078)
      expect((await postJson(url, '{"code":"a\\\\u1234"}')).errcode).toBe(40078)
    } finally {
      await strict.close()
    }
  })

  it('answers an errcode for a body over the limit and keeps serving', async () => {
    const token = await corpToken(emu.url)
    const url = `${emu.url}/topapi/v2/user/getuserinfo?access_token=${token}`
    const huge = JSON.stringify({ code: 'x'.repeat(200 * 1024) })
    expect((await postJson(url, huge)).errcode).toBe(40035)
    expect((await getJson(tokenUrl())).errcode).toBe(0)
  })

  it('survives a client that disconnects mid-body', async () => {
    await new Promise<void>((resolve) => {
      const req = request(`${emu.url}/topapi/v2/user/getuserinfo`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Content-Length': '1000' },
      })
      req.on('error', () => resolve())
      req.write('{"code":')
      setTimeout(() => {
        req.destroy()
        resolve()
      }, 20)
    })
    expect((await getJson(tokenUrl())).errcode).toBe(0)
  })
})

describe('guards', () => {
  it('answers 60020 from an IP outside the whitelist', async () => {
    await emu.close()
    emu = await startEmulator({ ipWhitelist: ['10.0.*.*'] })
    const res = await getJson(tokenUrl())
    expect(res.errcode).toBe(60020)
    expect(res.errmsg).toContain('127.0.0.1')
    await emu.close()
    emu = await startEmulator({ ipWhitelist: ['127.0.0.*'] })
    expect((await getJson(tokenUrl())).errcode).toBe(0)
  })

  it('applies an app whitelist from the fixture', async () => {
    await emu.close()
    const fixture = structuredClone((await import('../src/index')).defaultFixture)
    fixture.orgs[0]!.apps![0]!.ipWhitelist = ['192.168.1.1']
    emu = await startEmulator({ fixture })
    expect((await getJson(tokenUrl())).errcode).toBe(60020)
  })

  it('rate-limits per app with 90002 or 45009', async () => {
    await emu.close()
    let t = 0
    emu = await startEmulator({
      now: () => t,
      rateLimits: [
        { route: '/gettoken', limit: 2, windowMs: 1000 },
        { route: '/get_jsapi_ticket', limit: 1, windowMs: 1000, errcode: 45009 },
      ],
    })
    expect((await getJson(tokenUrl())).errcode).toBe(0)
    const token = await corpToken(emu.url)
    expect((await getJson(tokenUrl())).errcode).toBe(90002)
    t += 1000
    expect((await getJson(tokenUrl())).errcode).toBe(0)
    expect((await getJson(`${emu.url}/get_jsapi_ticket?access_token=${token}`)).errcode).toBe(0)
    expect((await getJson(`${emu.url}/get_jsapi_ticket?access_token=${token}`)).errcode).toBe(45009)
  })
})
