import { buildPush } from '@dingtalk-kit/emulator'
import { describe, expect, it } from 'vitest'
import { type CallbackRequest, createCallbackHandler, memoryStore, sign, verify } from '../src/index'
import { AES_KEY, CORP_ID, TOKEN } from './callback-helpers'

// xorshift32: the same 100,000 requests on every run; the seed is printed on failure.
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1
  return () => {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    return x / 0x100000000
  }
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ \n\t"{}[]:,\\%&?é\u0000'

interface Sample {
  query: Record<string, string | string[]>
  body: string
  method: string
  contentType: string | undefined
}

function mutateText(text: string, rand: () => number): string {
  const pick = (): string => ALPHABET[Math.floor(rand() * ALPHABET.length)]!
  const at = Math.floor(rand() * (text.length + 1))
  switch (Math.floor(rand() * 7)) {
    case 0:
      return text.slice(0, at) + pick() + text.slice(at + 1)
    case 1:
      return text.slice(0, at) + pick() + text.slice(at)
    case 2:
      return text.slice(0, at) + text.slice(at + 1)
    case 3:
      return text.slice(0, at)
    case 4:
      return text + text.slice(0, Math.floor(rand() * 8))
    case 5:
      return text.toUpperCase()
    default:
      return ''
  }
}

function mutate(base: Sample, rand: () => number): Sample {
  const sample: Sample = { ...base, query: { ...base.query } }
  const rounds = 1 + Math.floor(rand() * 3)
  for (let r = 0; r < rounds; r++) {
    const names = Object.keys(sample.query)
    const name = names[Math.floor(rand() * names.length)] ?? 'nonce'
    switch (Math.floor(rand() * 12)) {
      case 0:
      case 1:
      case 2: {
        const value = sample.query[name]
        sample.query[name] = mutateText(typeof value === 'string' ? value : '', rand)
        break
      }
      case 3:
        delete sample.query[name]
        break
      case 4:
        sample.query[name] = [String(sample.query[name]), mutateText(String(sample.query[name]), rand)]
        break
      case 5: {
        const renames: Record<string, string> = {
          signature: 'msg_signature',
          msg_signature: 'signature',
          timestamp: 'timeStamp',
          timeStamp: 'timestamp',
        }
        const to = renames[name]
        if (to) {
          sample.query[to] = sample.query[name]!
          if (rand() < 0.5) delete sample.query[name]
        }
        break
      }
      case 6: {
        // R4 boundary shift between the timestamp and the nonce, which keeps the signature valid.
        const ts = String(sample.query.timestamp ?? sample.query.timeStamp ?? '')
        const nonce = String(sample.query.nonce ?? '')
        if (rand() < 0.5 && nonce.length > 0) {
          sample.query.timestamp = ts + nonce[0]
          sample.query.nonce = nonce.slice(1)
        } else if (ts.length > 0) {
          sample.query.timestamp = ts.slice(0, -1)
          sample.query.nonce = ts.slice(-1) + nonce
        }
        delete sample.query.timeStamp
        break
      }
      case 7:
      case 8:
        sample.body = mutateText(sample.body, rand)
        break
      case 9: {
        const encrypt = (JSON.parse(base.body) as { encrypt: string }).encrypt
        const wrappers = [
          `{"encrypt":${JSON.stringify(mutateText(encrypt, rand))}}`,
          `{"encrypt":"${encrypt}","encrypt":"${encrypt}"}`,
          `[${base.body}]`,
          `{"encrypt":${encrypt.length}}`,
          `{"encrypt":"${encrypt}","extra":{"encrypt":1}}`,
          `${base.body}garbage`,
          '',
        ]
        sample.body = wrappers[Math.floor(rand() * wrappers.length)]!
        break
      }
      case 10: {
        const types = [
          undefined,
          'text/plain',
          'application/json; charset=utf-8',
          'application/jsonx',
          'APPLICATION/JSON',
        ]
        sample.contentType = types[Math.floor(rand() * types.length)]
        break
      }
      default: {
        const methods = ['GET', 'PUT', 'post', 'HEAD', 'OPTIONS', 'POST']
        sample.method = methods[Math.floor(rand() * methods.length)]!
      }
    }
  }
  return sample
}

