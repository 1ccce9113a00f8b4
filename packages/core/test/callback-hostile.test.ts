import { createCipheriv } from 'node:crypto'
import { buildPush, checkReply } from '@dingtalk-kit/emulator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCallbackHandler, type DingTalkCallbackError, memoryStore, sign } from '../src/index'
import {
  AES_KEY,
  CORP_ID,
  chunkedPost,
  type HandlerServer,
  post,
  rawHttp,
  serveHandler,
  TOKEN,
} from './callback-helpers'

const KEY = Buffer.from(`${AES_KEY}=`, 'base64')
const IV = KEY.subarray(0, 16)
const EVENT = { EventType: 'user_add_org', UserId: ['u1'], CorpId: CORP_ID, TimeStamp: 1 }

/** Encrypts hand-made plaintext bytes (§1.3) and signs them, so everything but the crypto layout is valid. */
function crafted(options: {
  message?: Buffer
  receiveId?: string
  length?: number
  pad?: (plain: Buffer) => Buffer
  raw?: Buffer
}): { query: string; body: string } {
  let plain = options.raw
  if (!plain) {
    const message = options.message ?? Buffer.from(JSON.stringify(EVENT))
    const head = Buffer.alloc(20)
    Buffer.from('abcdefghijklmnop').copy(head)
    head.writeUInt32BE(options.length ?? message.length, 16)
    const unpadded = Buffer.concat([head, message, Buffer.from(options.receiveId ?? CORP_ID)])
    const padLength = 32 - (unpadded.length % 32)
    const padded = Buffer.concat([unpadded, Buffer.alloc(padLength, padLength)])
    plain = options.pad ? options.pad(padded) : padded
  }
  const cipher = createCipheriv('aes-256-cbc', KEY, IV).setAutoPadding(false)
  const encrypt = Buffer.concat([cipher.update(plain), cipher.final()]).toString('base64')
  return signedWith(encrypt)
}

function signedWith(
  encrypt: string,
  timestamp = String(Date.now()),
  nonce = 'nEXhMP4r',
): { query: string; body: string } {
  const signature = sign({ token: TOKEN, timestamp, nonce, encrypt })
  return {
    query: `signature=${signature}&timestamp=${timestamp}&nonce=${nonce}`,
    body: JSON.stringify({ encrypt }),
  }
}

function validPush(overrides: { timestamp?: string; nonce?: string; event?: Record<string, unknown> } = {}) {
  return buildPush({
    url: 'http://127.0.0.1/x',
    token: TOKEN,
    aesKey: AES_KEY,
    receiveId: CORP_ID,
    event: overrides.event ?? { ...EVENT, eventId: `e-${Math.random()}` },
    ...(overrides.timestamp ? { timestamp: overrides.timestamp } : {}),
    ...(overrides.nonce ? { nonce: overrides.nonce } : {}),
  })
}

function q(query: Record<string, string>): string {
  return new URLSearchParams(query).toString()
}

