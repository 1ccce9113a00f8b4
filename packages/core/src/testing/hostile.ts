import { createCipheriv } from 'node:crypto'
import { buildPush, signature } from '@dingtalk-kit/emulator'

/**
 * The callback endpoint's secrets: what the corpus signs and encrypts with.
 *
 * @example
 * ```ts
 * const secrets: CallbackSecrets = { token: 'my-token', aesKey, receiveId: 'dingcorp123' }
 * ```
 */
export interface CallbackSecrets {
  token: string
  aesKey: string
  receiveId: string
}

/**
 * One hostile (or, for contrast, genuine) callback request and the answer the endpoint must give.
 *
 * @example
 * ```ts
 * const c: HostileCase = { name: 'flipped', method: 'POST', query, headers: {}, body, status: 401, opaque: true, handled: 0 }
 * ```
 */
export interface HostileCase {
  name: string
  method: string
  /** The query string, without `?`. */
  query: string
  /** Sent on top of `content-type: application/json`. */
  headers: Record<string, string>
  body: string
  status: number
  /** The body must be byte-identical to the one every verification failure gets (callback-security R3). */
  opaque?: boolean
  /** The reply must be the encrypted `success` (§1.7). */
  acked?: boolean
  /** How many times the handlers must have run for this request (default 0 for a rejection, unchecked for a 200). */
  handled?: number
  /** An `onError` code this request must report. */
  reported?: string
}

/**
 * A group of cases for one item of callback-security R6.
 *
 * @example
 * ```ts
 * for (const group of hostileCorpus(secrets)) console.log(group.title, group.cases.length)
 * ```
 */
export interface HostileGroup {
  title: string
  cases: HostileCase[]
}

/** The event every corpus push carries (with the endpoint's corp and a fresh eventId). */
export const BASE_EVENT: Record<string, unknown> = {
  EventType: 'user_add_org',
  UserId: ['hostile-u1'],
  TimeStamp: 1,
}

/** What the corpus groups build requests with, for one endpoint's secrets. */
interface Kit {
  secrets: CallbackSecrets
  q(query: Record<string, string>): string
  base: { method: string; headers: Record<string, string> }
  unique(): Record<string, unknown>
  validPush(overrides?: {
    timestamp?: string
    nonce?: string
    event?: Record<string, unknown>
  }): ReturnType<typeof buildPush>
  signedWith(encrypt: string, timestamp?: string, nonce?: string): { query: string; body: string }
  crafted(options: {
    message?: Buffer
    receiveId?: string
    length?: number
    pad?: (plain: Buffer) => Buffer
    raw?: Buffer
  }): { query: string; body: string }
  unauthorized(name: string, request: { query: string; body: string }): HostileCase
  genuine(name: string): HostileCase
}

function kitFor(secrets: CallbackSecrets): Kit {
  const key = Buffer.from(`${secrets.aesKey}=`, 'base64')
  const iv = key.subarray(0, 16)
  const event = { ...BASE_EVENT, CorpId: secrets.receiveId }
  const unique = (): Record<string, unknown> => ({
    ...event,
    eventId: `e-${Math.random().toString(36).slice(2)}`,
  })
  const q = (query: Record<string, string>): string => new URLSearchParams(query).toString()
  const base = { method: 'POST', headers: {} }

  const validPush = (
    overrides: { timestamp?: string; nonce?: string; event?: Record<string, unknown> } = {},
  ) =>
    buildPush({
      url: 'http://127.0.0.1/x',
      token: secrets.token,
      aesKey: secrets.aesKey,
      receiveId: secrets.receiveId,
      event: overrides.event ?? unique(),
      ...(overrides.timestamp ? { timestamp: overrides.timestamp } : {}),
      ...(overrides.nonce ? { nonce: overrides.nonce } : {}),
    })

  const signedWith = (encrypt: string, timestamp = String(Date.now()), nonce = 'nEXhMP4r') => ({
    query: q({ signature: signature({ token: secrets.token, timestamp, nonce, encrypt }), timestamp, nonce }),
    body: JSON.stringify({ encrypt }),
  })

  // §1.3 framing, encrypted without automatic padding so that padding and length can be broken.
  const crafted = (options: {
    message?: Buffer
    receiveId?: string
    length?: number
    pad?: (plain: Buffer) => Buffer
    raw?: Buffer
  }) => {
    let plain = options.raw
    if (!plain) {
      const message = options.message ?? Buffer.from(JSON.stringify(unique()))
      const head = Buffer.alloc(20)
      Buffer.from('abcdefghijklmnop').copy(head)
      head.writeUInt32BE(options.length ?? message.length, 16)
      const unpadded = Buffer.concat([head, message, Buffer.from(options.receiveId ?? secrets.receiveId)])
      const padLength = 32 - (unpadded.length % 32)
      const padded = Buffer.concat([unpadded, Buffer.alloc(padLength, padLength)])
      plain = options.pad ? options.pad(padded) : padded
    }
    const cipher = createCipheriv('aes-256-cbc', key, iv).setAutoPadding(false)
    return signedWith(Buffer.concat([cipher.update(plain), cipher.final()]).toString('base64'))
  }

  const unauthorized = (name: string, request: { query: string; body: string }): HostileCase => ({
    ...base,
    name,
    ...request,
    status: 401,
    opaque: true,
  })

  const genuine = (name: string): HostileCase => {
    const push = validPush()
    return { ...base, name, query: q(push.query), body: push.body, status: 200, acked: true, handled: 1 }
  }

  return { secrets, q, base, unique, validPush, signedWith, crafted, unauthorized, genuine }
}

