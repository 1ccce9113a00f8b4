import { createDingTalkClient, DingTalkStoreError } from '@dingtalk-kit/core'
import { defaultFixture, type Emulator, startEmulator } from '@dingtalk-kit/emulator'
import { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { redisStore } from '../src/index'
import { type RedisServer, startRedisServer } from '../src/testing'

const org = defaultFixture.orgs[0]!
const app = org.apps![0]!

/** Keeps this process's event loop busy, the way a burst of synchronous work does. */
const busy = (ms: number): void => {
  const end = performance.now() + ms
  while (performance.now() < end) {
    // spin
  }
}

// A STORE_TIMEOUT must mean that Redis was slow, not that this process was busy when the answer came.
describe('store timeouts in a busy process, on a real redis-server', () => {
  let server: RedisServer
  let emu: Emulator
  const connections: Redis[] = []
  let n = 0

  const connect = (): Redis => {
    const redis = new Redis(server.url, { maxRetriesPerRequest: 1 })
    redis.on('error', () => undefined)
    connections.push(redis)
    return redis
  }
  const store = (timeoutMs: number, keyPrefix = `busy:${++n}:`) =>
    redisStore({ client: connect(), keyPrefix, timeoutMs, breaker: false })

  beforeAll(async () => {
    server = await startRedisServer()
    emu = await startEmulator({ suiteTicketIntervalMs: 0 })
  })
  afterEach(() => server.resume())
  afterAll(async () => {
    for (const redis of connections) redis.disconnect()
    await emu?.close()
    await server?.stop()
  })

  it('commands answered while the event loop was blocked for 4× the timeout succeed', async () => {
    // 300 ms: a machine busy with the other test files' processes can delay redis-server itself by 100 ms.
    const s = store(300, 'busy:blocked:')
    await store(5000, 'busy:blocked:').set('k', 'v')
    // Issued, then this process blocks: the answers wait in the socket while the timers run late.
    const reads = Array.from({ length: 50 }, () => s.get('k'))
    busy(1200)
    expect(await Promise.all(reads)).toEqual(Array(50).fill('v'))
    // Blocked in the middle of the wait, after the commands were written.
    const more = Array.from({ length: 50 }, () => s.setIfAbsent(`lock:${Math.random()}`, 'x', 10_000))
    await new Promise((resolve) => setTimeout(resolve, 30))
    busy(1200)
    expect(await Promise.all(more)).toEqual(Array(50).fill(true))
  })

  it('a Redis that does not answer is still a STORE_TIMEOUT, within about the timeout', async () => {
    const s = store(100)
    await s.get('warm')
    server.pause()
    const t0 = performance.now()
    const error = await s.get('k').catch((e: unknown) => e)
    const waited = performance.now() - t0
    expect(error).toBeInstanceOf(DingTalkStoreError)
    expect((error as DingTalkStoreError).code).toBe('STORE_TIMEOUT')
    expect(waited).toBeGreaterThanOrEqual(95)
    expect(waited).toBeLessThan(1000)
  })

  it('a cold stampede of 3,000 dd.config, the event loop blocked 4 × 400 ms: no STORE_TIMEOUT, one get_jsapi_ticket', async () => {
    const before = emu.count('/get_jsapi_ticket')
    const client = createDingTalkClient(
      { appKey: app.appKey, appSecret: app.appSecret, corpId: org.corpId },
      { baseUrl: emu.url, agentId: app.agentId, store: store(150), tokens: { pollIntervalMs: 20 } },
    )
    const url = 'https://app.example.com/page'
    const pages = Array.from({ length: 3000 }, () =>
      client.jsapi.createConfig({ url, jsApiList: ['biz.util.open'] }),
    )
    // Other work of this process (rendering, JSON) holds the event loop now and then.
    for (let i = 0; i < 4; i++) {
      await new Promise((resolve) => setTimeout(resolve, 5))
      busy(400)
    }
    const results = await Promise.allSettled(pages)
    const failed = results.filter((r) => r.status === 'rejected')
    expect(failed.map((r) => String((r as PromiseRejectedResult).reason))).toEqual([])
    expect(emu.count('/get_jsapi_ticket') - before).toBe(1)
  })
})
