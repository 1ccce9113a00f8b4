import { createCipheriv } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { VECTORS } from '../src/crypto/vectors.test-data'
import type { CryptoBackend } from '../src/index'
import type { DecryptOutcomes, DecryptRequest, RuntimeReport } from './runtimes/crypto-checks'
import { CHINESE_MESSAGE, CHINESE_RANDOM } from './runtimes/crypto-inputs'
import {
  type Bundle,
  bundleModule,
  type Runtime,
  type ServedModule,
  type ServeOptions,
  serveModule,
} from './runtimes/harness'

interface Case {
  name: string
  runtime: Runtime
  options?: ServeOptions
  /** The backend `createCallbackCrypto` must pick there, and the hashes signing must use. */
  picks: { backend: CryptoBackend; hashes: 'node' | 'portable' }
}

// Node, Bun and Deno all have process.getBuiltinModule('node:crypto') and Buffer, so the core takes
// node:crypto there (issue 2: Web Crypto costs ~50 µs per call). Plain workerd has neither `process` nor
// `node:*`: Web Crypto and the portable hashes. With nodejs_compat workerd offers node:crypto too.
const CASES: Case[] = [
  { name: 'Node', runtime: 'node', picks: { backend: 'node', hashes: 'node' } },
  { name: 'Bun', runtime: 'bun', picks: { backend: 'node', hashes: 'node' } },
  { name: 'Deno', runtime: 'deno', picks: { backend: 'node', hashes: 'node' } },
  { name: 'workerd', runtime: 'workerd', picks: { backend: 'web', hashes: 'portable' } },
  {
    name: 'workerd with nodejs_compat',
    runtime: 'workerd',
    options: { workerd: { compatibilityFlags: ['nodejs_compat'] } },
    picks: { backend: 'node', hashes: 'node' },
  },
]

let bundle: Bundle

beforeAll(async () => {
  bundle = await bundleModule(fileURLToPath(new URL('./runtimes/crypto-checks.ts', import.meta.url)))
}, 30_000)

afterAll(async () => {
  await bundle?.cleanup()
})

async function get(app: ServedModule, path: string, init?: RequestInit): Promise<unknown> {
  const response = await fetch(`${app.url}${path}`, init)
  const body = await response.text()
  if (response.status !== 200) throw new Error(`${app.runtime} answered ${response.status}: ${body}`)
  return JSON.parse(body)
}

// §1.3–§1.4 framing encrypted without padding of its own, so that padding and length can be broken.
const A = VECTORS[0]!
const HOSTILE_RECEIVE_ID = 'ding6ccabc44d2c8d38b'

function rawEncrypt(plaintext: Buffer): string {
  const key = Buffer.from(`${A.aesKey}=`, 'base64')
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false)
  return Buffer.concat([cipher.update(plaintext), cipher.final()]).toString('base64')
}

function frame(
  message: Buffer,
  options: { length?: number; receiveId?: string; random?: string } = {},
): Buffer {
  const header = Buffer.alloc(20)
  header.write(options.random ?? '1234567890123456', 0, 'latin1')
  header.writeUInt32BE(options.length ?? message.length, 16)
  const body = Buffer.concat([header, message, Buffer.from(options.receiveId ?? HOSTILE_RECEIVE_ID)])
  const pad = 32 - (body.length % 32)
  return Buffer.concat([body, Buffer.alloc(pad, pad)])
}

function withByte(buffer: Buffer, index: number, value: number): Buffer {
  const copy = Buffer.from(buffer)
  copy[copy.length + index] = value
  return copy
}

// What DingTalk itself would send, built here on node:crypto without the core.
const chineseReference = rawEncrypt(
  frame(Buffer.from(CHINESE_MESSAGE), { random: CHINESE_RANDOM, receiveId: 'dingcorp123' }),
)
const CHECK_URL = Buffer.from('{"EventType":"check_url"}')
const good = rawEncrypt(frame(CHECK_URL))
// Each input with the outcome every runtime and backend must reach (issue 2: the same decision everywhere).
const HOSTILE: [string, string][] = [
  [good, 'ok:{"EventType":"check_url"}'],
  ['', 'CRYPTO_INVALID_CIPHERTEXT'],
  ['not base64!', 'CRYPTO_INVALID_CIPHERTEXT'],
  [`${good.slice(0, 20)} ${good.slice(21)}`, 'CRYPTO_INVALID_CIPHERTEXT'],
  [`${good}\n`, 'CRYPTO_INVALID_CIPHERTEXT'],
  [A.encrypt.replaceAll('+', '-').replaceAll('/', '_'), 'CRYPTO_INVALID_CIPHERTEXT'],
  [VECTORS[1]!.encrypt.replace(/Q==$/, 'R=='), 'CRYPTO_INVALID_CIPHERTEXT'],
  [VECTORS[1]!.encrypt.replace(/==$/, ''), 'CRYPTO_INVALID_CIPHERTEXT'],
  ['QUJDRA=', 'CRYPTO_INVALID_CIPHERTEXT'],
  ['====', 'CRYPTO_INVALID_CIPHERTEXT'],
  [Buffer.alloc(16).toString('base64'), 'CRYPTO_INVALID_CIPHERTEXT'],
  [Buffer.alloc(24).toString('base64'), 'CRYPTO_INVALID_CIPHERTEXT'],
  [Buffer.alloc(47).toString('base64'), 'CRYPTO_INVALID_CIPHERTEXT'],
  [rawEncrypt(withByte(frame(CHECK_URL), -1, 0)), 'CRYPTO_INVALID_PADDING'],
  [rawEncrypt(withByte(frame(CHECK_URL), -1, 33)), 'CRYPTO_INVALID_PADDING'],
  [rawEncrypt(withByte(frame(CHECK_URL), -2, 7)), 'CRYPTO_INVALID_PADDING'],
  [rawEncrypt(frame(CHECK_URL, { length: 1000 })), 'CRYPTO_INVALID_LENGTH'],
  [rawEncrypt(frame(CHECK_URL, { length: 0xffffffff })), 'CRYPTO_INVALID_LENGTH'],
  [rawEncrypt(Buffer.alloc(32, 32)), 'CRYPTO_INVALID_LENGTH'],
  [rawEncrypt(frame(Buffer.from([0xc3, 0x28, 0xff]))), 'CRYPTO_INVALID_UTF8'],
  [rawEncrypt(frame(CHECK_URL, { receiveId: `${HOSTILE_RECEIVE_ID}x` })), 'CRYPTO_RECEIVE_ID_MISMATCH'],
  [
    rawEncrypt(frame(CHECK_URL, { receiveId: HOSTILE_RECEIVE_ID.slice(0, -1) })),
    'CRYPTO_RECEIVE_ID_MISMATCH',
  ],
]

