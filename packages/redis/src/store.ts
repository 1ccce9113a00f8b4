import { createHash } from 'node:crypto'
import type { DingTalkStoreError, Store } from '@dingtalk-kit/core'
import { commandGuard, isReplyError } from './guard'

/**
 * What the store calls on its connection: an ioredis `Redis` (standalone or Sentinel) or `Cluster`, of
 * ioredis 5 or 6. Declared by shape rather than imported from ioredis, so the store's types hold whichever
 * ioredis major (or copy of it) the app installed.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis'
 *
 * const client: RedisClient = new Redis(process.env.REDIS_URL!)
 * ```
 */
export interface RedisClient {
  get(key: string): Promise<string | null>
  set(key: string, value: string): Promise<unknown>
  set(key: string, value: string, px: 'PX', milliseconds: number): Promise<unknown>
  set(key: string, value: string, px: 'PX', milliseconds: number, nx: 'NX'): Promise<'OK' | null>
  del(key: string): Promise<number>
  evalsha(sha1: string, numkeys: number, key: string, arg: string): Promise<unknown>
  eval(script: string, numkeys: number, key: string, arg: string): Promise<unknown>
}

/** When the store stops sending commands to a Redis that keeps failing, and for how long. */
export interface RedisBreakerOptions {
  /** Consecutive timeouts or connection failures that open the breaker. Default 3. */
  failures?: number
  /** How long an open breaker fails calls at once before letting one probe through. Default 1,000 ms. */
  cooldownMs?: number
}

/** Options of {@link redisStore}. */
export interface RedisStoreOptions<C extends RedisClient = RedisClient> {
  /** The connection. The store never closes it; `quit()` it yourself. */
  client: C
  /**
   * Prepended to every key (after ioredis’s own `keyPrefix`, if the client has one). Default `''`.
   * On Redis Cluster, a hash tag such as `'{dingtalk}:'` puts every key on one shard.
   */
  keyPrefix?: string
  /**
   * Upper bound on each operation in ms: a stopped, paused or unreachable Redis makes the call fail with
   * a `DingTalkStoreError` (`STORE_TIMEOUT`) instead of hanging. Default 1,000 ms.
   */
  timeoutMs?: number
  /** Circuit breaker over timeouts and connection failures; `false` disables it. */
  breaker?: RedisBreakerOptions | false
  /** Told about every failed operation (no values, no secrets), e.g. for logging or metrics. */
  onError?: (error: DingTalkStoreError) => void
}

/** A {@link Store} on Redis, from {@link redisStore}. */
export interface RedisStore<C extends RedisClient = RedisClient> extends Store {
  /** The connection given to {@link redisStore}, with its own type. */
  readonly client: C
  readonly keyPrefix: string
  /** `false` while the circuit breaker is open (calls fail at once with `STORE_UNAVAILABLE`). */
  readonly available: boolean
}

// Compare-and-delete in one step. pcall: a key of another type (a foreign value) is simply not equal.
const DELETE_IF_EQUALS = `local v = redis.pcall('GET', KEYS[1])
if type(v) == 'string' and v == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`
const DELETE_IF_EQUALS_SHA = createHash('sha1').update(DELETE_IF_EQUALS).digest('hex')

const ttlArg = (ttlMs: number): number => Math.max(1, Math.ceil(ttlMs))

/**
 * A {@link Store} on Redis through ioredis, so any number of instances share one access_token, one
 * jsapi_ticket and one refresher: `setIfAbsent` is `SET NX PX`, `deleteIfEquals` a Lua compare-and-delete,
 * TTLs are milliseconds. Every call is bounded by `timeoutMs`, and a circuit breaker stops waiting on a
 * Redis that keeps failing; failures are `DingTalkStoreError`s with `store: 'redis'`. A key holding a
 * foreign type reads as absent. Every operation touches one key, so Redis Cluster works with any prefix.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis'
 * import { createDingTalkClient } from '@dingtalk-kit/core'
 * import { redisStore } from '@dingtalk-kit/redis'
 *
 * const redis = new Redis(process.env.REDIS_URL!)
 * const store = redisStore({ client: redis, keyPrefix: 'myapp:', timeoutMs: 500 })
 * const client = createDingTalkClient({ appKey, appSecret }, { store })
 * ```
 */
export function redisStore<C extends RedisClient>(options: RedisStoreOptions<C>): RedisStore<C> {
  const { client } = options
  const keyPrefix = options.keyPrefix ?? ''
  const guard = commandGuard({
    timeoutMs: options.timeoutMs ?? 1000,
    breaker: options.breaker,
    onError: options.onError,
  })
  const run = guard.run
  const k = (key: string): string => keyPrefix + key

  const deleteIfEquals = async (fullKey: string, value: string): Promise<boolean> => {
    let removed: unknown
    try {
      removed = await client.evalsha(DELETE_IF_EQUALS_SHA, 1, fullKey, value)
    } catch (error) {
      if (!isReplyError(error) || !error.message.startsWith('NOSCRIPT')) throw error
      removed = await client.eval(DELETE_IF_EQUALS, 1, fullKey, value)
    }
    return removed === 1
  }

  return {
    client,
    keyPrefix,
    get available(): boolean {
      return guard.available
    },
    get: (key) =>
      run('get', async () => {
        try {
          return (await client.get(k(key))) ?? undefined
        } catch (error) {
          if (isReplyError(error) && error.message.startsWith('WRONGTYPE')) return undefined
          throw error
        }
      }),
    set: (key, value, ttlMs) =>
      run('set', async () => {
        if (ttlMs === undefined || !Number.isFinite(ttlMs)) await client.set(k(key), value)
        else if (ttlMs <= 0) await client.del(k(key))
        else await client.set(k(key), value, 'PX', ttlArg(ttlMs))
      }),
    delete: (key) =>
      run('delete', async () => {
        await client.del(k(key))
      }),
    setIfAbsent: (key, value, ttlMs) =>
      run(
        'setIfAbsent',
        async () => (await client.set(k(key), value, 'PX', ttlArg(ttlMs), 'NX')) === 'OK',
        // The caller was told this failed, so it must not hold the lock (or mark) if Redis runs it late.
        (late) => {
          late.then((won) => (won ? deleteIfEquals(k(key), value) : false)).catch(() => false)
        },
      ),
    deleteIfEquals: (key, value) => run('deleteIfEquals', () => deleteIfEquals(k(key), value)),
  }
}
