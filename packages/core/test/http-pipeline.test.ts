import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDingTalkClient } from '../src/client'
import { DingTalkApiError, DingTalkHttpError, DingTalkRateLimitError } from '../src/errors/request-errors'
import type { RequestEvent, ResponseEvent } from '../src/http/hooks'

interface Seen {
  method: string
  url: URL
  contentType: string
  body: Buffer
}

// A real HTTP peer that records what the client sent and answers what a test queued.
let server: Server
let baseUrl: string
const seen: Seen[] = []
const answers: { status?: number; body: string }[] = []
let gettokens = 0

const read = (req: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => resolve(Buffer.concat(chunks)))
  })

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://local')
    const body = await read(req)
    if (url.pathname === '/gettoken') {
      gettokens++
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ errcode: 0, errmsg: 'ok', access_token: 'TOKEN-abc-123', expires_in: 7200 }))
      return
    }
    seen.push({ method: req.method ?? '', url, contentType: String(req.headers['content-type'] ?? ''), body })
    const answer = answers.shift() ?? { body: '{"errcode":0,"errmsg":"ok"}' }
    res.writeHead(answer.status ?? 200, { 'content-type': 'application/json' })
    res.end(answer.body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
})

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

const make = (events: unknown[] = []) =>
  createDingTalkClient(
    { appKey: 'dingkey', appSecret: 'SECRET-xyz-789', corpId: 'dingcorp1' },
    {
      baseUrl,
      retry: { baseDelayMs: 1, maxDelayMs: 2 },
      hooks: {
        onRequest: (e: RequestEvent) => events.push(e),
        onResponse: (e: ResponseEvent) => events.push(e),
      },
    },
  )

