// Bundled by runtimes.test.ts and served on every runtime: computes what the test then asserts, so that a
// failure shows the runtime's actual values. GET / answers a RuntimeReport, POST /decrypt the outcomes of
// hostile inputs, GET /env the env the harness passed. Only types and the default export leave this
// module: workerd takes every named export for an entrypoint.
import { VECTORS } from '../../src/crypto/vectors.test-data'
import { hashes } from '../../src/hash/index'
import {
  type CryptoBackend,
  createCallbackCrypto,
  DingTalkCryptoError,
  DingTalkError,
  isvSignedQuery,
  signIsvRequest,
  signJsapi,
} from '../../src/index'
import { CHINESE_MESSAGE, CHINESE_RANDOM, JSAPI_INPUT } from './crypto-inputs'

export interface VectorResult {
  name: string
  verified: boolean
  message: string
  receiveId: string
  random: string
  reencrypted: string
  resigned: string
}

export interface BackendReport {
  backend: CryptoBackend
  vectors: VectorResult[]
  chinese: { encrypted: string; decrypted: string; random: string }
  wrongReceiveId: {
    name: string
    isDingTalkCryptoError: boolean
    isDingTalkError: boolean
    code: string
    dingtalkCode: number
    actualReceiveId: string | undefined
    message: string
  }
}

export interface RuntimeReport {
  globals: { process: boolean; getBuiltinModule: boolean; buffer: boolean; subtle: boolean }
  /** What `createCallbackCrypto` picks by default here. */
  autoBackend: CryptoBackend
  /** What the JSAPI/ISV signing uses by default here. */
  hashes: 'node' | 'portable'
  backends: BackendReport[]
  jsapi: { sha1: string; sha256: string; portableSha1: string; portableSha256: string }
  hmac: { sns: string; isv: string; query: string; portableSns: string }
}

async function backendReport(backend: CryptoBackend): Promise<BackendReport> {
  const vectors: VectorResult[] = []
  for (const v of VECTORS) {
    const c = createCallbackCrypto({ token: v.token, aesKey: v.aesKey, receiveId: v.receiveId, backend })
    const verified = c.verify({
      signature: v.signature,
      timestamp: v.timestamp,
      nonce: v.nonce,
      encrypt: v.encrypt,
    })
    const opened = await c.decrypt(v.encrypt)
    const reencrypted = await c.encrypt(opened.message, { random: opened.random })
    vectors.push({
      name: v.name,
      verified,
      message: opened.message,
      receiveId: opened.receiveId,
      random: opened.random,
      reencrypted,
      resigned: c.sign(v.timestamp, v.nonce, reencrypted),
    })
  }
  const first = VECTORS[0]!
  const corp = createCallbackCrypto({ token: 't', aesKey: first.aesKey, receiveId: 'dingcorp123', backend })
  const encrypted = await corp.encrypt(CHINESE_MESSAGE, { random: CHINESE_RANDOM })
  const opened = await corp.decrypt(encrypted)
  const other = createCallbackCrypto({ token: 't', aesKey: first.aesKey, receiveId: 'dingother', backend })
  let wrong: unknown
  try {
    await other.decrypt(encrypted)
  } catch (error) {
    wrong = error
  }
  if (!(wrong instanceof Error)) throw new Error('decrypt for the wrong receive-id did not throw')
  const crypto = wrong instanceof DingTalkCryptoError ? wrong : undefined
  return {
    backend: corp.backend,
    vectors,
    chinese: { encrypted, decrypted: opened.message, random: opened.random },
    wrongReceiveId: {
      name: wrong.name,
      isDingTalkCryptoError: crypto !== undefined,
      isDingTalkError: wrong instanceof DingTalkError,
      code: crypto?.code ?? '',
      dingtalkCode: crypto?.dingtalkCode ?? 0,
      actualReceiveId: crypto?.actualReceiveId,
      message: wrong.message,
    },
  }
}

// §3.2: the string to sign, hashed here with the portable hashes as a cross-check of signJsapi.
const JSAPI_PLAIN =
  `jsapi_ticket=${JSAPI_INPUT.ticket}&noncestr=${JSAPI_INPUT.nonceStr}` +
  `&timestamp=${JSAPI_INPUT.timeStamp}&url=${JSAPI_INPUT.url}`

async function report(): Promise<RuntimeReport> {
  const proc = (globalThis as { process?: { getBuiltinModule?: unknown } }).process
  const autoBackend = createCallbackCrypto({ token: 't', aesKey: VECTORS[0]!.aesKey, receiveId: 'x' }).backend
  const portable = hashes('portable')
  const backends = [await backendReport('web')]
  if (autoBackend === 'node') backends.push(await backendReport('node'))
  const isv = { secret: 'suiteSecretExample', timestamp: 1527130370219, suiteTicket: 'suiteTicketExample' }
  return {
    globals: {
      process: proc !== undefined,
      getBuiltinModule: typeof proc?.getBuiltinModule === 'function',
      buffer: typeof (globalThis as { Buffer?: unknown }).Buffer === 'function',
      subtle: typeof globalThis.crypto?.subtle === 'object',
    },
    autoBackend,
    hashes: hashes() === portable ? 'portable' : 'node',
    backends,
    // §3.5
    jsapi: {
      sha1: signJsapi(JSAPI_INPUT),
      sha256: signJsapi({ ...JSAPI_INPUT, algorithm: 'sha256' }),
      portableSha1: portable.sha1Hex(JSAPI_PLAIN),
      portableSha256: portable.sha256Hex(JSAPI_PLAIN),
    },
    // §4.4
    hmac: {
      sns: signIsvRequest({ secret: 'testappSecret', timestamp: '1546084445901' }),
      isv: signIsvRequest(isv),
      query: isvSignedQuery({ accessKey: 'appid', secret: 'testappSecret', timestamp: 1546084445901 }),
      portableSns: portable.hmacSha256Base64('testappSecret', '1546084445901'),
    },
  }
}

export interface DecryptRequest {
  aesKey: string
  receiveId: string
  inputs: string[]
}

/** Per backend, what `decrypt` made of each input: `ok:<message>`, an error code, or `untyped:<error>`. */
export type DecryptOutcomes = Partial<Record<CryptoBackend, string[]>>

async function outcomes(body: DecryptRequest): Promise<DecryptOutcomes> {
  const result: DecryptOutcomes = {}
  const auto = createCallbackCrypto({ token: 't', aesKey: body.aesKey, receiveId: body.receiveId }).backend
  for (const backend of auto === 'node' ? (['web', 'node'] as const) : (['web'] as const)) {
    const c = createCallbackCrypto({ token: 't', aesKey: body.aesKey, receiveId: body.receiveId, backend })
    const list: string[] = []
    for (const input of body.inputs) {
      try {
        list.push(`ok:${(await c.decrypt(input)).message}`)
      } catch (error) {
        const e = error as Error
        list.push(error instanceof DingTalkCryptoError ? error.code : `untyped:${e.name}: ${e.message}`)
      }
    }
    result[backend] = list
  }
  return result
}

export default {
  async fetch(request: Request, env: Record<string, string>): Promise<Response> {
    try {
      const path = new URL(request.url).pathname
      if (path === '/env') return Response.json(env)
      if (path === '/decrypt' && request.method === 'POST') {
        return Response.json(await outcomes((await request.json()) as DecryptRequest))
      }
      return Response.json(await report())
    } catch (error) {
      const e = error as Error
      return new Response(`${e.name}: ${e.message}\n${e.stack ?? ''}`, { status: 500 })
    }
  },
}
