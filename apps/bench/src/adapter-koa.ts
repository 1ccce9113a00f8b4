import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { generateAesKey } from '@dingtalk-kit/emulator'
import { dingtalk } from '@dingtalk-kit/koa'
import Koa, { type Context } from 'koa'
import { compareCallbackRoutes, loadCallback, type Run } from './callback-load'
import type { BenchOptions, Comparison } from './lib'

const token = 'bench-koa-token'
const aesKey = generateAesKey()
const receiveId = 'dingbenchkoa'
const PATH = '/dingtalk/callback'
const LIMIT = 1024 * 1024

/** The hand-written route: the same verify + decrypt + encrypted reply, straight on `node:crypto` (§1.2–§1.7). */
function handWritten(): Koa {
  const key = Buffer.from(`${aesKey}=`, 'base64')
  const iv = key.subarray(0, 16)
  const sign = (...parts: string[]): string => createHash('sha1').update(parts.sort().join('')).digest('hex')
  const readBody = async (ctx: Context): Promise<string | undefined> => {
    const chunks: Buffer[] = []
    let size = 0
    for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
      size += chunk.length
      if (size > LIMIT) return undefined
      chunks.push(chunk)
    }
    return Buffer.concat(chunks).toString('utf8')
  }
  const refuse = (ctx: Context, status: number): void => {
    ctx.status = status
  }
  const app = new Koa()
  app.use(async (ctx, next) => {
    if (ctx.path !== PATH) return next()
    if (ctx.method !== 'POST') return refuse(ctx, 405)
    const text = await readBody(ctx)
    if (text === undefined) return refuse(ctx, 413)
    const { signature = ctx.query.msg_signature, timestamp = ctx.query.timeStamp, nonce } = ctx.query
    const encrypt = (JSON.parse(text) as { encrypt?: unknown }).encrypt
    if (typeof signature !== 'string' || typeof timestamp !== 'string' || typeof nonce !== 'string') {
      return refuse(ctx, 400)
    }
    if (typeof encrypt !== 'string') return refuse(ctx, 400)
    const expected = Buffer.from(sign(token, timestamp, nonce, encrypt))
    const given = Buffer.from(signature)
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return refuse(ctx, 401)
    const decipher = createDecipheriv('aes-256-cbc', key, iv).setAutoPadding(false)
    const plain = Buffer.concat([decipher.update(encrypt, 'base64'), decipher.final()])
    const pad = plain[plain.length - 1]!
    const body = plain.subarray(0, plain.length - pad)
    const length = body.readUInt32BE(16)
    if (body.subarray(20 + length).toString('utf8') !== receiveId) return refuse(ctx, 401)
    JSON.parse(body.subarray(20, 20 + length).toString('utf8'))
    const message = Buffer.from('success')
    const receive = Buffer.from(receiveId)
    const raw = Buffer.concat([randomBytes(16), Buffer.alloc(4), message, receive])
    raw.writeUInt32BE(message.length, 16)
    const padding = 32 - (raw.length % 32)
    const cipher = createCipheriv('aes-256-cbc', key, iv).setAutoPadding(false)
    const sealed = Buffer.concat([
      cipher.update(Buffer.concat([raw, Buffer.alloc(padding, padding)])),
      cipher.final(),
    ])
    const replyEncrypt = sealed.toString('base64')
    const replyTimestamp = String(Date.now())
    const replyNonce = randomBytes(8).toString('hex')
    ctx.type = 'application/json'
    ctx.body = JSON.stringify({
      msg_signature: sign(token, replyTimestamp, replyNonce, replyEncrypt),
      timeStamp: replyTimestamp,
      nonce: replyNonce,
      encrypt: replyEncrypt,
    })
  })
  return app
}

function adapter(): Koa {
  const dt = dingtalk({ callback: { token, aesKey, receiveId } })
  return new Koa().use(dt.middleware())
}

async function listen(app: Koa): Promise<{ url: string; server: Server }> {
  const server = createServer(app.callback())
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server }
}

async function load(app: Koa, durationS: number): Promise<Run> {
  const { url, server } = await listen(app)
  try {
    return await loadCallback(url + PATH, { token, aesKey, receiveId }, durationS)
  } finally {
    server.closeAllConnections()
    server.close()
  }
}

/**
 * Requests/s of `POST /dingtalk/callback` through `@dingtalk-kit/koa` (no body parser: the core reads the
 * stream) against a hand-written Koa route doing the same verify + decrypt + encrypted reply with
 * `node:crypto`. autocannon (in a worker thread) on loopback, 16 connections, the same signed push each time.
 */
export async function benchKoaAdapter(options: BenchOptions): Promise<Comparison[]> {
  return [
    await compareCallbackRoutes(
      options,
      'Koa: POST /dingtalk/callback (requests/s)',
      { name: '@dingtalk-kit/koa middleware()', run: (d) => load(adapter(), d) },
      { name: 'hand-written Koa route (node:crypto)', run: (d) => load(handWritten(), d) },
      'The adapter also checks formats, repeated keys and parameters, and looks the event up in the ' +
        'de-duplication store (a re-push here).',
    ),
  ]
}