function genuineFirst(k: Kit): HostileGroup {
  const { genuine } = k
  return { title: 'accepts a genuine request', cases: [genuine('genuine')] }
}

function signatureFailures(k: Kit): HostileGroup {
  const { q, base, validPush, unauthorized } = k
  const push = validPush()
  const sig = push.query.signature!
  const flipped = sig.slice(0, -1) + (sig.endsWith('0') ? '1' : '0')
  const b = { timestamp: push.query.timestamp!, nonce: push.query.nonce! }
  const withSig = (query: Record<string, string>) => ({ query: q(query), body: push.body })
  return {
    title: 'answers every signature failure with one opaque 401 (R6.1, R3)',
    cases: [
      { ...unauthorized('flipped', withSig({ ...b, signature: flipped })), reported: 'CALLBACK_REJECTED' },
      unauthorized('missing', withSig(b)),
      unauthorized('empty', withSig({ ...b, signature: '' })),
      unauthorized('39 chars', withSig({ ...b, signature: sig.slice(1) })),
      unauthorized('41 chars', withSig({ ...b, signature: `${sig}0` })),
      unauthorized('uppercase', withSig({ ...b, signature: sig.toUpperCase() })),
      unauthorized('msg_signature flipped', withSig({ ...b, msg_signature: flipped })),
      {
        ...base,
        name: 'repeated msg_signature',
        query: `${q({ ...b, msg_signature: sig })}&msg_signature=${flipped}`,
        body: push.body,
        status: 400,
      },
      {
        ...base,
        name: 'conflicting spellings',
        query: q({ ...b, msg_signature: sig, signature: flipped }),
        body: push.body,
        status: 400,
      },
    ],
  }
}

function malformedQuery(k: Kit): HostileGroup {
  const { q, base, validPush } = k
  const push = validPush()
  const { signature: sig, nonce } = push.query as { signature: string; nonce: string }
  const shifted = validPush({ timestamp: '1700000000000', nonce: '5abcdefg' })
  return {
    title: 'rejects malformed timestamps and nonces before any crypto (R6.2)',
    cases: [
      ...['abc', '1e13', ' 1700000000000', '17000000000000', '170000000', ''].map((timestamp) => ({
        ...base,
        name: `timestamp ${JSON.stringify(timestamp)}`,
        query: q({ signature: sig, timestamp, nonce }),
        body: push.body,
        status: 400,
      })),
      {
        ...base,
        name: 'nonce with a space',
        query: q({ signature: sig, timestamp: push.query.timestamp!, nonce: 'a b' }),
        body: push.body,
        status: 400,
      },
      {
        // R4: the nonce's first character moved onto the timestamp keeps the signature valid.
        ...base,
        name: 'boundary shift',
        query: q({ signature: shifted.query.signature!, timestamp: '17000000000005', nonce: 'abcdefg' }),
        body: shifted.body,
        status: 400,
      },
    ],
  }
}

function replays(k: Kit): HostileGroup {
  const { q, base, validPush, unique } = k
  const replayed = unique()
  const push = validPush({ event: replayed })
  const repushed = validPush({ event: replayed })
  const ack = (name: string, p: typeof push, handled: number): HostileCase => ({
    ...base,
    name,
    query: q(p.query),
    body: p.body,
    status: 200,
    acked: true,
    handled,
  })
  return {
    title: 'acknowledges replays and re-encrypted re-pushes without running the handler again (R6.3)',
    cases: [
      ack('first delivery', push, 1),
      ack('exact replay', push, 0),
      ack('re-encrypted re-push', repushed, 0),
    ],
  }
}

function receiveIds(k: Kit): HostileGroup {
  const { crafted, unauthorized, secrets } = k
  return {
    title: 'rejects other, suffixed, prefixed and empty receive-ids by exact match (R6.4)',
    cases: [
      ...[
        'dingothercorp',
        `${secrets.receiveId}x`,
        `x${secrets.receiveId}`,
        secrets.receiveId.slice(1),
        '',
      ].map((receiveId) => unauthorized(`receiveId ${JSON.stringify(receiveId)}`, crafted({ receiveId }))),
      unauthorized('placeholder receiveId', crafted({ receiveId: 'suite4xxxxxxxxxxxxxxx' })),
    ],
  }
}

