import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { VECTORS } from '../src/crypto/vectors.test-data'
import { type CryptoBackend, createCallbackCrypto } from '../src/index'
import type { RuntimeReport } from './runtimes/crypto-checks'
import { CHINESE_MESSAGE, CHINESE_RANDOM } from './runtimes/crypto-inputs'
import { type Bundle, bundleModule, type Runtime, type ServeOptions, serveModule } from './runtimes/harness'

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

async function reportOn(c: Case): Promise<RuntimeReport> {
  const app = await serveModule(c.runtime, bundle.file, c.options)
  try {
    const response = await fetch(app.url)
    const body = await response.text()
    if (response.status !== 200) throw new Error(`${c.name} answered ${response.status}: ${body}`)
    return JSON.parse(body) as RuntimeReport
  } finally {
    await app.close()
  }
}

const chineseReference = await createCallbackCrypto({
  token: 't',
  aesKey: VECTORS[0]!.aesKey,
  receiveId: 'dingcorp123',
  backend: 'node',
}).encrypt(CHINESE_MESSAGE, { random: CHINESE_RANDOM })

describe.each(CASES)('core crypto and signing on $name', (c) => {
  let report: RuntimeReport

  beforeAll(async () => {
    report = await reportOn(c)
  }, 30_000)

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

  it('round-trips a Chinese message to the same bytes as Node', () => {
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
})
