import { describe, expect, it } from 'vitest'
import { DingTalkStoreError } from '../errors/store'
import { memoryStore, type Store } from '../store/store'
import type { TokenCacheOptions, TokenRefreshEvent } from './token-cache'
import { base, counter, countingStore, deferred, KEY } from './token-cache.test-helpers'

// createTokenCache on a store that fails, and with readThrough (the jsapi_ticket).

describe('createTokenCache when the store is down', () => {
  const broken: Store = {
    get: async () => {
      throw new Error('ECONNREFUSED')
    },
    set: async () => {
      throw new Error('ECONNREFUSED')
    },
    delete: async () => {
      throw new Error('ECONNREFUSED')
    },
    setIfAbsent: async () => {
      throw new Error('ECONNREFUSED')
    },
    deleteIfEquals: async () => {
      throw new Error('ECONNREFUSED')
    },
  }

  it('keeps working per process: one fetch for concurrent callers, reported with the store error', async () => {
    const events: TokenRefreshEvent[] = []
    const { state, fetch } = counter((n) => ({ value: `T${n + 1}`, expiresIn: 7200 }))
    const cache = base(broken, fetch, { onRefresh: (e) => events.push(e) })
    const values = await Promise.all(Array.from({ length: 100 }, () => cache.get()))
    expect(new Set(values)).toEqual(new Set(['T1']))
    expect(state.calls).toBe(1)
    expect(events[0]?.outcome).toBe('fetched')
    expect(String(events[0]?.error)).toContain('ECONNREFUSED')
    await cache.invalidate('T1')
    expect(await cache.get()).toBe('T2')
    expect(state.calls).toBe(2)
  })

  it("storeFailure 'throw' (jsapi_ticket): fails with a DingTalkStoreError, fetches nothing", async () => {
    const events: TokenRefreshEvent[] = []
    const { state, fetch } = counter([{ value: 'ticket', expiresIn: 7200 }])
    const cache = base(broken, fetch, { storeFailure: 'throw', onRefresh: (e) => events.push(e) })
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => cache.get()))
    expect(state.calls).toBe(0)
    for (const result of results) {
      expect(result.status).toBe('rejected')
      const error = (result as PromiseRejectedResult).reason
      expect(error).toBeInstanceOf(DingTalkStoreError)
      expect(error).toMatchObject({ code: 'STORE_ERROR', store: 'store' })
      expect(error.cause).toBeInstanceOf(Error)
    }
    expect(events.map((e) => e.outcome)).toEqual(['failed'])
    await expect(cache.invalidate('ticket')).resolves.toBeUndefined()
  })

  it("storeFailure 'throw' passes a DingTalkStoreError through and serves a still-valid value", async () => {
    let t = 1_000_000
    let down = false
    const memory = memoryStore({ now: () => t })
    const redisLike = new DingTalkStoreError('STORE_TIMEOUT', {
      store: 'redis',
      operation: 'get',
      message: 'Redis get timed out after 100 ms',
    })
    const flaky: Store = {
      get: (k) => (down ? Promise.reject(redisLike) : memory.get(k)),
      set: (k, v, ttl) => (down ? Promise.reject(redisLike) : memory.set(k, v, ttl)),
      delete: (k) => (down ? Promise.reject(redisLike) : memory.delete(k)),
      setIfAbsent: (k, v, ttl) => (down ? Promise.reject(redisLike) : memory.setIfAbsent(k, v, ttl)),
      deleteIfEquals: (k, v) => (down ? Promise.reject(redisLike) : memory.deleteIfEquals(k, v)),
    }
    const { state, fetch } = counter((n) => ({ value: `ticket-${n + 1}`, expiresIn: 7200 }))
    const cache = base(flaky, fetch, { storeFailure: 'throw', now: () => t, refreshMarginMs: 600_000 })
    expect(await cache.get()).toBe('ticket-1')
    down = true
    t += 7_200_000 - 300_000 // inside the refresh margin, still valid
    expect(await cache.get()).toBe('ticket-1')
    t += 300_000 // expired
    await expect(cache.get()).rejects.toBe(redisLike)
    expect(state.calls).toBe(1)
    down = false
    expect(await cache.get()).toBe('ticket-2')
    expect(state.calls).toBe(2)
  })

  it("storeFailure 'throw': a store that fails after the fetch still hands out the fresh value", async () => {
    const inner = memoryStore()
    let fail = false
    const store: Store = {
      ...inner,
      get: (k) => (fail ? Promise.reject(new Error('gone')) : inner.get(k)),
      set: () => Promise.reject(new Error('gone')),
    }
    const { state, fetch } = counter(() => {
      fail = true
      return { value: 'fresh', expiresIn: 7200 }
    })
    const cache = base(store, fetch, { storeFailure: 'throw' })
    expect(await cache.get()).toBe('fresh')
    expect(state.calls).toBe(1)
  })
})

