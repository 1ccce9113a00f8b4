import { DingTalkStoreError } from '@dingtalk-kit/core'
import { runStoreContract } from '@dingtalk-kit/core/vitest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { redisStore } from '../src/index'
import { type RedisServer, startRedisServer } from '../src/testing'
import { IOREDIS_MAJORS, redisForContract, type TestCluster, type TestRedis, until } from './redis'

const unique = (): string => `test:${Math.random().toString(36).slice(2)}:`

// The peer range is ioredis ^5 || ^6: the store contract, the failure modes and Cluster run on each major.
describe.each(IOREDIS_MAJORS)(
  'on ioredis $major ($version)',
  ({ major, version, redis: connect, cluster: connectCluster }) => {
    it('loads the ioredis major it names', () => {
      expect(version.split('.')[0]).toBe(String(major))
    })

    describe('redisStore on a real redis-server', () => {
      let server: RedisServer | undefined
      let redis: TestRedis

      beforeAll(async () => {
        const target = await redisForContract()
        server = target.server
        redis = connect(target.url, { lazyConnect: true })
        await redis.connect()
      })

      afterAll(async () => {
        redis?.disconnect()
        await server?.stop()
      })

      runStoreContract('redisStore', () => redisStore({ client: redis }))
      runStoreContract('redisStore with a keyPrefix', () => redisStore({ client: redis, keyPrefix: '{dt}:' }))

      it('writes under keyPrefix and stores TTLs in milliseconds', async () => {
        const prefix = unique()
        const store = redisStore({ client: redis, keyPrefix: prefix })
        await store.set('k', 'v', 90_000)
        expect(await redis.get(`${prefix}k`)).toBe('v')
        const pttl = await redis.pttl(`${prefix}k`)
        expect(pttl).toBeGreaterThan(80_000)
        expect(pttl).toBeLessThanOrEqual(90_000)
        expect(await store.setIfAbsent('lock', 'me', 1500.2)).toBe(true)
        expect(await redis.pttl(`${prefix}lock`)).toBeLessThanOrEqual(1501)
        await store.set('forever', 'x')
        expect(await redis.pttl(`${prefix}forever`)).toBe(-1)
        await store.set('forever', 'x', Number.POSITIVE_INFINITY)
        expect(await redis.pttl(`${prefix}forever`)).toBe(-1)
      })

      it('a TTL of zero or less leaves nothing behind, like memoryStore', async () => {
        const store = redisStore({ client: redis, keyPrefix: unique() })
        await store.set('z', 'old')
        await store.set('z', 'new', 0)
        expect(await store.get('z')).toBeUndefined()
        await store.set('n', 'v', -5)
        expect(await store.get('n')).toBeUndefined()
      })

      it('treats foreign values of another type as absent, and overwrites them', async () => {
        const prefix = unique()
        const store = redisStore({ client: redis, keyPrefix: prefix })
        await redis.rpush(`${prefix}list`, 'a', 'b')
        await redis.hset(`${prefix}hash`, 'f', 'v')
        expect(await store.get('list')).toBeUndefined()
        expect(await store.get('hash')).toBeUndefined()
        expect(await store.deleteIfEquals('list', 'a')).toBe(false)
        expect(await redis.type(`${prefix}list`)).toBe('list')
        expect(await store.setIfAbsent('hash', 'mine', 60_000)).toBe(false)
        await store.set('list', 'now-a-string', 60_000)
        expect(await store.get('list')).toBe('now-a-string')
        expect(await store.deleteIfEquals('list', 'now-a-string')).toBe(true)
      })

      it('compare-and-delete still works after SCRIPT FLUSH (NOSCRIPT falls back to EVAL)', async () => {
        const store = redisStore({ client: redis, keyPrefix: unique() })
        await store.set('s', 'v1')
        await redis.script('FLUSH')
        expect(await store.deleteIfEquals('s', 'v1')).toBe(true)
        await store.set('s', 'v2')
        expect(await store.deleteIfEquals('s', 'v2')).toBe(true)
      })

      it('round-trips binary-looking and long values byte for byte', async () => {
        const store = redisStore({ client: redis, keyPrefix: unique() })
        const long = '令'.repeat(50_000)
        const odd = '\u0000\r\n\t"\\\'{}$%'
        await store.set('long', long)
        await store.set('odd', odd)
        expect(await store.get('long')).toBe(long)
        expect(await store.get('odd')).toBe(odd)
        expect(await store.deleteIfEquals('odd', odd)).toBe(true)
      })
    })

    describe('redisStore when Redis misbehaves', () => {
      let server: RedisServer

      beforeAll(async () => {
        server = await startRedisServer()
      })

      afterAll(async () => {
        server?.resume()
        await server?.stop()
      })

      it('a paused Redis makes every operation fail with STORE_TIMEOUT naming Redis, then recovers', async () => {
        const redis = connect(server.url)
        const errors: DingTalkStoreError[] = []
        const store = redisStore({
          client: redis,
          timeoutMs: 150,
          breaker: false,
          onError: (e) => errors.push(e),
        })
        try {
          await store.set('t', 'secret-token-value', 60_000)
          server.pause()
          const results = await Promise.allSettled([
            store.get('t'),
            store.set('t', 'secret-token-value-2'),
            store.delete('t'),
            store.setIfAbsent('t:lock', 'owner', 600_000),
            store.deleteIfEquals('t', 'secret-token-value'),
          ])
          for (const result of results) {
            expect(result.status).toBe('rejected')
            const error = (result as PromiseRejectedResult).reason
            expect(error).toBeInstanceOf(DingTalkStoreError)
            expect(error).toMatchObject({ code: 'STORE_TIMEOUT', store: 'redis' })
            expect(error.message).toMatch(/^Redis \w+ timed out after 150 ms$/)
            expect(JSON.stringify(error)).not.toContain('secret-token-value')
          }
          expect(errors.map((e) => e.operation).sort()).toEqual([
            'delete',
            'deleteIfEquals',
            'get',
            'set',
            'setIfAbsent',
          ])
          server.resume()
          await until(async () => (await store.get('t').catch(() => 'pending')) !== 'pending')
          expect(await store.setIfAbsent('fresh', 'x', 60_000)).toBe(true)
          // Redis ran the abandoned SET NX once it woke up; the caller was told it failed, so it is undone.
          await until(async () => (await redis.exists('t:lock')) === 0, 5000, 'the abandoned lease to go')
          expect(await store.setIfAbsent('t:lock', 'next-owner', 60_000)).toBe(true)
        } finally {
          server.resume()
          redis.disconnect()
        }
      })

      it('the breaker opens after repeated failures, fails fast while open, and closes once a probe succeeds', async () => {
        const redis = connect(server.url)
        const store = redisStore({ client: redis, timeoutMs: 100, breaker: { failures: 2, cooldownMs: 200 } })
        try {
          expect(store.available).toBe(true)
          server.pause()
          await expect(store.get('a')).rejects.toMatchObject({ code: 'STORE_TIMEOUT' })
          await expect(store.get('a')).rejects.toMatchObject({ code: 'STORE_TIMEOUT' })
          expect(store.available).toBe(false)
          const fast = await store.get('a').catch((e: unknown) => e)
          expect(fast).toBeInstanceOf(DingTalkStoreError)
          expect(fast).toMatchObject({ code: 'STORE_UNAVAILABLE', store: 'redis', operation: 'get' })
          expect((fast as Error).message).toContain('Redis')
          server.resume()
          await until(() => store.available, 5000, 'cooldown')
          await until(
            async () =>
              await store.get('a').then(
                () => true,
                () => false,
              ),
            5000,
            'probe',
          )
          expect(store.available).toBe(true)
          await store.set('a', '1')
          expect(await store.get('a')).toBe('1')
        } finally {
          server.resume()
          redis.disconnect()
        }
      })

      it('a killed Redis fails calls within the timeout; a restarted one serves again (empty: no persistence)', async () => {
        const redis = connect(server.url, { maxRetriesPerRequest: null })
        redis.on('error', () => {})
        const store = redisStore({ client: redis, timeoutMs: 150, breaker: false })
        try {
          await store.set('k', 'v')
          await server.kill()
          const error = await store.get('k').catch((e: unknown) => e)
          expect(error).toBeInstanceOf(DingTalkStoreError)
          expect((error as DingTalkStoreError).code).toMatch(/^STORE_(TIMEOUT|UNAVAILABLE)$/)
          await server.restart()
          await until(
            async () =>
              await store.get('k').then(
                () => true,
                () => false,
              ),
            10_000,
            'reconnect',
          )
          expect(await store.get('k')).toBeUndefined()
          expect(await store.setIfAbsent('k', 'again', 60_000)).toBe(true)
        } finally {
          redis.disconnect()
        }
      })

      it('a command Redis rejects is STORE_ERROR and does not open the breaker', async () => {
        const redis = connect(server.url)
        const store = redisStore({ client: redis, breaker: { failures: 1, cooldownMs: 60_000 } })
        try {
          await redis.config('SET', 'maxmemory', '1')
          await redis.config('SET', 'maxmemory-policy', 'noeviction')
          const error = await store.set('big', 'x'.repeat(1000)).catch((e: unknown) => e)
          expect(error).toMatchObject({ code: 'STORE_ERROR', store: 'redis', operation: 'set' })
          expect((error as Error).message).toMatch(/^Redis set failed: OOM/)
          expect(store.available).toBe(true)
        } finally {
          await redis.config('SET', 'maxmemory', '0')
          redis.disconnect()
        }
      })
    })

    describe('redisStore on Redis Cluster (one node holding every slot)', () => {
      let node: RedisServer
      let cluster: TestCluster

      beforeAll(async () => {
        node = await startRedisServer({
          args: [
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            'nodes.conf',
            '--cluster-announce-ip',
            '127.0.0.1',
          ],
        })
        const admin = connect(node.url)
        try {
          await admin.call('CLUSTER', 'ADDSLOTSRANGE', '0', '16383')
          await until(async () => String(await admin.call('CLUSTER', 'INFO')).includes('cluster_state:ok'))
        } finally {
          admin.disconnect()
        }
        cluster = connectCluster([{ host: node.host, port: node.port }])
      })

      afterAll(async () => {
        cluster?.disconnect()
        await node?.stop()
      })

      runStoreContract('redisStore on a Cluster', () =>
        redisStore({ client: cluster, keyPrefix: '{dingtalk}:' }),
      )
    })
  },
)
