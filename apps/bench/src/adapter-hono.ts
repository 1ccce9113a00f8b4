import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { generateAesKey } from '@dingtalk-kit/emulator'
import { dingtalk } from '@dingtalk-kit/hono'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { compareCallbackRoutes, loadCallback, type Run } from './callback-load'
import type { BenchOptions, Comparison } from './lib'

const secrets = { token: 'bench-hono-token', aesKey: generateAesKey(), receiveId: 'dingbenchhono' }
const PATH = '/dingtalk/callback'

function sha1Sorted(parts: string[]): string {
  return createHash('sha1').update(parts.sort().join('')).digest('hex')
}

/** A hand-written Hono route doing the same verify + decrypt + encrypted reply on `node:crypto` (§1.2–§1.7). */
function handWritten(): Hono {
  const key = Buffer.from(`${secrets.aesKey}=`, 'base64')
  const iv = key.subarray(0, 16)
  const receiveId = Buffer.from(secrets.receiveId)
  const app = new Hono()
  app.post(PATH, async (c) => {
    const signature = c.req.query('msg_signature') ?? c.req.query('signature')
    const timestamp = c.req.query('timeStamp') ?? c.req.query('timestamp')
    const nonce = c.req.query('nonce')
    const { encrypt } = await c.req.json<{ encrypt?: unknown }>()
    if (!signature || !timestamp || !nonce || typeof encrypt !== 'string') return c.body(null, 400)
    const expected = Buffer.from(sha1Sorted([secrets.token, timestamp, nonce, encrypt]))
    const given = Buffer.from(signature)
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return c.body(null, 401)
    const decipher = createDecipheriv('aes-256-cbc', key, iv).setAutoPadding(false)
    const plain = Buffer.concat([decipher.update(encrypt, 'base64'), decipher.final()])
    const unpadded = plain.subarray(0, plain.length - plain[plain.length - 1]!)
    const length = unpadded.readUInt32BE(16)
    if (!unpadded.subarray(20 + length).equals(receiveId)) return c.body(null, 401)
    JSON.parse(unpadded.subarray(20, 20 + length).toString('utf8'))
    const head = randomBytes(20)
    head.writeUInt32BE(7, 16)
    const framed = Buffer.concat([head, Buffer.from('success'), receiveId])
    const pad = 32 - (framed.length % 32)
    const cipher = createCipheriv('aes-256-cbc', key, iv).setAutoPadding(false)
    const sealed = Buffer.concat([
      cipher.update(Buffer.concat([framed, Buffer.alloc(pad, pad)])),
      cipher.final(),
    ])
    const replyEncrypt = sealed.toString('base64')
    const replyTimestamp = String(Date.now())
    const replyNonce = randomBytes(8).toString('hex')
    return c.json({
      msg_signature: sha1Sorted([secrets.token, replyTimestamp, replyNonce, replyEncrypt]),
      timeStamp: replyTimestamp,
      nonce: replyNonce,
      encrypt: replyEncrypt,
    })
  })
  return app
}

function adapter(): Hono {
  return new Hono().route('/dingtalk', dingtalk({ callback: secrets }))
}

async function load(app: Hono, durationS: number): Promise<Run> {
  const { server, url } = await new Promise<{ server: ReturnType<typeof serve>; url: string }>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) =>
      resolve({ server: s, url: `http://127.0.0.1:${info.port}` }),
    )
  })
  try {
    return await loadCallback(url + PATH, secrets, durationS)
  } finally {
    if ('closeAllConnections' in server) server.closeAllConnections()
    server.close()
  }
}

/**
 * Requests/s of `POST /dingtalk/callback` through `@dingtalk-kit/hono` (the sub-app on `@hono/node-server`)
 * against a hand-written Hono route doing the same verify + decrypt + encrypted reply with `node:crypto`
 * (a re-push for the adapter, which it answers from its de-duplication store).
 */
export async function benchHonoAdapter(options: BenchOptions): Promise<Comparison[]> {
  return [
    await compareCallbackRoutes(
      options,
      'Hono on @hono/node-server: POST /dingtalk/callback (requests/s)',
      { name: '@dingtalk-kit/hono dingtalk() sub-app', run: (d) => load(adapter(), d) },
      { name: 'hand-written Hono route (node:crypto)', run: (d) => load(handWritten(), d) },
      'The adapter also checks formats and repeated parameters and keys, and looks the event up in the ' +
        'de-duplication store.',
    ),
  ]
}
