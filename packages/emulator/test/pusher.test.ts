import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { decryptMessage, encryptMessage, generateAesKey, signature } from '../src/crypto'
import { buildPush, checkReply, expectedReplyFor, pushEvent } from '../src/pusher'

const token = 'test-token'
const aesKey = generateAesKey()
const corpId = 'dingcorp123'

interface Received {
  method: string
  query: URLSearchParams
  contentType: string | undefined
  body: string
  encrypt: string
  message: string
  receiveId: string
}

type Answer = { status?: number; body: string } | 'hang'
type Behaviour = (request: Received, index: number) => Answer

interface Receiver {
  url: string
  requests: Received[]
}

const servers: Server[] = []

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
})

function encryptedReply(
  text: string,
  options: {
    receiveId?: string
    key?: string
    signWith?: string
    mutate?: (reply: Record<string, unknown>) => void
  } = {},
): string {
  const timeStamp = String(Date.now())
  const nonce = 'replyNonce123456'
  const encrypt = encryptMessage({
    aesKey: options.key ?? aesKey,
    receiveId: options.receiveId ?? corpId,
    message: text,
  })
  const reply: Record<string, unknown> = {
    msg_signature: signature({ token: options.signWith ?? token, timestamp: timeStamp, nonce, encrypt }),
    timeStamp,
    nonce,
    encrypt,
  }
  options.mutate?.(reply)
  return JSON.stringify(reply)
}

const answerCorrectly: Behaviour = () => ({ body: encryptedReply('success') })

