import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { buildPush, checkReply, generateAesKey } from '@dingtalk-kit/emulator'
import { dingtalk } from '@dingtalk-kit/hono'
import { serve } from '@hono/node-server'
import autocannon from 'autocannon'
import { Hono } from 'hono'
import type { BenchOptions, Comparison, Measurement } from './lib'

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

interface Run {
  rps: number
  p50: number
  p99: number
}

async function load(app: Hono, durationS: number): Promise<Run> {
  const { server, url } = await new Promise<{ server: ReturnType<typeof serve>; url: string }>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) =>
      resolve({ server: s, url: `http://127.0.0.1:${info.port}` }),
    )
  })
  try {
    const event = { EventType: 'user_add_org', UserId: ['bench'], CorpId: secrets.receiveId, TimeStamp: '1' }
    const push = buildPush({ url: url + PATH, ...secrets, event })
    const headers = { 'content-type': 'application/json' }
    const probe = await fetch(push.url, { method: 'POST', headers, body: push.body })
    const verdict = checkReply({ status: probe.status, body: await probe.text(), ...secrets })
    if (!verdict.ok) throw new Error(`the route under test answers wrongly: ${verdict.reason}`)
    // autocannon in a worker thread, so the load generator does not share the servers' event loop.
    const request = {
      url: push.url,
      method: 'POST' as const,
      headers,
      body: push.body,
      connections: 16,
      workers: 1,
    }
    await autocannon({ ...request, amount: 1000 })
    const result = await autocannon({ ...request, duration: durationS })
    if (result.non2xx > 0 || result.errors > 0) {
      throw new Error(`${result.non2xx} non-2xx answers and ${result.errors} errors under load`)
    }
    return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 }
  } finally {
    if ('closeAllConnections' in server) server.closeAllConnections()
    server.close()
  }
}

function middle(runs: Run[]): Run {
  return [...runs].sort((a, b) => a.rps - b.rps)[runs.length >> 1]!
}

function measurement(name: string, runs: Run[]): Measurement {
  const rates = runs.map((r) => r.rps)
  return { name, opsPerSec: middle(runs).rps, min: Math.min(...rates), max: Math.max(...rates) }
}

/**
 * Requests/s of `POST /dingtalk/callback` through `@dingtalk-kit/hono` (the sub-app on `@hono/node-server`)
 * against a hand-written Hono route doing the same verify + decrypt + encrypted reply with `node:crypto`,
 * in the same run: autocannon on loopback, 16 connections, the same signed push each time (a re-push for the
 * adapter, which it answers from its de-duplication store), sides alternating in rounds (quick: two 1 s runs
 * per side), the median round counting. p50/p99 latencies are in `note`.
 */
export async function benchHonoAdapter(options: BenchOptions): Promise<Comparison[]> {
  const rounds = options.quick ? 2 : 5
  const durationS = options.quick ? 1 : 3
  const ours: Run[] = []
  const theirs: Run[] = []
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? [adapter, handWritten] : [handWritten, adapter]
    for (const make of order) (make === adapter ? ours : theirs).push(await load(make(), durationS))
  }
  const a = middle(ours)
  const h = middle(theirs)
  const candidate = measurement('@dingtalk-kit/hono dingtalk() sub-app', ours)
  const baseline = measurement('hand-written Hono route (node:crypto)', theirs)
  return [
    {
      group: 'Hono on @hono/node-server: POST /dingtalk/callback (requests/s)',
      candidate,
      baseline,
      ratio: candidate.opsPerSec / baseline.opsPerSec,
      goal: 0.9,
      note:
        `adapter p50 ${a.p50} ms, p99 ${a.p99} ms; hand-written p50 ${h.p50} ms, p99 ${h.p99} ms. The adapter ` +
        'also checks formats and repeated parameters and keys, and looks the event up in the de-duplication store.',
    },
  ]
}
