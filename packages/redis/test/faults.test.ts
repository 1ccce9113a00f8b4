import { createDingTalkClient, type DingTalkClient, DingTalkStoreError, storeKey } from '@dingtalk-kit/core'
import { defaultFixture, type Emulator, startEmulator } from '@dingtalk-kit/emulator'
import { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type RedisStore, redisStore } from '../src/index'
import { type RedisServer, startRedisServer } from '../src/testing'
import { sleep, until } from './redis'

const app = defaultFixture.orgs[0]!.apps![0]!
const TOKEN_KEY = storeKey({ owner: app.appKey, kind: 'access_token' })
const TICKET_KEY = storeKey({ owner: app.appKey, kind: 'jsapi_ticket' })

describe('a Redis-backed client when Redis is stopped, slow, flapping or holds garbage', () => {
  let server: RedisServer
  let emu: Emulator
  let admin: Redis
  const connections: Redis[] = []
  let prefix = ''

  const instance = (timeoutMs = 200): { client: DingTalkClient; store: RedisStore } => {
    // Fail fast instead of retrying for ioredis's default 20 attempts; our timeout bounds every call anyway.
    const redis = new Redis(server.url, { maxRetriesPerRequest: 1 })
    redis.on('error', () => undefined)
    connections.push(redis)
    const store = redisStore({ client: redis, keyPrefix: prefix, timeoutMs, breaker: { cooldownMs: 100 } })
    const client = createDingTalkClient(
      { appKey: app.appKey, appSecret: app.appSecret },
      { baseUrl: emu.url, store, retry: { maxRetries: 0 }, tokens: { pollIntervalMs: 10, jitterMs: 0 } },
    )
    return { client, store }
  }

  const counter = (path: string): (() => number) => {
    const start = emu.count(path)
    return () => emu.count(path) - start
  }

  beforeAll(async () => {
    server = await startRedisServer()
    emu = await startEmulator({ suiteTicketIntervalMs: 0 })
    admin = new Redis(server.url)
    admin.on('error', () => undefined)
  })

  beforeEach(() => {
    prefix = `faults:${Math.random().toString(36).slice(2)}:`
    // Each test starts from a fresh token at DingTalk, so "exactly one gettoken" is about this test only.
    emu.expireTokens()
  })

  afterEach(() => {
    server.resume()
    for (const redis of connections.splice(0)) redis.disconnect()
  })

  afterAll(async () => {
    admin?.disconnect()
    await emu?.close()
    await server?.stop()
  })

  it('Redis paused: access tokens keep working with one fetch per instance; the jsapi ticket fails naming Redis', async () => {
    const gettoken = counter('/gettoken')
    const tickets = counter('/get_jsapi_ticket')
    const { client } = instance()
    server.pause()
    const tokens = await Promise.all(Array.from({ length: 250 }, () => client.getAccessToken()))
    expect(new Set(tokens).size).toBe(1)
    expect(gettoken()).toBe(1)
    const results = await Promise.allSettled(Array.from({ length: 50 }, () => client.getJsapiTicket()))
    expect(tickets()).toBe(0)
    for (const result of results) {
      expect(result.status).toBe('rejected')
      const error = (result as PromiseRejectedResult).reason
      expect(error).toBeInstanceOf(DingTalkStoreError)
      expect(error.store).toBe('redis')
      expect(error.code).toMatch(/^STORE_(TIMEOUT|UNAVAILABLE)$/)
      expect(error.message).toMatch(/^Redis /)
      expect(error.message).not.toContain(tokens[0])
    }
    // API calls work too: they only need the access token.
    const user = await client.request<{ result: { name: string } }>({
      path: '/topapi/v2/user/get',
      json: { userid: 'zhangsan' },
    })
    expect(user.result.name).toBe('张三')

    server.resume()
    await until(
      async () =>
        await client.getJsapiTicket().then(
          () => true,
          () => false,
        ),
      10_000,
      'ticket',
    )
    expect(tickets()).toBe(1)
    expect(gettoken()).toBe(1)
    // Back to sharing: a second instance takes both values from Redis.
    const other = instance().client
    expect(await other.getAccessToken()).toBe(tokens[0])
    expect(emu.isTicketValid(await other.getJsapiTicket())).toBe(true)
    expect(tickets()).toBe(1)
  })

  it('Redis killed and restarted: calls fail within the timeout, then everything is shared again', async () => {
    const gettoken = counter('/gettoken')
    const a = instance()
    const b = instance()
    await server.kill()
    const [tokenA, tokenB] = await Promise.all([a.client.getAccessToken(), b.client.getAccessToken()])
    // One fetch per instance while Redis is gone; DingTalk hands both the same token (§4.2).
    expect(tokenA).toBe(tokenB)
    expect(gettoken()).toBe(2)
    await expect(a.client.getJsapiTicket()).rejects.toBeInstanceOf(DingTalkStoreError)

    await server.restart()
    // Both instances must be back: each reconnects on its own schedule (ioredis 6 backs off with jitter).
    await until(
      async () =>
        (
          await Promise.all(
            [a, b].map((i) =>
              i.store.get('probe').then(
                () => true,
                () => false,
              ),
            ),
          )
        ).every(Boolean),
      10_000,
      'both instances to reconnect',
    )
    const tickets = counter('/get_jsapi_ticket')
    const [ticketA, ticketB] = await Promise.all([a.client.getJsapiTicket(), b.client.getJsapiTicket()])
    expect(ticketA).toBe(ticketB)
    expect(tickets()).toBe(1)
    expect(emu.isTicketValid(ticketA)).toBe(true)
  })

  it('Redis flapping: every token call succeeds, every ticket call succeeds or fails typed, none hangs', async () => {
    const { client } = instance(100)
    const rounds = 12
    let flapping = true
    const flapper = (async () => {
      while (flapping) {
        server.pause()
        await sleep(60)
        server.resume()
        await sleep(60)
      }
    })()
    const failures: unknown[] = []
    let tickets = 0
    try {
      for (let i = 0; i < rounds; i++) {
        // Force a refresh each round: drop the value as if DingTalk had rejected it.
        const token = await client.getAccessToken()
        expect(token).toMatch(/\S/)
        await client.invalidateAccessToken(token)
        const ticket = await client.getJsapiTicket().catch((error: unknown) => {
          failures.push(error)
          return undefined
        })
        if (ticket !== undefined) tickets++
        await client.invalidateJsapiTicket(ticket ?? '')
      }
    } finally {
      flapping = false
      await flapper
    }
    expect(tickets + failures.length).toBe(rounds)
    for (const error of failures) {
      expect(error).toBeInstanceOf(DingTalkStoreError)
      expect((error as DingTalkStoreError).store).toBe('redis')
    }
    // Calm again: the next refresh goes through Redis.
    await until(
      async () =>
        await client.getJsapiTicket().then(
          () => true,
          () => false,
        ),
      // Generous: on a loaded 2-core machine the breaker's cooldown and 100 ms store timeouts can take a
      // few rounds to clear.
      30_000,
      'ticket',
    )
    expect(await admin.get(`${prefix}${TICKET_KEY}`)).toMatch(/^\{"v":/)
  }, 90_000)

  it('garbage and foreign values under our keys are a miss, and get overwritten', async () => {
    const gettoken = counter('/gettoken')
    const { client } = instance()
    await admin.set(`${prefix}${TOKEN_KEY}`, 'not json at all')
    await admin.rpush(`${prefix}${TICKET_KEY}`, 'a', 'list')
    const token = await client.getAccessToken()
    expect(gettoken()).toBe(1)
    expect(JSON.parse((await admin.get(`${prefix}${TOKEN_KEY}`)) ?? '{}')).toMatchObject({ v: token })
    const ticket = await client.getJsapiTicket()
    expect(emu.isTicketValid(ticket)).toBe(true)
    expect(await admin.type(`${prefix}${TICKET_KEY}`)).toBe('string')

    for (const garbage of [
      '{"v":"x"}',
      '{"v":"","e":9e15,"t":1}',
      '{"v":"x","e":1,"t":5}',
      '[]',
      'null',
      '\u0000',
    ]) {
      await admin.set(`${prefix}${TOKEN_KEY}`, garbage)
      const fresh = instance().client
      expect(await fresh.getAccessToken()).toBe(token)
    }
  })
})
