import { type CallbackHandler, createCallbackHandler, pickBody } from '@dingtalk-kit/core'
import { buildPush, checkReply, generateAesKey } from '@dingtalk-kit/emulator'
import Koa from 'koa'
import request from 'supertest'
import { afterEach, describe, expect, it } from 'vitest'
import { bodySetups, rawPost, type Served, serve } from './helpers'

const parsedBy = (ctx: Koa.Context) => ctx.request as { rawBody?: unknown; body?: unknown }
const token = 'koa-body-token'
const aesKey = generateAesKey()
const receiveId = 'dingkoabody'
const LIMIT = 16 * 1024

function setup(install: (app: Koa, limit?: number) => void): {
  app: Koa
  callback: CallbackHandler
  seen: string[]
} {
  const seen: string[] = []
  const callback = createCallbackHandler({
    token,
    aesKey,
    receiveId,
    options: { maxBodyBytes: LIMIT },
    handlers: { user_add_org: (event) => void seen.push(...event.UserId) },
  })
  const app = new Koa()
  app.silent = true
  install(app, LIMIT)
  app.use(async (ctx) => {
    const reply = await callback.handle({
      method: ctx.method,
      url: ctx.url,
      headers: ctx.headers,
      body: pickBody({ stream: ctx.req, rawBody: parsedBy(ctx).rawBody, parsed: parsedBy(ctx).body }),
    })
    ctx.status = reply.status
    ctx.set(reply.headers)
    ctx.body = reply.body
  })
  return { app, callback, seen }
}

function push(userId: string): ReturnType<typeof buildPush> {
  return buildPush({
    url: 'http://127.0.0.1/callback',
    token,
    aesKey,
    receiveId,
    event: { EventType: 'user_add_org', UserId: [userId], CorpId: receiveId, TimeStamp: String(Date.now()) },
  })
}

const pathOf = (url: string): string => {
  const parsed = new URL(url)
  return parsed.pathname + parsed.search
}

describe.each(bodySetups)('request body with $name', ({ rawText, install }) => {
  let served: Served | undefined
  afterEach(async () => {
    await served?.close()
    served = undefined
  })

  it('hands a signed push to the core and writes the encrypted reply', async () => {
    const { app, seen } = setup(install)
    const signed = push('u-1')
    const res = await request(app.callback())
      .post(pathOf(signed.url))
      .set('content-type', 'application/json')
      .send(signed.body)
    expect(res.status).toBe(200)
    expect(checkReply({ status: res.status, body: res.text, token, aesKey, receiveId }).ok).toBe(true)
    expect(seen).toEqual(['u-1'])
  })

  it('answers 415 to a body that is not JSON, without running a handler', async () => {
    const { app, seen } = setup(install)
    const signed = push('u-2')
    const res = await request(app.callback())
      .post(pathOf(signed.url))
      .set('content-type', 'text/plain')
      .send(signed.body)
    expect(res.status).toBe(415)
    expect(seen).toEqual([])
  })

  it('rejects a declared Content-Length over the limit with 413', async () => {
    const { app, seen } = setup(install)
    const signed = push('u-3')
    const padded = JSON.stringify({ encrypt: JSON.parse(signed.body).encrypt, pad: 'x'.repeat(4 * LIMIT) })
    const res = await request(app.callback())
      .post(pathOf(signed.url))
      .set('content-type', 'application/json')
      .send(padded)
    expect(res.status).toBe(413)
    expect(seen).toEqual([])
  })

  it('rejects a chunked body without Content-Length once it passes the limit', async () => {
    const { app, seen } = setup(install)
    served = await serve(app)
    const signed = push('u-4')
    const chunk = `"${'y'.repeat(1024)}",`
    const chunks = ['{"pad":[', ...Array.from({ length: 4 * 16 }, () => chunk), '"z"],', signed.body.slice(1)]
    const res = await rawPost(
      served.url + pathOf(signed.url),
      { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      chunks,
    )
    expect(res.status).toBe(413)
    expect(seen).toEqual([])
  })

  it('does not read past a Content-Length smaller than the body', async () => {
    const { app, seen } = setup(install)
    served = await serve(app)
    const signed = push('u-5')
    const res = await rawPost(
      served.url + pathOf(signed.url),
      { 'content-type': 'application/json', 'content-length': String(signed.body.length - 10) },
      [signed.body],
    )
    expect(res.status).toBe(400)
    expect(seen).toEqual([])
  })

  it(`${rawText ? 'rejects' : 'cannot see'} a repeated "encrypt" key`, async () => {
    const { app, seen } = setup(install)
    const signed = push('u-6')
    const encrypt = JSON.parse(signed.body).encrypt as string
    const res = await request(app.callback())
      .post(pathOf(signed.url))
      .set('content-type', 'application/json')
      .send(`{"encrypt":"AAAA","encrypt":${JSON.stringify(encrypt)}}`)
    if (!rawText) {
      // Without the raw text the repeated key is invisible; the signature still covers the value used.
      expect(res.status).toBe(200)
      expect(seen).toEqual(['u-6'])
    } else {
      expect(res.status).toBe(400)
      expect(seen).toEqual([])
    }
  })
})

describe('request body when something else read the stream', () => {
  it('falls back to ctx.request.body when the stream was consumed without a raw copy', async () => {
    const { app, seen } = setup((koa) =>
      koa.use(async (ctx, next) => {
        let text = ''
        for await (const chunk of ctx.req) text += String(chunk)
        ;(ctx.request as { body?: unknown }).body = JSON.parse(text)
        await next()
      }),
    )
    const signed = push('u-7')
    const res = await request(app.callback())
      .post(pathOf(signed.url))
      .set('content-type', 'application/json')
      .send(signed.body)
    expect(res.status).toBe(200)
    expect(seen).toEqual(['u-7'])
  })
})
