import { buildPush, checkReply } from '@dingtalk-kit/emulator'
import { afterEach, describe, expect, it } from 'vitest'
import { createCallbackHandler } from '../src/index'
import { AES_KEY, CORP_ID, closeServed, event, gate, serve, TOKEN } from './callback-helpers'

// What the callback handler accepts: the timestamp window, the Web-standard face and the input forms.
// De-duplication, failures and the ISV built-ins are in callback-delivery.test.ts.

afterEach(closeServed)

// A signed push of `event` for the Web-standard handler (its URL only names the route).
const pushTo = (payload: Record<string, unknown>) =>
  buildPush({
    url: 'https://app.example/cb',
    token: TOKEN,
    aesKey: AES_KEY,
    receiveId: CORP_ID,
    event: payload,
  })

describe('the timestamp window (off by default)', () => {
  it('accepts old timestamps by default, and rejects them both ways when a window is set', async () => {
    const off = await serve()
    const old = buildPush({
      url: off.server.url,
      token: TOKEN,
      aesKey: AES_KEY,
      receiveId: CORP_ID,
      event: event('old'),
      timestamp: '1445827045067',
    })
    const send = (url: string, body: string) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
    expect((await send(old.url, old.body)).status).toBe(200)

    const on = await serve({ options: { timestampWindowMs: 60_000 } })
    let calls = 0
    on.handler.on('user_add_org', () => void calls++)
    const at = (timestamp: string) =>
      buildPush({
        url: on.server.url,
        token: TOKEN,
        aesKey: AES_KEY,
        receiveId: CORP_ID,
        event: event(timestamp),
        timestamp,
      })
    const stale = at(String(Date.now() - 120_000))
    const future = at(String(Date.now() + 120_000))
    const seconds = at(String(Math.floor(Date.now() / 1000)))
    expect((await send(stale.url, stale.body)).status).toBe(401)
    expect((await send(future.url, future.body)).status).toBe(401)
    expect((await send(seconds.url, seconds.body)).status).toBe(400)
    const fresh = at(String(Date.now()))
    const first = await send(fresh.url, fresh.body)
    expect(first.status).toBe(200)
    const replay = await send(fresh.url, fresh.body)
    expect(replay.status).toBe(200)
    expect(
      checkReply({
        status: 200,
        body: await replay.text(),
        token: TOKEN,
        aesKey: AES_KEY,
        receiveId: CORP_ID,
      }).ok,
    ).toBe(true)
    expect(calls).toBe(1)
    expect(on.errors.filter((e) => e.status === 401)).toHaveLength(2)
  })
})

describe('the Web-standard face and input forms', () => {
  const make = () =>
    createCallbackHandler({
      token: TOKEN,
      aesKey: AES_KEY,
      receiveId: CORP_ID,
      options: { maxBodyBytes: 4096 },
    })

  it('handles Request → Response, with waitUntil for work past the deadline', async () => {
    const handler = createCallbackHandler({
      token: TOKEN,
      aesKey: AES_KEY,
      receiveId: CORP_ID,
      options: { deadlineMs: 20 },
    })
    const release = gate()
    handler.on('user_add_org', () => release.promise)
    const p = pushTo(event('web'))
    const kept: Promise<unknown>[] = []
    const response = await handler.fetch(
      new Request(p.url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: p.body }),
      { waitUntil: (work) => void kept.push(work) },
    )
    expect(response.status).toBe(200)
    expect(
      checkReply({
        status: 200,
        body: await response.text(),
        token: TOKEN,
        aesKey: AES_KEY,
        receiveId: CORP_ID,
      }).ok,
    ).toBe(true)
    expect(kept).toHaveLength(1)
    release.open()
    await Promise.all(kept)
    await handler.idle()
    expect((await handler.fetch(new Request(p.url))).status).toBe(405)
  })

  it('enforces the size limit on a streamed Request body without a Content-Length', async () => {
    const handler = make()
    const p = pushTo(event('big'))
    let pulled = 0
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++
        controller.enqueue(new Uint8Array(1024).fill(0x20))
      },
    })
    const response = await handler.fetch(
      new Request(p.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: stream,
        duplex: 'half',
      } as RequestInit),
    )
    expect(response.status).toBe(413)
    expect(pulled).toBeLessThan(10)
  })

  it('accepts a parsed object, text or bytes, case-insensitive headers, and rejects repeated query values', async () => {
    const handler = make()
    const p = pushTo({ EventType: 'check_url' })
    const base = { method: 'post', query: p.query }
    expect((await handler.handle({ ...base, body: JSON.parse(p.body) })).status).toBe(200)
    expect(
      (
        await handler.handle({
          ...base,
          headers: { 'Content-Type': 'application/json; charset=utf-8' },
          body: p.body,
        })
      ).status,
    ).toBe(200)
    expect(
      (
        await handler.handle({
          ...base,
          headers: { 'CONTENT-TYPE': 'application/json' },
          body: new TextEncoder().encode(p.body),
        })
      ).status,
    ).toBe(200)
    expect((await handler.handle({ ...base, body: p.body })).status).toBe(415)
    expect(
      (
        await handler.handle({
          ...base,
          url: `/cb?${new URLSearchParams(p.query)}`,
          query: undefined,
          body: JSON.parse(p.body),
        })
      ).status,
    ).toBe(200)
    const repeated = { ...p.query, nonce: [p.query.nonce!, 'other'] }
    expect((await handler.handle({ method: 'POST', query: repeated, body: JSON.parse(p.body) })).status).toBe(
      400,
    )
    const single = { ...p.query, nonce: [p.query.nonce!] }
    expect((await handler.handle({ method: 'POST', query: single, body: JSON.parse(p.body) })).status).toBe(
      200,
    )
    expect(
      (
        await handler.handle({
          method: 'POST',
          query: p.query,
          headers: { 'content-type': ['application/json', 'text/plain'] },
          body: p.body,
        })
      ).status,
    ).toBe(400)
    expect(
      (
        await handler.handle({
          method: 'POST',
          query: p.query,
          body: 'x'.repeat(5000),
          headers: { 'content-type': 'application/json' },
        })
      ).status,
    ).toBe(413)
    expect((await handler.handle(undefined as never)).status).toBe(405)
  })
})
