import { createServer } from 'node:http'
import { connect } from 'node:net'
import { PassThrough, Readable } from 'node:stream'
import { buildPush, checkReply } from '@dingtalk-kit/emulator'
import { afterEach, describe, expect, it } from 'vitest'
import { type CallbackResponse, createCallbackHandler, type DingTalkCallbackError } from '../src/index'
import { AES_KEY, CORP_ID, TOKEN } from './callback-helpers'

// Koa and Nest hand the core Node's request stream; the core reads it through its events (request.ts). These
// pin what that reading must keep doing besides the happy path the hostile corpus already covers.

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

function setup(maxBodyBytes?: number) {
  const errors: DingTalkCallbackError[] = []
  const handled: string[] = []
  const handler = createCallbackHandler({
    token: TOKEN,
    aesKey: AES_KEY,
    receiveId: CORP_ID,
    onError: (error) => void errors.push(error),
    ...(maxBodyBytes === undefined ? {} : { options: { maxBodyBytes } }),
  })
  handler.onAny((event) => void handled.push(event.EventType))
  const push = buildPush({
    url: 'http://127.0.0.1/dingtalk/callback',
    token: TOKEN,
    aesKey: AES_KEY,
    receiveId: CORP_ID,
    event: { EventType: 'user_add_org', UserId: ['u1'], CorpId: CORP_ID, TimeStamp: '1' },
  })
  const request = (body: unknown) => ({
    method: 'POST',
    url: push.url,
    headers: { 'content-type': 'application/json' },
    body,
  })
  return { handler, errors, handled, push, request }
}

const reasons = (errors: DingTalkCallbackError[]): string[] => errors.map((e) => e.message)

describe('a Node stream as the body', () => {
  it('is read whole when it arrives in many chunks, even if it was paused before', async () => {
    const { handler, handled, push, request } = setup()
    const stream = new PassThrough()
    stream.pause()
    const response = handler.handle(request(stream))
    const bytes = Buffer.from(push.body)
    for (let i = 0; i < bytes.length; i += 7) stream.write(bytes.subarray(i, i + 7))
    stream.end()
    const reply = await response
    expect(
      checkReply({
        status: reply.status,
        body: reply.body,
        token: TOKEN,
        aesKey: AES_KEY,
        receiveId: CORP_ID,
      }).ok,
    ).toBe(true)
    expect(handled).toEqual(['user_add_org'])
    // JSON, and no cache-control: a POST response without freshness is never stored (RFC 9111 §3).
    expect(reply.headers).toEqual({ 'content-type': 'application/json; charset=utf-8' })
  })

  it('answers 400 when the stream fails mid-body, and a later error does not escape', async () => {
    const { handler, errors, handled, push, request } = setup()
    const stream = new PassThrough()
    const response = handler.handle(request(stream))
    stream.write(push.body.slice(0, 20))
    await new Promise((resolve) => setImmediate(resolve))
    stream.destroy(new Error('connection reset'))
    expect((await response).status).toBe(400)
    expect(reasons(errors)).toContain('Callback rejected (400): the body stream failed')
    expect(handled).toEqual([])
    // An error emitted after the reading stopped (no listener of ours is left for it) is not uncaught.
    stream.emit('error', new Error('late'))
  })

  it('answers 400 for a stream that already ended or was destroyed, without waiting for events', async () => {
    const { handler, request } = setup()
    const ended = Readable.from([])
    ended.resume()
    await new Promise((resolve) => ended.once('end', resolve))
    expect((await handler.handle(request(ended))).status).toBe(400)
    const destroyed = new PassThrough()
    destroyed.destroy()
    expect((await handler.handle(request(destroyed))).status).toBe(400)
  })

  it('answers 413 as soon as the limit is passed, reads (and drops) the rest, and stays usable', async () => {
    const { handler, errors, request } = setup(1024)
    const stream = new PassThrough()
    const response = handler.handle(request(stream))
    let written = 0
    const chunk = Buffer.alloc(512, 0x61)
    stream.write('{"encrypt":"')
    for (; written < 4096; written += chunk.length) stream.write(chunk)
    expect((await response).status).toBe(413)
    expect(reasons(errors)).toContain('Callback rejected (413): the body is over 1024 bytes')
    // Still drained (so a Node server can write the 413 before the socket goes): no back-pressure on the
    // writer past the high-water mark, and the end is consumed.
    for (let i = 0; i < 64; i++) expect(stream.write(chunk)).toBe(true)
    const ended = new Promise((resolve) => stream.once('end', resolve))
    stream.end()
    await ended
  })
})

describe('over real HTTP (node:http)', () => {
  async function serve(handler: ReturnType<typeof setup>['handler']) {
    const replies: CallbackResponse[] = []
    const server = createServer(async (req, res) => {
      const reply = await handler.handle({
        method: req.method ?? '',
        url: req.url,
        headers: req.headers,
        body: req,
      })
      replies.push(reply)
      res.writeHead(reply.status, reply.headers).end(reply.body)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections()
          server.close(() => resolve())
        }),
    )
    const { port } = server.address() as { port: number }
    return { port, replies }
  }

  it('a client that hangs up mid-body gets its request rejected (400), and the server keeps serving', async () => {
    const { handler, errors, handled, push } = setup()
    const { port, replies } = await serve(handler)
    const path = push.url.slice(push.url.indexOf('/dingtalk'))
    await new Promise<void>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(
          `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${push.body.length}\r\n\r\n`,
        )
        socket.write(push.body.slice(0, 30))
        setTimeout(() => socket.destroy(), 50)
      })
      socket.on('close', () => resolve())
      socket.on('error', () => {})
    })
    for (let i = 0; i < 100 && replies.length === 0; i++)
      await new Promise((resolve) => setTimeout(resolve, 10))
    expect(replies.map((r) => r.status)).toEqual([400])
    expect(reasons(errors)).toContain('Callback rejected (400): the body stream failed')
    expect(handled).toEqual([])
    const response = await fetch(`http://127.0.0.1:${port}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: push.body,
    })
    expect(response.status).toBe(200)
    expect(handled).toEqual(['user_add_org'])
  })
})
