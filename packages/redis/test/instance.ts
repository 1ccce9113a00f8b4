// One app instance in its own Node process, driven by multi-instance.test.ts over IPC.
import { createDingTalkClient } from '@dingtalk-kit/core'
import { Redis } from 'ioredis'
import { redisStore } from '../src/index'

export type Command = { id?: number } & (
  | { cmd: 'burst'; n: number; what: 'token' | 'ticket' | 'api' }
  | { cmd: 'advance'; ms: number }
  | { cmd: 'write'; key: string; value: string }
  | { cmd: 'read'; key: string }
  | { cmd: 'claim'; key: string; value: string }
  | { cmd: 'exit' }
)

export type Report =
  | { type: 'ready'; pid: number }
  | { type: 'fetch'; pid: number; path: string; at: number }
  | { type: 'burst'; id?: number; values: string[]; errors: string[] }
  | { type: 'done'; id?: number; result: unknown }

const env = (name: string): string => {
  const value = process.env[name]
  if (value === undefined) throw new Error(`${name} is not set`)
  return value
}

const send = (report: Report): void => {
  process.send?.(report)
}

const reply = (id: number | undefined, report: Report): void => send({ ...report, id } as Report)

let offset = 0
const redis = new Redis(env('REDIS_URL'))
redis.on('error', () => undefined)
const store = redisStore({ client: redis, keyPrefix: env('KEY_PREFIX'), timeoutMs: 2000 })
const client = createDingTalkClient(
  { appKey: env('APP_KEY'), appSecret: env('APP_SECRET') },
  {
    baseUrl: env('BASE_URL'),
    store,
    retry: { maxRetries: 0 },
    timeoutMs: 30_000,
    // Instrumentation only: the real fetch, plus a note to the parent of which process calls DingTalk.
    fetch: (input, init) => {
      const path = new URL(String(input)).pathname
      if (path === '/gettoken' || path === '/get_jsapi_ticket') {
        send({ type: 'fetch', pid: process.pid, path, at: Date.now() })
      }
      return globalThis.fetch(input, init)
    },
    tokens: {
      leaseMs: Number(env('LEASE_MS')),
      pollIntervalMs: 20,
      waitTimeoutMs: 30_000,
      jitterMs: 0,
      now: () => Date.now() + offset,
    },
  },
)

const burst = async (n: number, what: 'token' | 'ticket' | 'api'): Promise<Report> => {
  const call = (): Promise<string> => {
    if (what === 'token') return client.getAccessToken()
    if (what === 'ticket') return client.getJsapiTicket()
    return client
      .request<{ result: { userid: string } }>({ path: '/topapi/v2/user/get', json: { userid: 'zhangsan' } })
      .then((body) => body.result.userid)
  }
  const settled = await Promise.allSettled(Array.from({ length: n }, call))
  const values = new Set<string>()
  const errors: string[] = []
  for (const result of settled) {
    if (result.status === 'fulfilled') values.add(result.value)
    else errors.push(String((result.reason as { code?: unknown }).code ?? result.reason))
  }
  return { type: 'burst', values: [...values], errors }
}

process.on('message', (message: Command) => {
  void (async () => {
    switch (message.cmd) {
      case 'burst':
        return reply(message.id, await burst(message.n, message.what))
      case 'advance':
        offset += message.ms
        return reply(message.id, { type: 'done', result: offset })
      case 'write':
        await store.set(message.key, message.value)
        return reply(message.id, { type: 'done', result: true })
      case 'read':
        return reply(message.id, { type: 'done', result: (await store.get(message.key)) ?? null })
      case 'claim':
        return reply(message.id, {
          type: 'done',
          result: await store.setIfAbsent(message.key, message.value, 600_000),
        })
      case 'exit':
        redis.disconnect()
        process.disconnect()
        return
    }
  })()
})

await redis.ping()
send({ type: 'ready', pid: process.pid })
