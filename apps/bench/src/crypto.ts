import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { buildDdConfig, createCallbackCrypto } from '@dingtalk-kit/core'
import { type BenchOptions, type Comparison, compare } from './lib'

const TOKEN = 'bench-token'
const AES_KEY = '4g5j64qlyl3zvetqxz5jiocdr586fn2zvjpa8zls3ij'
const CORP_ID = 'dingbench0000000001'
const TICKET = 'mS5k98fdkdgDKxkXGEs8LORVREiweeWETE40P37wkidkfksDSKDJFD5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcKIDU8l'

/** A contact event of about `bytes` bytes of JSON, like DingTalk's user_add_org pushes. */
export function contactEvent(bytes: number): string {
  const ids: string[] = []
  let event = ''
  for (let i = 0; event.length < bytes; i++) {
    ids.push(`manager${String(i).padStart(6, '0')}`)
    event = JSON.stringify({
      EventType: 'user_add_org',
      TimeStamp: '1700000000000',
      CorpId: CORP_ID,
      UserId: ids,
    })
  }
  return event
}

interface SignedQuery {
  signature: string
  timestamp: string
  nonce: string
  encrypt: string
}

// The baseline: the same work written straight on node:crypto, one cipher and one hash object per message,
// as the npm libraries and the official samples do it.
const baseKey = Buffer.from(`${AES_KEY}=`, 'base64')
const baseIv = baseKey.subarray(0, 16)

function baselineSign(token: string, timestamp: string, nonce: string, encrypt: string): string {
  return createHash('sha1').update([token, timestamp, nonce, encrypt].sort().join('')).digest('hex')
}

export function baselineOpen(q: SignedQuery): string {
  const expected = Buffer.from(baselineSign(TOKEN, q.timestamp, q.nonce, q.encrypt))
  const given = Buffer.from(q.signature)
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw new Error('signature')
  const decipher = createDecipheriv('aes-256-cbc', baseKey, baseIv)
  decipher.setAutoPadding(false)
  const buf = Buffer.concat([decipher.update(q.encrypt, 'base64'), decipher.final()])
  const pad = buf[buf.length - 1]!
  if (pad < 1 || pad > 32) throw new Error('padding')
  const end = buf.length - pad
  const length = buf.readUInt32BE(16)
  if (20 + length > end) throw new Error('length')
  if (buf.toString('utf8', 20 + length, end) !== CORP_ID) throw new Error('receive-id')
  return buf.toString('utf8', 20, 20 + length)
}

export function baselineReply(message: string): Record<string, string> {
  const random = randomBytes(16)
  const body = Buffer.from(message)
  const id = Buffer.from(CORP_ID)
  const length = Buffer.alloc(4)
  length.writeUInt32BE(body.length)
  const total = 20 + body.length + id.length
  const pad = 32 - (total % 32)
  const plain = Buffer.concat([random, length, body, id, Buffer.alloc(pad, pad)])
  const cipher = createCipheriv('aes-256-cbc', baseKey, baseIv)
  cipher.setAutoPadding(false)
  const encrypt = Buffer.concat([cipher.update(plain), cipher.final()]).toString('base64')
  const timeStamp = String(Date.now())
  const nonce = randomBytes(8).toString('hex')
  return { msg_signature: baselineSign(TOKEN, timeStamp, nonce, encrypt), timeStamp, nonce, encrypt }
}

function baselineJsapi(url: string, nonceStr: string, timeStamp: string): string {
  const clean = url.split('#')[0]!
  const q = clean.indexOf('?')
  const normalised = q === -1 ? clean : clean.slice(0, q + 1) + decodeURIComponent(clean.slice(q + 1))
  return createHash('sha1')
    .update(`jsapi_ticket=${TICKET}&noncestr=${nonceStr}&timestamp=${timeStamp}&url=${normalised}`)
    .digest('hex')
}

export async function signedPush(message: string): Promise<SignedQuery> {
  const c = createCallbackCrypto({ token: TOKEN, aesKey: AES_KEY, receiveId: CORP_ID, backend: 'node' })
  const encrypt = await c.encrypt(message)
  const timestamp = '1700000000000'
  const nonce = 'nEXhMP4r'
  return { signature: c.sign(timestamp, nonce, encrypt), timestamp, nonce, encrypt }
}

export async function benchCrypto(options: BenchOptions): Promise<Comparison[]> {
  const crypto = createCallbackCrypto({ token: TOKEN, aesKey: AES_KEY, receiveId: CORP_ID })
  const results: Comparison[] = []
  for (const [label, size, goal] of [
    ['decrypt+verify, ~400 B event', 400, 1.5],
    ['decrypt+verify, ~20 KiB event', 20 * 1024, undefined],
  ] as const) {
    const q = await signedPush(contactEvent(size))
    if ((await crypto.open(q)).message !== baselineOpen(q)) throw new Error('candidate and baseline disagree')
    results.push(
      await compare(
        label,
        { name: 'dingtalk-kit open()', fn: () => crypto.open(q) },
        { name: 'node:crypto baseline', fn: () => baselineOpen(q) },
        { ...options, ...(goal ? { goal } : {}) },
      ),
    )
  }
  results.push(
    await compare(
      'encrypt+sign the "success" reply',
      { name: 'dingtalk-kit reply()', fn: () => crypto.reply() },
      { name: 'node:crypto baseline', fn: () => baselineReply('success') },
      { ...options, goal: 2 },
    ),
  )
  const url = 'https://app.example.com/page?corpId=ding123&name=%E5%BC%A0%E4%B8%89#/home'
  if (
    buildDdConfig({ ticket: TICKET, url, agentId: 1, corpId: 'c', nonceStr: 'n', timeStamp: '1' })
      .signature !== baselineJsapi(url, 'n', '1')
  ) {
    throw new Error('JSAPI candidate and baseline disagree')
  }
  results.push(
    await compare(
      'JSAPI dd.config signature',
      {
        name: 'dingtalk-kit buildDdConfig()',
        fn: () =>
          buildDdConfig({ ticket: TICKET, url, agentId: 1, corpId: 'c', nonceStr: 'n', timeStamp: '1' }),
      },
      { name: 'node:crypto baseline', fn: () => baselineJsapi(url, 'n', '1') },
      options,
    ),
  )
  return results
}
