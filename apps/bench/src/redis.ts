import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { createDingTalkClient, createTokenCache, storeKey } from '@dingtalk-kit/core'
import { defaultFixture, type Emulator, startEmulator } from '@dingtalk-kit/emulator'
import { redisStore } from '@dingtalk-kit/redis'
import { type RedisServer, startRedisServer } from '@dingtalk-kit/redis/testing'
import { Redis } from 'ioredis'
import { type BenchOptions, type Comparison, compare } from './lib'

const app = defaultFixture.orgs[0]!.apps![0]!
const CHILD_FLAG = 'DINGTALK_KIT_BENCH_REDIS_CHILD'
const PROCESSES = 8

/** Latency of a cold refresh while 8 processes want the same token at the same moment. */
export interface RedisContention {
  processes: number
  rounds: number
  /** `processes × rounds` latencies of the first `getAccessToken()` of a cold client. */
  samples: number
  p50Ms: number
  p99Ms: number
  maxMs: number
  /** `gettoken` calls DingTalk saw in each round (1 = one refresher for the fleet). */
  gettokenPerRound: number[]
  /** The waiters' store poll interval (the client default), which bounds how soon they see the value. */
  pollIntervalMs: number
}

/** What {@link benchRedis} measures. */
export interface RedisBenchResult {
  /** Token reads on a Redis-backed client vs a bare `GET` of the same key on the same connection (goal ≥ 0.9×). */
  comparisons: Comparison[]
  contention: RedisContention
  /** Where Redis came from: a throwaway `redis-server`, or `REDIS_URL`. */
  redis: 'redis-server' | 'REDIS_URL'
}

type ToChild = { cmd: 'prepare' } | { cmd: 'go' } | { cmd: 'exit' }
type FromChild = { type: 'ready' } | { type: 'prepared' } | { type: 'took'; ms: number; ok: boolean }

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[index]!
}

export async function withRedis<T>(
  fn: (url: string, source: RedisBenchResult['redis']) => Promise<T>,
): Promise<T> {
  const url = process.env.REDIS_URL
  if (url) return fn(url, 'REDIS_URL')
  const server: RedisServer = await startRedisServer()
  try {
    return await fn(server.url, 'redis-server')
  } finally {
    await server.stop()
  }
}

async function comparisons(url: string, emu: Emulator, options: BenchOptions): Promise<Comparison[]> {
  const redis = new Redis(url)
  const prefix = `bench:${process.pid}:`
  try {
    const store = redisStore({ client: redis, keyPrefix: prefix })
    const client = createDingTalkClient(
      { appKey: app.appKey, appSecret: app.appSecret },
      { baseUrl: emu.url, store },
    )
    await client.getAccessToken()
    const key = storeKey({ owner: app.appKey, kind: 'access_token' })
    const fullKey = prefix + key
    const never = async (): Promise<never> => {
      throw new Error('the benchmark read should never fetch')
    }
    const out: Comparison[] = []
    out.push(
      await compare(
        'redis: cached getAccessToken() on a Redis-backed client',
        { name: 'client.getAccessToken()', fn: () => client.getAccessToken() },
        { name: 'bare redis.get(key)', fn: () => redis.get(fullKey) },
        { ...options, goal: 0.9, note: 'same connection, same key, same run; Redis is read only on refresh' },
      ),
    )
    out.push(
      await compare(
        'redis: redisStore.get() (timeout + breaker) vs bare GET',
        { name: 'redisStore.get(key)', fn: () => store.get(key) },
        { name: 'bare redis.get(key)', fn: () => redis.get(fullKey) },
        { ...options, goal: 0.9, note: 'the cost of the per-operation timeout and the breaker' },
      ),
    )
    out.push(
      await compare(
        'redis: a fresh instance’s first token read (through Redis)',
        {
          name: 'new token cache → Redis → parse',
          // A new cache has nothing in memory, so this read goes to Redis like a fresh instance's first one.
          fn: () => createTokenCache({ store, key, fetch: never }).get(),
        },
        { name: 'bare redis.get(key)', fn: () => redis.get(fullKey) },
        { ...options, note: 'includes creating the cache; happens once per instance per refresh' },
      ),
    )
    return out
  } finally {
    redis.disconnect()
  }
}