describe('hostile callbacks over real HTTP (callback-security R6)', () => {
  const errors: DingTalkCallbackError[] = []
  const handled: string[] = []
  const handler = createCallbackHandler({
    token: TOKEN,
    aesKey: AES_KEY,
    receiveId: CORP_ID,
    store: memoryStore(),
    onError: (error) => void errors.push(error),
  })
  handler.onAny((event) => void handled.push(event.EventType))
  let server: HandlerServer
  let unauthorizedBody: string | undefined
  const statuses: number[] = []

  beforeAll(async () => {
    server = await serveHandler(handler)
    const probe = await post(
      `${server.url}?${q({ signature: '0'.repeat(40), timestamp: String(Date.now()), nonce: 'abc' })}`,
      '{"encrypt":"AAAA"}',
    )
    unauthorizedBody = probe.body
  })
  afterAll(async () => {
    await handler.idle()
    await server.close()
    expect(statuses.length).toBeGreaterThanOrEqual(30)
    expect(statuses.filter((s) => s >= 500)).toEqual([])
  })

  const send = async (
    query: string,
    body: string,
    init: { method?: string; headers?: Record<string, string> } = {},
  ) => {
    const before = handled.length
    const response = await post(`${server.url}?${query}`, body, init)
    statuses.push(response.status)
    return { ...response, handled: handled.length - before }
  }

  const expectUnauthorized = async (query: string, body: string) => {
    const response = await send(query, body)
    expect(response.status).toBe(401)
    expect(response.body).toBe(unauthorizedBody)
    expect(response.handled).toBe(0)
  }

  it('answers every signature failure with one opaque 401 (R6.1, R3)', async () => {
    const push = validPush()
    const sig = push.query.signature!
    const flipped = sig.slice(0, -1) + (sig.endsWith('0') ? '1' : '0')
    const base = { timestamp: push.query.timestamp!, nonce: push.query.nonce! }
    expect(unauthorizedBody).toBe('{"error":"unauthorized"}')
    await expectUnauthorized(q({ ...base, signature: flipped }), push.body)
    await expectUnauthorized(q(base), push.body)
    await expectUnauthorized(q({ ...base, signature: '' }), push.body)
    await expectUnauthorized(q({ ...base, signature: sig.slice(1) }), push.body)
    await expectUnauthorized(q({ ...base, signature: `${sig}0` }), push.body)
    await expectUnauthorized(q({ ...base, signature: sig.toUpperCase() }), push.body)
    await expectUnauthorized(q({ ...base, msg_signature: flipped }), push.body)
    const repeated = await send(`${q({ ...base, msg_signature: sig })}&msg_signature=${flipped}`, push.body)
    expect(repeated.status).toBe(400)
    const conflicting = await send(q({ ...base, msg_signature: sig, signature: flipped }), push.body)
    expect(conflicting.status).toBe(400)
    expect(errors.some((e) => e.code === 'CALLBACK_REJECTED' && e.status === 401)).toBe(true)
  })

  it('rejects malformed timestamps and nonces before any crypto (R6.2)', async () => {
    const push = validPush()
    const { signature, nonce } = push.query as { signature: string; nonce: string }
    for (const timestamp of ['abc', '1e13', ' 1700000000000', '17000000000000', '170000000', '']) {
      const response = await send(q({ signature, timestamp, nonce }), push.body)
      expect(response.status, timestamp).toBe(400)
    }
    const badNonce = await send(q({ signature, timestamp: push.query.timestamp!, nonce: 'a b' }), push.body)
    expect(badNonce.status).toBe(400)
    // The boundary shift (R4): the nonce's first character moved onto the timestamp keeps the signature valid.
    const shifted = validPush({ timestamp: '1700000000000', nonce: '5abcdefg' })
    const moved = await send(
      q({ signature: shifted.query.signature!, timestamp: '17000000000005', nonce: 'abcdefg' }),
      shifted.body,
    )
    expect(moved.status).toBe(400)
    expect(moved.handled).toBe(0)
  })

  it('acknowledges replays and re-encrypted re-pushes without running the handler again (R6.3)', async () => {
    const event = { ...EVENT, eventId: 'replayed-event' }
    const push = validPush({ event })
    const first = await send(q(push.query), push.body)
    expect(first.status).toBe(200)
    expect(first.handled).toBe(1)
    const replay = await send(q(push.query), push.body)
    expect(replay.status).toBe(200)
    expect(replay.handled).toBe(0)
    expect(
      checkReply({ status: 200, body: replay.body, token: TOKEN, aesKey: AES_KEY, receiveId: CORP_ID }).ok,
    ).toBe(true)
    const repushed = validPush({ event })
    expect(repushed.encrypt).not.toBe(push.encrypt)
    const again = await send(q(repushed.query), repushed.body)
    expect(again.status).toBe(200)
    expect(again.handled).toBe(0)
  })

  it('rejects other, suffixed, prefixed and empty receive-ids by exact match (R6.4)', async () => {
    for (const receiveId of ['dingothercorp', `${CORP_ID}x`, `x${CORP_ID}`, CORP_ID.slice(1), '']) {
      const { query, body } = crafted({ receiveId })
      await expectUnauthorized(query, body)
    }
    const placeholder = crafted({ receiveId: 'suite4xxxxxxxxxxxxxxx' })
    await expectUnauthorized(placeholder.query, placeholder.body)
  })

  it('rejects broken ciphertext with the same 401 (R6.5, R6.6)', async () => {
    const valid = crafted({}).body
    const encrypt = (JSON.parse(valid) as { encrypt: string }).encrypt
    const cases = [
      encrypt.slice(0, -4),
      encrypt.slice(0, -2),
      Buffer.from(encrypt, 'base64').subarray(0, 40).toString('base64'),
      Buffer.alloc(16, 7).toString('base64'),
      `${encrypt.slice(0, 10)}!${encrypt.slice(11)}`,
      `${encrypt.slice(0, 10)} ${encrypt.slice(11)}`,
      `${encrypt.slice(0, 40)}\n${encrypt.slice(40)}`,
      encrypt.replaceAll('+', '-').replaceAll('/', '_').padEnd(encrypt.length, 'A'),
    ]
    for (const text of cases) {
      const { query, body } = signedWith(text)
      await expectUnauthorized(query, body)
    }
  })

  it('rejects bad padding, lengths and UTF-8 (R6.7, R6.8, R6.9)', async () => {
    const setLast = (value: number) => (plain: Buffer) => {
      plain[plain.length - 1] = value
      return plain
    }
    for (const pad of [setLast(0), setLast(33), setLast(255)]) {
      const { query, body } = crafted({ pad })
      await expectUnauthorized(query, body)
    }
    const inconsistent = crafted({
      pad: (plain) => {
        plain[plain.length - 2] = (plain[plain.length - 2]! + 1) & 255
        return plain
      },
    })
    await expectUnauthorized(inconsistent.query, inconsistent.body)
    for (const length of [100_000, 0xffffffff]) {
      const { query, body } = crafted({ length })
      await expectUnauthorized(query, body)
    }
    const short = Buffer.alloc(32, 0)
    short.fill(20, 12)
    const tooShort = crafted({ raw: short })
    await expectUnauthorized(tooShort.query, tooShort.body)
    const badUtf8 = crafted({ message: Buffer.from([0x7b, 0xc3, 0x28, 0x7d]) })
    await expectUnauthorized(badUtf8.query, badUtf8.body)
  })

  it('acknowledges authentic but unusable messages and reports them (R6.9)', async () => {
    for (const message of ['not json', '[1,2]', '{"NoType":1}', '{"EventType":"never_heard_of"}']) {
      const before = errors.length
      const { query, body } = crafted({ message: Buffer.from(message) })
      const response = await send(query, body)
      expect(response.status, message).toBe(200)
      expect(
        checkReply({ status: 200, body: response.body, token: TOKEN, aesKey: AES_KEY, receiveId: CORP_ID })
          .ok,
      ).toBe(true)
      expect(errors.slice(before).map((e) => e.code)).toContain('CALLBACK_UNKNOWN_EVENT')
    }
  })

  it('rejects bad bodies, content types and methods before any crypto (R6.10)', async () => {
    const push = validPush()
    const query = q(push.query)
    const bodies: Array<[string, number]> = [
      ['{"encrypt":', 400],
      ['{"encrypt":42}', 400],
      ['{"encrypt":["a"]}', 400],
      ['{"encrypt":{"a":1}}', 400],
      ['{"encrypt":""}', 400],
      ['[]', 400],
      ['null', 400],
      ['"text"', 400],
      [`{"encrypt":"${push.encrypt}","encrypt":"${push.encrypt}"}`, 400],
      [`{"encrypt":"${push.encrypt}","\\u0065ncrypt":"x"}`, 400],
      ['{"EventType":"check_url"}', 400],
    ]
    for (const [body, status] of bodies) {
      const response = await send(query, body)
      expect(response.status, body).toBe(status)
      expect(response.handled).toBe(0)
    }
    expect((await send(query, push.body, { headers: { 'content-type': 'text/plain' } })).status).toBe(415)
    expect(
      (await send(query, push.body, { headers: { 'content-type': 'application/x-www-form-urlencoded' } }))
        .status,
    ).toBe(415)
    for (const method of ['GET', 'HEAD', 'PUT', 'DELETE', 'PATCH']) {
      const response = await send(query, push.body, { method })
      expect(response.status, method).toBe(405)
    }
    expect(handled).not.toContain('check_url')
  })

  it('answers 413 for oversized bodies while reading, whatever the headers say (R6.11)', async () => {
    const push = validPush()
    const path = `/dingtalk/callback?${q(push.query)}`
    const declared = await rawHttp(
      server.port,
      `POST ${path} HTTP/1.1\nHost: x\nContent-Type: application/json\nContent-Length: 10485760\nConnection: close\n\n`,
      '{"encrypt":"',
    )
    expect(declared.status).toBe(413)
    statuses.push(declared.status)
    const chunked = await chunkedPost(`${server.url}?${q(push.query)}`, 10 * 1024 * 1024)
    expect(chunked).toBe(413)
    statuses.push(chunked)
    const conflicting = await rawHttp(
      server.port,
      `POST ${path} HTTP/1.1\nHost: x\nContent-Type: application/json\nContent-Length: 5\nTransfer-Encoding: chunked\nConnection: close\n\n`,
      `${push.body.length.toString(16)}\r\n${push.body}\r\n0\r\n\r\n`,
    )
    expect(conflicting.status).toBe(400)
    statuses.push(conflicting.status)
    const lying = await rawHttp(
      server.port,
      `POST ${path} HTTP/1.1\nHost: x\nContent-Type: application/json\nContent-Length: 10\nConnection: close\n\n`,
      push.body,
    )
    expect(lying.status).toBe(400)
    statuses.push(lying.status)
    expect(handled.length).toBeGreaterThanOrEqual(0)
  })

  it('still accepts the genuine request after all of that', async () => {
    const push = validPush()
    const response = await send(q(push.query), push.body)
    expect(response.status).toBe(200)
    expect(response.handled).toBe(1)
  })
})