function brokenCiphertext(k: Kit): HostileGroup {
  const { signedWith, crafted, unauthorized } = k
  const encrypt = (JSON.parse(crafted({}).body) as { encrypt: string }).encrypt
  const broken: Array<[string, string]> = [
    ['truncated by 4', encrypt.slice(0, -4)],
    ['truncated by 2', encrypt.slice(0, -2)],
    ['40 bytes', Buffer.from(encrypt, 'base64').subarray(0, 40).toString('base64')],
    ['one block', Buffer.alloc(16, 7).toString('base64')],
    ['non-base64 character', `${encrypt.slice(0, 10)}!${encrypt.slice(11)}`],
    ['space', `${encrypt.slice(0, 10)} ${encrypt.slice(11)}`],
    ['newline', `${encrypt.slice(0, 40)}\n${encrypt.slice(40)}`],
    ['URL-safe alphabet', encrypt.replaceAll('+', '-').replaceAll('/', '_').padEnd(encrypt.length, 'A')],
  ]
  return {
    title: 'rejects broken ciphertext with the same 401 (R6.5, R6.6)',
    cases: broken.map(([name, text]) => unauthorized(name, signedWith(text))),
  }
}

function badFraming(k: Kit): HostileGroup {
  const { crafted, unauthorized } = k
  const setLast = (value: number) => (plain: Buffer) => {
    plain[plain.length - 1] = value
    return plain
  }
  const short = Buffer.alloc(32, 0)
  short.fill(20, 12)
  return {
    title: 'rejects bad padding, lengths and UTF-8 (R6.7, R6.8, R6.9)',
    cases: [
      unauthorized('pad byte 0', crafted({ pad: setLast(0) })),
      unauthorized('pad byte 33', crafted({ pad: setLast(33) })),
      unauthorized('pad byte 255', crafted({ pad: setLast(255) })),
      unauthorized(
        'inconsistent pad bytes',
        crafted({
          pad: (plain) => {
            plain[plain.length - 2] = (plain[plain.length - 2]! + 1) & 255
            return plain
          },
        }),
      ),
      unauthorized('length 100000', crafted({ length: 100_000 })),
      unauthorized('length 0xFFFFFFFF', crafted({ length: 0xffffffff })),
      unauthorized('plaintext under 20 bytes', crafted({ raw: short })),
      unauthorized('invalid UTF-8', crafted({ message: Buffer.from([0x7b, 0xc3, 0x28, 0x7d]) })),
    ],
  }
}

function unusableMessages(k: Kit): HostileGroup {
  const { base, crafted } = k
  return {
    title: 'acknowledges authentic but unusable messages and reports them (R6.9)',
    cases: ['not json', '[1,2]', '{"NoType":1}', '{"EventType":"never_heard_of"}'].map((message) => ({
      ...base,
      name: message,
      ...crafted({ message: Buffer.from(message) }),
      status: 200,
      acked: true,
      reported: 'CALLBACK_UNKNOWN_EVENT',
    })),
  }
}

function badBodies(k: Kit): HostileGroup {
  const { q, base, validPush } = k
  const push = validPush()
  const query = q(push.query)
  const bodies = [
    '{"encrypt":',
    '{"encrypt":42}',
    '{"encrypt":["a"]}',
    '{"encrypt":{"a":1}}',
    '{"encrypt":""}',
    '[]',
    'null',
    '"text"',
    `{"encrypt":"${push.encrypt}","encrypt":"${push.encrypt}"}`,
    `{"encrypt":"${push.encrypt}","\\u0065ncrypt":"x"}`,
    '{"EventType":"check_url"}',
  ]
  return {
    title: 'rejects bad bodies, content types and methods before any crypto (R6.10)',
    cases: [
      ...bodies.map((body) => ({ ...base, name: body.slice(0, 40), query, body, status: 400 })),
      ...['text/plain', 'application/x-www-form-urlencoded'].map((type) => ({
        ...base,
        name: `content-type ${type}`,
        query,
        headers: { 'content-type': type },
        body: push.body,
        status: 415,
      })),
      ...['GET', 'HEAD', 'PUT', 'DELETE', 'PATCH'].map((method) => ({
        ...base,
        method,
        name: method,
        query,
        body: push.body,
        status: 405,
      })),
    ],
  }
}

function genuineLast(k: Kit): HostileGroup {
  const { genuine } = k
  return {
    title: 'still accepts the genuine request after all of that',
    cases: [genuine('genuine again')],
  }
}

/**
 * The hostile-input corpus of the callback issue (callback-security R6 items 1–10, plus a genuine request
 * first and last), built for one endpoint's secrets. Valid pushes come from the emulator's own
 * implementation; broken ones are AES-CBC encrypted by hand so that everything but the broken part is valid.
 * Each call builds fresh timestamps and events.
 *
 * @example
 * ```ts
 * const groups = hostileCorpus({ token, aesKey, receiveId: corpId })
 * ```
 */
export function hostileCorpus(secrets: CallbackSecrets): HostileGroup[] {
  const kit = kitFor(secrets)
  return [
    genuineFirst,
    signatureFailures,
    malformedQuery,
    replays,
    receiveIds,
    brokenCiphertext,
    badFraming,
    unusableMessages,
    badBodies,
    genuineLast,
  ].map((group) => group(kit))
}
