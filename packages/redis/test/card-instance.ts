// One app instance in its own Node process streaming into cards, driven by cards-instances.test.ts over IPC.
import { createDingTalkClient, DingTalkRateLimitError } from '@dingtalk-kit/core'
import { Redis } from 'ioredis'
import { redisStore } from '../src/index'

export type CardCommand =
  | { cmd: 'run'; outTrackIds: string[]; frames: number; concurrency: number }
  | { cmd: 'exit' }

export type CardReport =
  | { type: 'ready'; pid: number }
  | { type: 'done'; pid: number; sent: number; rateLimited: number; otherErrors: string[]; ms: number }

const env = (name: string): string => {
  const value = process.env[name]
  if (value === undefined) throw new Error(`${name} is not set`)
  return value
}

const send = (report: CardReport): void => {
  process.send?.(report)
}

const redis = new Redis(env('REDIS_URL'))
redis.on('error', () => undefined)
const client = createDingTalkClient(
  { appKey: env('APP_KEY'), appSecret: env('APP_SECRET') },
  {
    baseUrl: env('BASE_URL'),
    store: redisStore({ client: redis, keyPrefix: env('KEY_PREFIX'), timeoutMs: 2000 }),
    cards: { qps: Number(env('CARD_QPS')) },
  },
)

// `frames` streaming updates spread over the cards, `concurrency` in flight: far more than the limit asks.
async function run(outTrackIds: string[], frames: number, concurrency: number): Promise<CardReport> {
  let next = 0
  let sent = 0
  let rateLimited = 0
  const otherErrors: string[] = []
  const t0 = performance.now()
  const worker = async (): Promise<void> => {
    for (let i = next++; i < frames; i = next++) {
      const outTrackId = outTrackIds[i % outTrackIds.length]!
      try {
        await client.cards.streamingUpdate({ outTrackId, key: 'msgContent', content: `${process.pid}:${i};` })
        sent++
      } catch (error) {
        if (error instanceof DingTalkRateLimitError) rateLimited++
        else otherErrors.push(String(error))
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return { type: 'done', pid: process.pid, sent, rateLimited, otherErrors, ms: performance.now() - t0 }
}

process.on('message', (message: CardCommand) => {
  if (message.cmd === 'exit') {
    redis.disconnect()
    process.disconnect()
    return
  }
  void run(message.outTrackIds, message.frames, message.concurrency).then(send)
})

await redis.ping()
send({ type: 'ready', pid: process.pid })