async function startReceiver(behaviour: Behaviour): Promise<Receiver> {
  const requests: Received[] = []
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      const encrypt = String((JSON.parse(body) as { encrypt: unknown }).encrypt)
      const { message, receiveId } = decryptMessage({ aesKey, encrypt })
      const received: Received = {
        method: req.method ?? '',
        query: new URL(req.url ?? '/', 'http://x').searchParams,
        contentType: req.headers['content-type'],
        body,
        encrypt,
        message,
        receiveId,
      }
      requests.push(received)
      const answer = behaviour(received, requests.length - 1)
      if (answer === 'hang') return
      res.writeHead(answer.status ?? 200, { 'Content-Type': 'application/json' })
      res.end(answer.body)
    })
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}/dingtalk/callback`, requests }
}

const event = { EventType: 'user_add_org', UserId: ['u1'], CorpId: corpId, TimeStamp: 1700000000000 }

describe('pushEvent delivers like DingTalk', () => {
  it('POSTs the signed JSON body with the legacy query and accepts the encrypted success', async () => {
    const receiver = await startReceiver(answerCorrectly)
    const result = await pushEvent({ url: receiver.url, token, aesKey, receiveId: corpId, event })
    expect(result.ok).toBe(true)
    expect(result.attempts).toHaveLength(1)
    expect(result.attempts[0]).toMatchObject({ ok: true, status: 200, reply: 'success' })
    const [request] = receiver.requests
    expect(request?.method).toBe('POST')
    expect(request?.contentType).toBe('application/json')
    expect(JSON.parse(request?.body ?? '')).toEqual({ encrypt: request?.encrypt })
    expect(JSON.parse(request?.message ?? '')).toEqual(event)
    expect(request?.receiveId).toBe(corpId)
    const query = request?.query ?? new URLSearchParams()
    expect([...query.keys()].sort()).toEqual(['nonce', 'signature', 'timestamp'])
    expect(query.get('timestamp')).toMatch(/^\d{13}$/)
    expect(query.get('nonce')).toMatch(/^[A-Za-z0-9]{8}$/)
    expect(query.get('signature')).toBe(
      signature({
        token,
        timestamp: query.get('timestamp') ?? '',
        nonce: query.get('nonce') ?? '',
        encrypt: request?.encrypt ?? '',
      }),
    )
  })

  it('uses msg_signature and timeStamp with the new query style and keeps an existing query', async () => {
    const receiver = await startReceiver(answerCorrectly)
    const result = await pushEvent({
      url: `${receiver.url}?tenant=a`,
      token,
      aesKey,
      receiveId: corpId,
      event: '{"EventType":"check_url"}',
      queryStyle: 'new',
    })
    expect(result.ok).toBe(true)
    const query = receiver.requests[0]?.query ?? new URLSearchParams()
    expect([...query.keys()].sort()).toEqual(['msg_signature', 'nonce', 'tenant', 'timeStamp'])
    expect(query.get('tenant')).toBe('a')
    expect(query.get('msg_signature')).toBe(
      signature({
        token,
        timestamp: query.get('timeStamp') ?? '',
        nonce: query.get('nonce') ?? '',
        encrypt: receiver.requests[0]?.encrypt ?? '',
      }),
    )
    expect(receiver.requests[0]?.message).toBe('{"EventType":"check_url"}')
  })

  it('expects the Random value for check_create_suite_url', async () => {
    const suiteEvent = {
      EventType: 'check_create_suite_url',
      Random: 'LPIdSnlF',
      TestSuiteKey: 'suite4xxxxxxxxxxxxxxx',
    }
    const options = { token, aesKey, receiveId: 'suite4xxxxxxxxxxxxxxx', event: suiteEvent }
    const echo = await startReceiver((request) => ({
      body: encryptedReply((JSON.parse(request.message) as { Random: string }).Random, {
        receiveId: request.receiveId,
      }),
    }))
    const ok = await pushEvent({ ...options, url: echo.url })
    expect(ok.ok).toBe(true)
    expect(ok.attempts[0]?.reply).toBe('LPIdSnlF')

    const plain = await startReceiver(() => ({
      body: encryptedReply('success', { receiveId: 'suite4xxxxxxxxxxxxxxx' }),
    }))
    const wrong = await pushEvent({ ...options, url: plain.url })
    expect(wrong.ok).toBe(false)
    expect(wrong.attempts[0]?.reason).toBe('reply decrypts to "success", expected "LPIdSnlF"')
  })
})

describe('pushEvent rejects wrong replies with a precise reason', () => {
  const cases: Array<[string, Behaviour, string | RegExp]> = [
    ['a wrong text', () => ({ body: encryptedReply('ok') }), 'reply decrypts to "ok", expected "success"'],
    [
      'a bad signature',
      () => ({ body: encryptedReply('success', { signWith: 'other-token' }) }),
      'reply signature does not match',
    ],
    [
      'a wrong receive-id',
      () => ({ body: encryptedReply('success', { receiveId: 'dingother' }) }),
      'reply was encrypted for receive-id "dingother", expected "dingcorp123"',
    ],
    ['non-JSON', () => ({ body: 'success' }), 'reply is not JSON'],
    ['a JSON array', () => ({ body: '[]' }), 'reply is not a JSON object'],
    ['HTTP 500', () => ({ status: 500, body: encryptedReply('success') }), 'HTTP 500'],
    [
      'a missing field',
      () => ({ body: encryptedReply('success', { mutate: (reply) => delete reply.nonce }) }),
      'reply has no "nonce" field',
    ],
    [
      'a numeric timeStamp',
      () => ({ body: encryptedReply('success', { mutate: (reply) => (reply.timeStamp = 1700000000000) }) }),
      'reply field "timeStamp" is not a string',
    ],
    [
      'a reply encrypted with another key',
      () => ({ body: encryptedReply('success', { key: generateAesKey() }) }),
      /^reply cannot be decrypted: /,
    ],
    ['an oversized body', () => ({ body: 'x'.repeat(100 * 1024) }), 'reply is larger than 65536 bytes'],
  ]
  for (const [name, behaviour, reason] of cases) {
    it(name, async () => {
      const receiver = await startReceiver(behaviour)
      const result = await pushEvent({ url: receiver.url, token, aesKey, receiveId: corpId, event })
      expect(result.ok).toBe(false)
      expect(result.attempts).toHaveLength(1)
      expect(result.attempts[0]?.ok).toBe(false)
      if (typeof reason === 'string') expect(result.attempts[0]?.reason).toBe(reason)
      else expect(result.attempts[0]?.reason).toMatch(reason)
      expect(result.attempts[0]?.reason).not.toContain(aesKey)
      expect(result.attempts[0]?.reason).not.toContain(token)
    })
  }

  it('times out when the reply is later than the deadline', async () => {
    const receiver = await startReceiver(() => 'hang')
    const result = await pushEvent({
      url: receiver.url,
      token,
      aesKey,
      receiveId: corpId,
      event,
      timeoutMs: 50,
    })
    expect(result).toMatchObject({ ok: false, attempts: [{ ok: false, reason: 'timed out after 50 ms' }] })
    expect(receiver.requests).toHaveLength(1)
  })

  it('reports a refused connection', async () => {
    const receiver = await startReceiver(answerCorrectly)
    const server = servers.pop()
    await new Promise<void>((resolve) => server?.close(() => resolve()))
    const result = await pushEvent({ url: receiver.url, token, aesKey, receiveId: corpId, event })
    expect(result.ok).toBe(false)
    expect(result.attempts[0]?.reason).toMatch(/^connection failed/)
    expect(result.attempts[0]?.status).toBeUndefined()
  })
})

describe('pushEvent re-pushes', () => {
  it('recovers after N failures, re-encrypting each attempt', async () => {
    const failures = 3
    const receiver = await startReceiver((_request, index) =>
      index < failures ? { status: 500, body: '' } : { body: encryptedReply('success') },
    )
    const result = await pushEvent({
      url: receiver.url,
      token,
      aesKey,
      receiveId: corpId,
      event,
      retries: 5,
      backoffMs: 1,
    })
    expect(result.ok).toBe(true)
    expect(result.attempts.map((a) => a.ok)).toEqual([false, false, false, true])
    expect(result.attempts.slice(0, failures).map((a) => a.reason)).toEqual([
      'HTTP 500',
      'HTTP 500',
      'HTTP 500',
    ])
    expect(receiver.requests).toHaveLength(failures + 1)
    expect(new Set(receiver.requests.map((r) => r.encrypt)).size).toBe(failures + 1)
    expect(new Set(receiver.requests.map((r) => r.message))).toEqual(new Set([JSON.stringify(event)]))
  })

  it('re-pushes after a late reply and after a wrong one', async () => {
    const receiver = await startReceiver((_request, index) =>
      index === 0
        ? 'hang'
        : index === 1
          ? { body: encryptedReply('ok') }
          : { body: encryptedReply('success') },
    )
    const result = await pushEvent({
      url: receiver.url,
      token,
      aesKey,
      receiveId: corpId,
      event,
      retries: 2,
      backoffMs: 1,
      // Generous, so the two answered attempts stay inside it on a loaded machine.
      timeoutMs: 1000,
    })
    expect(result.ok).toBe(true)
    expect(result.attempts.map((a) => a.reason)).toEqual([
      'timed out after 1000 ms',
      'reply decrypts to "ok", expected "success"',
      undefined,
    ])
  })

  it('gives up after the configured number of re-pushes', async () => {
    const receiver = await startReceiver(() => ({ body: encryptedReply('fail') }))
    const result = await pushEvent({
      url: receiver.url,
      token,
      aesKey,
      receiveId: corpId,
      event,
      retries: 4,
      backoffMs: 0,
    })
    expect(result.ok).toBe(false)
    expect(result.attempts).toHaveLength(5)
    expect(receiver.requests).toHaveLength(5)
  })

  it('stops when the caller aborts', async () => {
    const controller = new AbortController()
    const receiver = await startReceiver(() => {
      controller.abort()
      return 'hang'
    })
    const result = await pushEvent({
      url: receiver.url,
      token,
      aesKey,
      receiveId: corpId,
      event,
      retries: 10,
      backoffMs: 0,
      timeoutMs: 60_000,
      signal: controller.signal,
    })
    expect(result).toMatchObject({
      ok: false,
      aborted: true,
      attempts: [{ reason: 'aborted by the caller' }],
    })
    expect(receiver.requests).toHaveLength(1)
  })

  it('does nothing when the signal is already aborted', async () => {
    const receiver = await startReceiver(answerCorrectly)
    const result = await pushEvent({
      url: receiver.url,
      token,
      aesKey,
      receiveId: corpId,
      event,
      signal: AbortSignal.abort(),
    })
    expect(result).toEqual({ ok: false, aborted: true, attempts: [] })
    expect(receiver.requests).toHaveLength(0)
  })
})

describe('options', () => {
  const base = { url: 'http://127.0.0.1:1/cb', token, aesKey, receiveId: corpId, event }
  const invalid: Array<[string, Record<string, unknown>]> = [
    ['a relative url', { url: '/cb' }],
    ['a non-http url', { url: 'ftp://127.0.0.1/cb' }],
    ['an empty token', { token: '' }],
    ['a bad aesKey', { aesKey: 'abc' }],
    ['negative retries', { retries: -1 }],
    ['a zero timeout', { timeoutMs: 0 }],
    ['an unknown query style', { queryStyle: 'modern' }],
    ['a numeric event', { event: 42 }],
  ]
  for (const [name, patch] of invalid) {
    it(`throws for ${name}`, async () => {
      await expect(pushEvent({ ...base, ...patch } as Parameters<typeof pushEvent>[0])).rejects.toThrow()
    })
  }
})

describe('buildPush', () => {
  it('reproduces the official deterministic vector D', () => {
    const push = buildPush({
      url: 'https://app.example.com/callback',
      token: '123456',
      aesKey: '4g5j64qlyl3zvetqxz5jiocdr586fn2zvjpa8zls3ij',
      receiveId: 'suite4xxxxxxxxxxxxxxx',
      event: {
        EventType: 'check_create_suite_url',
        Random: 'LPIdSnlF',
        TestSuiteKey: 'suite4xxxxxxxxxxxxxxx',
      },
      timestamp: '1445827045067',
      nonce: 'nEXhMP4r',
      random: '1234567890123456',
    })
    const encrypt =
      '5DJFWzjRNOQk+5GSZxW+VrFMDWCIidPjEjg3//gm5x556BedVi62rDj1F9uXU97a4jw1R4FACUv9RCpoDobNqxhxRB2YtW901k4KHbP1/wpFJ3xdLG0n0A8U1VhENg80zKJd+YROR0YMGum4WYuoXJ6J98vt0ihYeIFoapNddLML5MyNAGM9saSpkouDMSvD+iU14i7V8ix1ia1Tb9ogog=='
    expect(push.encrypt).toBe(encrypt)
    expect(push.body).toBe(JSON.stringify({ encrypt }))
    expect(push.query).toEqual({
      signature: 'bcf6dcefa4ce2dbaf7b0666c7264d46fd9aad4bd',
      timestamp: '1445827045067',
      nonce: 'nEXhMP4r',
    })
    const url = new URL(push.url)
    expect(url.searchParams.get('signature')).toBe('bcf6dcefa4ce2dbaf7b0666c7264d46fd9aad4bd')
    expect(url.searchParams.get('timestamp')).toBe('1445827045067')
  })
})

describe('checkReply', () => {
  it('accepts the official vector E1 reply and rejects it for another receive-id', () => {
    const body = JSON.stringify({
      msg_signature: '73813ea128535f7945c17f81069c6b8045361375',
      timeStamp: '1445827045067',
      nonce: 'nEXhMP4r',
      encrypt: '5DJFWzjRNOQk+5GSZxW+VpU/+Yf0KeplvXZ8LNdyQj5iN6tX2KSwwhy5oymzMpsFAiG4RS3L0/vY7TX4ZwLTFA==',
    })
    const options = {
      status: 200,
      body,
      token: '123456',
      aesKey: '4g5j64qlyl3zvetqxz5jiocdr586fn2zvjpa8zls3ij',
    }
    expect(checkReply({ ...options, receiveId: 'suite4xxxxxxxxxxxxxxx' })).toEqual({
      ok: true,
      reply: 'success',
    })
    expect(checkReply({ ...options, receiveId: 'suite4yyy' })).toMatchObject({
      ok: false,
      reason: 'reply was encrypted for receive-id "suite4xxxxxxxxxxxxxxx", expected "suite4yyy"',
    })
    expect(checkReply({ ...options, token: '654321', receiveId: 'suite4xxxxxxxxxxxxxxx' })).toEqual({
      ok: false,
      reason: 'reply signature does not match',
    })
  })
})

describe('expectedReplyFor', () => {
  it('is the Random value for suite URL checks and success otherwise', () => {
    expect(expectedReplyFor({ EventType: 'check_update_suite_url', Random: 'abc' })).toBe('abc')
    expect(expectedReplyFor('{"EventType":"check_create_suite_url","Random":"xyz"}')).toBe('xyz')
    expect(expectedReplyFor({ EventType: 'check_url', Random: 'abc' })).toBe('success')
    expect(expectedReplyFor('not json')).toBe('success')
  })
})