function firstText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? (value.length === 1 ? value[0] : undefined) : value
}

describe('fuzzing handler.handle', () => {
  it('answers 100,000 mutated valid requests without a 5xx, a crash or a false accept', async () => {
    const seed = 0x5eed1234
    const rand = prng(seed)
    const events = Array.from({ length: 8 }, (_, i) => ({
      EventType: i % 2 ? 'user_add_org' : 'org_dept_create',
      ...(i % 2 ? { UserId: [`u${i}`] } : { DeptId: [i] }),
      CorpId: CORP_ID,
      TimeStamp: 1700000000000 + i,
    }))
    const originals = new Set(events.map((e) => JSON.stringify(e)))
    const handled: string[] = []
    const handler = createCallbackHandler({
      token: TOKEN,
      aesKey: AES_KEY,
      receiveId: CORP_ID,
      store: memoryStore({ maxEntries: 1000 }),
      options: { deadlineMs: false },
    })
    handler.onAny((event) => {
      const { EventType, ...rest } = event as unknown as Record<string, unknown>
      handled.push(JSON.stringify({ EventType, ...rest }))
    })
    const bases: Sample[] = events.flatMap((event, i) => {
      const push = buildPush({
        url: 'https://app.example/cb',
        token: TOKEN,
        aesKey: AES_KEY,
        receiveId: CORP_ID,
        event,
        queryStyle: i % 2 ? 'new' : 'legacy',
        timestamp: String(1700000000000 + i),
      })
      return [{ query: push.query, body: push.body, method: 'POST', contentType: 'application/json' }]
    })
    const counts = new Map<number, number>()
    let falseAccepts = 0
    const started = performance.now()
    for (let n = 0; n < 100_000; n++) {
      const base = bases[n % bases.length]!
      const sample = mutate(base, rand)
      const request: CallbackRequest = {
        method: sample.method,
        query: sample.query,
        headers: sample.contentType === undefined ? {} : { 'content-type': sample.contentType },
        body: sample.body,
      }
      const response = await handler.handle(request)
      counts.set(response.status, (counts.get(response.status) ?? 0) + 1)
      if (response.status >= 500) throw new Error(`seed ${seed} request ${n}: status ${response.status}`)
      if (response.status === 200) {
        let encrypt: unknown
        try {
          encrypt = (JSON.parse(sample.body) as { encrypt?: unknown }).encrypt
        } catch {
          encrypt = undefined
        }
        const signature = firstText(sample.query.msg_signature) ?? firstText(sample.query.signature)
        const timestamp = firstText(sample.query.timeStamp) ?? firstText(sample.query.timestamp)
        const nonce = firstText(sample.query.nonce)
        const genuine =
          typeof encrypt === 'string' &&
          verify({ token: TOKEN, signature, timestamp, nonce, encrypt }) &&
          sign({ token: TOKEN, timestamp: timestamp!, nonce: nonce!, encrypt }) === signature
        if (!genuine) falseAccepts++
      }
    }
    const elapsed = performance.now() - started
    expect(falseAccepts).toBe(0)
    expect(handled.every((h) => originals.has(h))).toBe(true)
    // Each original ran exactly once despite every accepted duplicate, re-spelling and boundary shift.
    expect(new Set(handled).size).toBe(handled.length)
    expect(counts.get(200) ?? 0).toBeGreaterThan(100)
    for (const status of [400, 401, 405, 415]) expect(counts.get(status) ?? 0).toBeGreaterThan(100)
    expect([...counts.keys()].every((s) => [200, 400, 401, 405, 413, 415].includes(s))).toBe(true)
    expect(elapsed).toBeLessThan(60_000)
  }, 90_000)
})