describe('readThrough (the jsapi_ticket: a new value invalidates the old one everywhere, §3.1)', () => {
  const readThrough = (
    store: Store,
    fetch: TokenCacheOptions['fetch'],
    extra: Partial<TokenCacheOptions> = {},
  ) => base(store, fetch, { readThrough: true, storeFailure: 'throw', jitterMs: 60_000, ...extra })

  it('a warm instance takes the value another instance fetched after the store lost its data', async () => {
    const store = memoryStore()
    const { state, fetch } = counter((n) => ({ value: `T${n + 1}`, expiresIn: 7200 }))
    const warm = readThrough(store, fetch)
    expect(await warm.get()).toBe('T1')
    await store.delete(KEY) // Redis restarted empty, failed over, or evicted the key
    const fresh = readThrough(store, fetch)
    expect(await fresh.get()).toBe('T2')
    expect(await warm.get()).toBe('T2')
    expect(state.calls).toBe(2)
  })

  it('natural refresh: one fetch at a refresh time every instance shares, and no old value after it', async () => {
    let t = 1_000_000
    const now = () => t
    const store = memoryStore({ now })
    let issuedAt: number | undefined
    const { state, fetch } = counter((n) => {
      if (n === 1) issuedAt = t
      return { value: `T${n + 1}`, expiresIn: 7200 }
    })
    const instances = Array.from({ length: 8 }, () =>
      readThrough(store, fetch, { now, refreshMarginMs: 300_000 }),
    )
    expect(new Set(await Promise.all(instances.map((i) => i.get())))).toEqual(new Set(['T1']))
    t += 7200_000 - 300_001 // jitter would have sent some instances off early; there is none
    expect(new Set(await Promise.all(instances.map((i) => i.get())))).toEqual(new Set(['T1']))
    expect(state.calls).toBe(1)
    t += 2
    const after = await Promise.all(instances.flatMap((i) => [i.get(), i.get()]))
    expect(new Set(after)).toEqual(new Set(['T2']))
    expect(issuedAt).toBe(t)
    expect(state.calls).toBe(2)
  })

  it('waits while another instance holds the refresh lease instead of handing out the value being replaced', async () => {
    const store = memoryStore()
    const gate = deferred<void>()
    const { state, fetch } = counter(async (n) => {
      if (n === 1) await gate.promise
      return { value: `T${n + 1}`, expiresIn: 7200 }
    })
    const a = readThrough(store, fetch)
    const b = readThrough(store, fetch)
    expect(await a.get()).toBe('T1')
    expect(await b.get()).toBe('T1')
    await a.invalidate('T1') // DingTalk refused T1: A refreshes, holding the lease until DingTalk answers
    const refreshing = a.get()
    await new Promise((r) => setTimeout(r, 10))
    const waiting = b.get()
    await new Promise((r) => setTimeout(r, 10))
    gate.resolve()
    expect(await refreshing).toBe('T2')
    expect(await waiting).toBe('T2')
    expect(state.calls).toBe(2)
  })

  it('reads the store on every get() (the price: two reads per signature)', async () => {
    const store = countingStore(memoryStore())
    const { fetch } = counter([{ value: 'T1', expiresIn: 7200 }])
    const cache = readThrough(store, fetch)
    await cache.get()
    const reads = store.gets
    for (let i = 0; i < 10; i++) expect(await cache.get()).toBe('T1')
    expect(store.gets - reads).toBe(20)
  })

  it('with the store down, serves a still-valid value it has, and fetches nothing', async () => {
    const inner = memoryStore()
    let down = false
    const store: Store = {
      ...inner,
      get: (key) => (down ? Promise.reject(new Error('ECONNREFUSED')) : inner.get(key)),
      setIfAbsent: (key, value, ttl) =>
        down ? Promise.reject(new Error('ECONNREFUSED')) : inner.setIfAbsent(key, value, ttl),
    }
    const { state, fetch } = counter([{ value: 'T1', expiresIn: 7200 }])
    const cache = readThrough(store, fetch)
    expect(await cache.get()).toBe('T1')
    down = true
    expect(await cache.get()).toBe('T1')
    expect(state.calls).toBe(1)
  })
})