async function contention(url: string, emu: Emulator, options: BenchOptions): Promise<RedisContention> {
  const rounds = options.quick ? 3 : 20
  const prefix = `bench-contention:${process.pid}:`
  const key = prefix + storeKey({ owner: app.appKey, kind: 'access_token' })
  const admin = new Redis(url)
  const children: { proc: ChildProcess; inbox: FromChild[] }[] = []
  const next = async (child: { inbox: FromChild[] }, type: FromChild['type']): Promise<FromChild> => {
    for (;;) {
      const index = child.inbox.findIndex((m) => m.type === type)
      if (index >= 0) return child.inbox.splice(index, 1)[0]!
      await new Promise((resolve) => setTimeout(resolve, 1))
    }
  }
  try {
    for (let i = 0; i < PROCESSES; i++) {
      const proc = fork(fileURLToPath(import.meta.url), [], {
        execArgv: ['--import', 'tsx'],
        env: { ...process.env, [CHILD_FLAG]: '1', REDIS_URL: url, BASE_URL: emu.url, KEY_PREFIX: prefix },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      })
      const child = { proc, inbox: [] as FromChild[] }
      proc.on('message', (message: FromChild) => child.inbox.push(message))
      children.push(child)
    }
    await Promise.all(children.map((c) => next(c, 'ready')))
    const latencies: number[] = []
    const gettokenPerRound: number[] = []
    for (let round = 0; round < rounds; round++) {
      await admin.del(key, `${key}:lock`)
      emu.expireTokens({ appKey: app.appKey })
      for (const c of children) c.proc.send({ cmd: 'prepare' } satisfies ToChild)
      await Promise.all(children.map((c) => next(c, 'prepared')))
      const before = emu.count('/gettoken')
      for (const c of children) c.proc.send({ cmd: 'go' } satisfies ToChild)
      const took = await Promise.all(children.map((c) => next(c, 'took')))
      gettokenPerRound.push(emu.count('/gettoken') - before)
      for (const t of took) if (t.type === 'took' && t.ok) latencies.push(t.ms)
    }
    latencies.sort((a, b) => a - b)
    return {
      processes: PROCESSES,
      rounds,
      samples: latencies.length,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      maxMs: latencies.at(-1) ?? Number.NaN,
      gettokenPerRound,
      pollIntervalMs: 100,
    }
  } finally {
    for (const c of children) c.proc.kill('SIGKILL')
    admin.disconnect()
  }
}

/**
 * The Redis store's speed figures (issue 7):
 * - a cached token read through a Redis-backed client, and `redisStore.get()`, vs a bare `GET` of the same key
 *   on the same connection, same run — goal ≥ 0.9×; plus a fresh instance's first read, which goes to Redis;
 * - p50/p99 latency of a cold-but-locked refresh: 8 processes each ask a cold client for the token at once,
 *   one fetches under the lease, seven wait for its value (client defaults, 100 ms poll).
 *
 * Uses `REDIS_URL` when set, otherwise starts its own `redis-server`.
 *
 * @example
 * ```ts
 * const { comparisons, contention } = await benchRedis({ quick: true })
 * console.log(contention.p50Ms, contention.p99Ms, contention.gettokenPerRound)
 * ```
 */
export async function benchRedis(options: BenchOptions): Promise<RedisBenchResult> {
  return withRedis(async (url, source) => {
    const emu = await startEmulator({ suiteTicketIntervalMs: 0 })
    try {
      const reads = await comparisons(url, emu, options)
      emu.log.length = 0
      const locked = await contention(url, emu, options)
      return { comparisons: reads, contention: locked, redis: source }
    } finally {
      await emu.close()
    }
  })
}

async function child(): Promise<void> {
  const env = (name: string): string => process.env[name] ?? ''
  const redis = new Redis(env('REDIS_URL'))
  const store = redisStore({ client: redis, keyPrefix: env('KEY_PREFIX') })
  const send = (message: FromChild): void => {
    process.send?.(message)
  }
  let client = createDingTalkClient(
    { appKey: app.appKey, appSecret: app.appSecret },
    { baseUrl: env('BASE_URL'), store },
  )
  process.on('message', (message: ToChild) => {
    if (message.cmd === 'prepare') {
      // A new client has an empty memory: its first read is the cold, contended refresh.
      client = createDingTalkClient(
        { appKey: app.appKey, appSecret: app.appSecret },
        { baseUrl: env('BASE_URL'), store },
      )
      send({ type: 'prepared' })
    } else if (message.cmd === 'go') {
      const start = performance.now()
      client.getAccessToken().then(
        () => send({ type: 'took', ms: performance.now() - start, ok: true }),
        () => send({ type: 'took', ms: performance.now() - start, ok: false }),
      )
    } else {
      redis.disconnect()
      process.disconnect()
    }
  })
  await redis.ping()
  send({ type: 'ready' })
}

if (process.env[CHILD_FLAG] === '1') await child()
