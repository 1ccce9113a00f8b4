// One app instance in its own Node process: a Stream client on the shared Redis store, driven by
// redis-instances.test.ts over IPC. It reports every event its handler runs for.
import { redisStore } from '@dingtalk-kit/redis'
import { Redis } from 'ioredis'
import { createStreamClient, type StreamStats } from '../src/index'

export type Report =
  | { type: 'ready'; pid: number }
  | { type: 'handled'; pid: number; eventId: string }
  | { type: 'closed'; pid: number; stats: StreamStats }

export type Command = { cmd: 'close' }

const env = (name: string): string => {
  const value = process.env[name]
  if (value === undefined) throw new Error(`${name} is not set`)
  return value
}

const send = (report: Report): void => {
  process.send?.(report)
}

const redis = new Redis(env('REDIS_URL'))
redis.on('error', () => undefined)
const stream = createStreamClient({
  clientId: env('APP_KEY'),
  clientSecret: env('APP_SECRET'),
  apiBaseUrl: env('API_BASE_URL'),
  store: redisStore({ client: redis, keyPrefix: env('KEY_PREFIX') }),
})
stream.on('org_dept_modify', async (event) => {
  // In flight for a few turns of the event loop, so a redelivery can arrive while it runs.
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve))
  send({ type: 'handled', pid: process.pid, eventId: String(event.eventId) })
})

process.on('message', (message: Command) => {
  if (message.cmd !== 'close') return
  void (async () => {
    await stream.close()
    redis.disconnect()
    // IPC keeps order: every `handled` of this process has reached the parent before this.
    send({ type: 'closed', pid: process.pid, stats: stream.stats() })
    process.disconnect()
  })()
})

await stream.start()
send({ type: 'ready', pid: process.pid })