describe.each(CASES.map((c) => [c.name, c] as const))('core crypto and signing on %s', (_, c) => {
  let app: ServedModule
  let report: RuntimeReport

  beforeAll(async () => {
    app = await serveModule(c.runtime, bundle.file, { ...c.options, env: { GREETING: '你好 workerd' } })
    report = (await get(app, '/')) as RuntimeReport
  }, 30_000)

  afterAll(async () => {
    await app?.close()
  })

  it(`picks the ${c.picks.backend} backend and ${c.picks.hashes} hashes`, () => {
    expect(report.autoBackend).toBe(c.picks.backend)
    expect(report.hashes).toBe(c.picks.hashes)
    expect(report.globals.subtle).toBe(true)
    expect(report.backends.map((b) => b.backend)).toEqual(
      c.picks.backend === 'node' ? ['web', 'node'] : ['web'],
    )
  })

  it('decrypts, verifies and re-encrypts the §1.8 vectors A–D and E1 with every backend', () => {
    expect(VECTORS.map((v) => v.name[0])).toEqual(['A', 'B', 'C', 'D', 'E'])
    for (const backend of report.backends) {
      expect(backend.vectors).toEqual(
        VECTORS.map((v) => ({
          name: v.name,
          verified: true,
          message: v.message,
          receiveId: v.receiveId,
          random: v.random,
          reencrypted: v.encrypt,
          resigned: v.signature,
        })),
      )
    }
  })

  it('round-trips a Chinese message, encrypting to the bytes DingTalk would send', () => {
    for (const backend of report.backends) {
      expect(backend.chinese).toEqual({
        encrypted: chineseReference,
        decrypted: CHINESE_MESSAGE,
        random: CHINESE_RANDOM,
      })
    }
  })

  it('throws the typed error for a wrong receive-id', () => {
    for (const backend of report.backends) {
      const error = backend.wrongReceiveId
      expect(error).toMatchObject({
        name: 'DingTalkCryptoError',
        isDingTalkCryptoError: true,
        isDingTalkError: true,
        code: 'CRYPTO_RECEIVE_ID_MISMATCH',
        dingtalkCode: 900010,
        actualReceiveId: 'dingcorp123',
      })
      expect(error.message).toContain('dingcorp123')
      expect(error.message).toContain('corpId')
    }
  })

  it('signs the §3.5 JSAPI vector with SHA-1 and SHA-256', () => {
    const sha1 = '10de2b0a6763ec3685a50272b5b0eb2848098dc2'
    const sha256 = '6d6e0580d57aac61e427c1e82e7545cca4eed5c59ae6bb468c6bf6f89753cdb2'
    expect(report.jsapi).toEqual({ sha1, sha256, portableSha1: sha1, portableSha256: sha256 })
  })

  it('signs the §4.4 HMAC vectors', () => {
    const sns = 'HCbG3xNE3vzhO+u7qCUL1jS5hsu2n5r2cFhnTrtyDAE='
    expect(report.hmac).toEqual({
      sns,
      isv: 'DrdGYXrNsJpku0OESpumVWfuH3Aws2mQnuDeMhR6bic=',
      query:
        'accessKey=appid&timestamp=1546084445901&signature=HCbG3xNE3vzhO%2Bu7qCUL1jS5hsu2n5r2cFhnTrtyDAE%3D',
      portableSns: sns,
    })
  })

  it('makes the same decision on hostile input as Node, with every backend', async () => {
    const body: DecryptRequest = {
      aesKey: A.aesKey,
      receiveId: HOSTILE_RECEIVE_ID,
      inputs: HOSTILE.map(([input]) => input),
    }
    const outcomes = (await get(app, '/decrypt', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })) as DecryptOutcomes
    const expected = HOSTILE.map(([, outcome]) => outcome)
    expect(outcomes).toEqual(
      c.picks.backend === 'node' ? { web: expected, node: expected } : { web: expected },
    )
  })

  it('hands the module the env given to the harness', async () => {
    expect(await get(app, '/env')).toEqual({ GREETING: '你好 workerd' })
  })
})