describe('request pipeline', () => {
  it('puts access_token and query parameters in the URL, skipping undefined values', async () => {
    await make().request({ path: '/department/list', query: { id: 1, fetch_child: false, lang: undefined } })
    const { url, method } = seen.at(-1)!
    expect(method).toBe('GET')
    expect(url.pathname).toBe('/department/list')
    expect(url.searchParams.get('access_token')).toBe('TOKEN-abc-123')
    expect(url.searchParams.get('id')).toBe('1')
    expect(url.searchParams.get('fetch_child')).toBe('false')
    expect(url.searchParams.has('lang')).toBe(false)
  })

  it('sends JSON as raw UTF-8 bytes with Content-Type application/json', async () => {
    await make().request({ path: '/topapi/v2/user/create', json: { name: '张三', list: [1] } })
    const { method, contentType, body } = seen.at(-1)!
    expect(method).toBe('POST')
    expect(contentType).toMatch(/^application\/json/)
    expect(body.toString('utf8')).toBe('{"name":"张三","list":[1]}')
    expect(body.toString('latin1')).not.toContain('\\u')
  })

  it('sends FormData as multipart/form-data with the file under its field name', async () => {
    const form = new FormData()
    form.set('type', 'image')
    form.set('media', new Blob([new Uint8Array([1, 2, 3, 4])], { type: 'image/png' }), '头像.png')
    await make().request({ path: '/media/upload', form })
    const { contentType, body, url } = seen.at(-1)!
    expect(contentType).toMatch(/^multipart\/form-data; boundary=/)
    expect(url.searchParams.get('access_token')).toBe('TOKEN-abc-123')
    const parsed = await new Response(new Uint8Array(body), {
      headers: { 'content-type': contentType },
    }).formData()
    expect(parsed.get('type')).toBe('image')
    const file = parsed.get('media') as File
    expect(file.name).toBe('头像.png')
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(new Uint8Array([1, 2, 3, 4]))
  })

  it('auth none sends no token', async () => {
    await make().request({ path: '/service/get_suite_token', json: { suite_key: 'k' }, auth: 'none' })
    expect(seen.at(-1)!.url.searchParams.has('access_token')).toBe(false)
  })

  it('accepts errcode as a string (§9.1)', async () => {
    answers.push({ body: '{"errcode":"0","errmsg":"ok","value":1}' })
    expect(await make().request({ path: '/x' })).toMatchObject({ value: 1 })
    answers.push({ body: '{"errcode":"60020","errmsg":"访问ip不在白名单之中"}' })
    const error = await make()
      .request({ path: '/x' })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DingTalkApiError)
    expect((error as DingTalkApiError).errcode).toBe(60020)
    expect((error as DingTalkApiError).info?.action).toContain('whitelist')
  })

  it('a body without errcode is a success (some endpoints omit it)', async () => {
    answers.push({ body: '{"suite_access_token":"s","expires_in":7200}' })
    expect(await make().request({ path: '/x', auth: 'none' })).toEqual({
      suite_access_token: 's',
      expires_in: 7200,
    })
  })

  it('parses the topapi envelope: 88 with a non-token sub_code is not replayed', async () => {
    const before = seen.length
    answers.push({
      body: JSON.stringify({
        errcode: 88,
        sub_code: '60011',
        sub_msg: '没有调用该接口的权限',
        errmsg: 'ding talk error[subcode=60011,submsg=没有调用该接口的权限]',
        request_id: '5imjny7u9xwa',
      }),
    })
    const error = (await make()
      .request({ path: '/topapi/v2/user/get', json: { userid: 'u' } })
      .catch((e: unknown) => e)) as DingTalkApiError
    expect(seen.length - before).toBe(1)
    expect(error.errcode).toBe(88)
    expect(error.subCode).toBe('60011')
    expect(error.subMsg).toBe('没有调用该接口的权限')
    expect(error.requestId).toBe('5imjny7u9xwa')
    expect(error.info?.errcode).toBe(60011)
    expect(error.message).toContain('sub_code 60011')
  })

  it('a token still rejected after the refresh and replay surfaces as the API error (never a loop)', async () => {
    const c = make()
    await c.getAccessToken()
    const before = { seen: seen.length, gettokens }
    answers.push({ body: '{"errcode":40014,"errmsg":"不合法的access_token"}' })
    answers.push({ body: '{"errcode":40014,"errmsg":"不合法的access_token"}' })
    const error = (await c.request({ path: '/x' }).catch((e: unknown) => e)) as DingTalkApiError
    expect(error).toBeInstanceOf(DingTalkApiError)
    expect(error.errcode).toBe(40014)
    expect(error.attempts).toBe(2)
    expect(seen.length - before.seen).toBe(2)
    expect(gettokens - before.gettokens).toBe(1)
  })

  it('HTTP 429 is a rate limit: retried even for a POST, then DingTalkRateLimitError', async () => {
    const before = seen.length
    for (let i = 0; i < 4; i++) answers.push({ status: 429, body: 'Too Many Requests' })
    const error = await make()
      .request({ path: '/x', json: {} })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DingTalkRateLimitError)
    expect((error as DingTalkRateLimitError).httpStatus).toBe(429)
    expect(seen.length - before).toBe(4)
  })

  it('a 4xx without an envelope is an HTTP error and not retried', async () => {
    const before = seen.length
    answers.push({ status: 403, body: 'forbidden' })
    const error = await make()
      .request({ path: '/x' })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DingTalkHttpError)
    expect((error as DingTalkHttpError).httpStatus).toBe(403)
    expect(seen.length - before).toBe(1)
  })

  it('hooks see redacted URLs and no secret', async () => {
    const events: unknown[] = []
    await make(events).request({ path: '/x', query: { userid: 'u1' } })
    const text = JSON.stringify(events)
    expect(text).toContain('access_token=[redacted]')
    expect(text).toContain('appsecret=[redacted]')
    expect(text).toContain('userid=u1')
    expect(text).not.toContain('TOKEN-abc-123')
    expect(text).not.toContain('SECRET-xyz-789')
  })

  it('an errmsg that echoes a secret is scrubbed from the error', async () => {
    answers.push({ body: '{"errcode":40035,"errmsg":"bad param TOKEN-abc-123"}' })
    const error = (await make()
      .request({ path: '/x', json: { note: 'SECRET-xyz-789', appsecret: 'x' } })
      .catch((e: unknown) => e)) as DingTalkApiError
    expect(error.message).not.toContain('TOKEN-abc-123')
    const report = error.problemReport()
    expect(report).not.toContain('SECRET-xyz-789')
    expect(report).not.toContain('TOKEN-abc-123')
    expect(report).toContain('"corpid":"dingcorp1"')
  })
})
