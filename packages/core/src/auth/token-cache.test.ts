import { describe, expect, it } from 'vitest'
import { DingTalkTokenError } from '../errors/request-errors'
import { memoryStore } from '../store/store'
import type { FetchedToken, TokenRefreshEvent } from './token-cache'
import { base, counter, countingStore, deferred, KEY } from './token-cache.test-helpers'

// The cache on a failing store, and readThrough, are in token-cache-store.test.ts.

describe('createTokenCache', () => {
  it('1,000 concurrent cold get() calls fetch once and all see the same value', async () => {
    const { state, fetch } = counter([{ value: 'T1', expiresIn: 7200 }])
    const cache = base(memoryStore(), fetch)
    const values = await Promise.all(Array.from({ length: 1000 }, () => cache.get()))
    expect(state.calls).toBe(1)
    expect(new Set(values)).toEqual(new Set(['T1']))
  })

  it('serves a fresh value from memory without touching the store', async () => {
    const store = countingStore(memoryStore())
    const { fetch } = counter([{ value: 'T1', expiresIn: 7200 }])
    const cache = base(store, fetch)
    await cache.get()
    const reads = store.gets
    for (let i = 0; i < 100; i++) expect(await cache.get()).toBe('T1')
    expect(store.gets).toBe(reads)
  })

  it('two instances on one store: concurrent cold starts fetch once; the loser waits for the winner', async () => {
    const store = memoryStore()
    const gate = deferred<void>()
    const { state, fetch } = counter(async () => {
      await gate.promise
      return { value: 'T1', expiresIn: 7200 }
    })
    const a = base(store, fetch)
    const b = base(store, fetch)
    const all = Promise.all([
      ...Array.from({ length: 50 }, () => a.get()),
      ...Array.from({ length: 50 }, () => b.get()),
    ])
    await new Promise((r) => setTimeout(r, 20))
    gate.resolve()
    const values = await all
    expect(state.calls).toBe(1)
    expect(new Set(values)).toEqual(new Set(['T1']))
  })

  it('refreshes once inside the early-refresh margin, not before', async () => {
    let t = 1_000_000
    const now = () => t
    const { state, fetch } = counter((n) => ({ value: `T${n + 1}`, expiresIn: 7200 }))
    const cache = base(memoryStore({ now }), fetch, { now, refreshMarginMs: 300_000 })
    expect(await cache.get()).toBe('T1')
    t += 7200_000 - 300_001
    expect(await cache.get()).toBe('T1')
    t += 2
    const values = await Promise.all(Array.from({ length: 100 }, () => cache.get()))
    expect(new Set(values)).toEqual(new Set(['T2']))
    expect(state.calls).toBe(2)
  })

  it('adds jitter: refresh happens between margin and margin + jitter before expiry', async () => {
    let t = 0
    const now = () => t
    const { state, fetch } = counter((n) => ({ value: `T${n + 1}`, expiresIn: 7200 }))
    const cache = base(memoryStore({ now }), fetch, { now, refreshMarginMs: 300_000, jitterMs: 60_000 })
    await cache.get()
    t = 7200_000 - 360_001
    await cache.get()
    expect(state.calls).toBe(1)
    t = 7200_000 - 299_999
    await cache.get()
    expect(state.calls).toBe(2)
  })

  it.each([
    ['missing', undefined, 7200_000],
    ['zero', 0, 7200_000],
    ['negative', -5, 7200_000],
    ['NaN', Number.NaN, 7200_000],
    ['huge', 10 ** 12, 7200_000],
    ['short', 60, 60_000],
  ])('expires_in %s → lifetime %d ms', async (_label, expiresIn, lifetime) => {
    const store = memoryStore()
    const cache = base(store, async () => ({ value: 'T', expiresIn }))
    await cache.get()
    const stored = JSON.parse((await store.get(KEY)) ?? '{}') as { e: number; t: number }
    expect(stored.e - stored.t).toBe(lifetime)
  })

  it('keeps serving a still-valid value when a refresh fails, and waits before trying again', async () => {
    let t = 0
    const now = () => t
    const events: TokenRefreshEvent[] = []
    const { state, fetch } = counter((n) => {
      if (n === 0) return { value: 'T1', expiresIn: 7200 }
      throw new Error('DingTalk down')
    })
    const cache = base(memoryStore({ now }), fetch, {
      now,
      retryAfterFailureMs: 10_000,
      onRefresh: (e) => events.push(e),
    })
    await cache.get()
    t = 7200_000 - 60_000
    expect(await cache.get()).toBe('T1')
    expect(await cache.get()).toBe('T1')
    expect(state.calls).toBe(2)
    t += 10_001
    expect(await cache.get()).toBe('T1')
    expect(state.calls).toBe(3)
    expect(events.map((e) => e.outcome)).toEqual(['fetched', 'stale', 'stale'])
    t = 7200_000
    await expect(cache.get()).rejects.toThrow('DingTalk down')
  })

  it('a failed cold refresh rejects every waiter with the error and releases the lease', async () => {
    const store = memoryStore()
    const { state, fetch } = counter(() => {
      throw new Error('bad secret')
    })
    const cache = base(store, fetch)
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => cache.get()))
    expect(results.every((r) => r.status === 'rejected')).toBe(true)
    expect(state.calls).toBe(1)
    expect(await store.get(`${KEY}:lock`)).toBeUndefined()
  })

  it('invalidate() is compare-and-delete: concurrent failures of the old value cause one refresh', async () => {
    const store = memoryStore()
    const { state, fetch } = counter((n) => ({ value: `T${n + 1}`, expiresIn: 7200 }))
    const cache = base(store, fetch)
    const old = await cache.get()
    const values = await Promise.all(
      Array.from({ length: 50 }, async () => {
        await cache.invalidate(old)
        return cache.get()
      }),
    )
    expect(state.calls).toBe(2)
    expect(new Set(values)).toEqual(new Set(['T2']))
    await cache.invalidate(old)
    expect(JSON.parse((await store.get(KEY)) ?? '{}').v).toBe('T2')
    expect(await cache.get()).toBe('T2')
  })

  it('invalidate() in one instance does not drop a newer value another instance wrote', async () => {
    const store = memoryStore()
    const a = base(store, async () => ({ value: 'A1', expiresIn: 7200 }))
    const b = base(store, async () => ({ value: 'B2', expiresIn: 7200 }))
    await a.get()
    await b.invalidate('A1')
    expect(await b.get()).toBe('B2')
    await a.invalidate('A1')
    expect(JSON.parse((await store.get(KEY)) ?? '{}').v).toBe('B2')
    expect(await a.get()).toBe('B2')
  })

  it('does not loop when DingTalk hands out the invalidated value again', async () => {
    const { state, fetch } = counter([{ value: 'SAME', expiresIn: 7200 }])
    const cache = base(memoryStore(), fetch)
    await cache.get()
    await cache.invalidate('SAME')
    expect(await cache.get()).toBe('SAME')
    expect(state.calls).toBe(2)
  })

  it.each([
    'not json',
    '{"v":123,"e":1,"t":0}',
    '{"v":"","e":99999999999999,"t":0}',
    '{"v":"X","e":"later","t":0}',
    'null',
    '[]',
  ])('treats garbage in the store as a miss: %s', async (garbage) => {
    const store = memoryStore()
    await store.set(KEY, garbage)
    const cache = base(store, async () => ({ value: 'T', expiresIn: 7200 }))
    expect(await cache.get()).toBe('T')
    expect(JSON.parse((await store.get(KEY)) ?? '{}').v).toBe('T')
  })

  it('a slower refresher never overwrites a newer value', async () => {
    let t = 0
    const now = () => t
    const store = memoryStore({ now })
    const slow = deferred<FetchedToken>()
    const started = deferred<void>()
    const a = base(
      store,
      () => {
        started.resolve()
        return slow.promise
      },
      { now, leaseMs: 1000 },
    )
    const b = base(store, async () => ({ value: 'B', expiresIn: 7200 }), { now, leaseMs: 1000 })
    const pendingA = a.get()
    await started.promise
    t = 2000
    expect(await b.get()).toBe('B')
    slow.resolve({ value: 'A', expiresIn: 7200 })
    expect(await pendingA).toBe('B')
    expect(JSON.parse((await store.get(KEY)) ?? '{}').v).toBe('B')
  })

  it('takes over after the lease of a vanished holder expires', async () => {
    const store = memoryStore()
    await store.setIfAbsent(`${KEY}:lock`, 'crashed-instance', 30)
    const { state, fetch } = counter([{ value: 'T', expiresIn: 7200 }])
    const cache = base(store, fetch, { leaseMs: 30 })
    expect(await cache.get()).toBe('T')
    expect(state.calls).toBe(1)
  })

  it('gives up with TOKEN_REFRESH_TIMEOUT when the holder never writes, without calling DingTalk', async () => {
    const store = memoryStore()
    await store.setIfAbsent(`${KEY}:lock`, `stuck-instance:1@${Date.now() + 60_000}`, 60_000)
    const { state, fetch } = counter([{ value: 'T', expiresIn: 7200 }])
    const cache = base(store, fetch, { waitTimeoutMs: 30 })
    const error = await cache.get().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DingTalkTokenError)
    expect((error as DingTalkTokenError).code).toBe('TOKEN_REFRESH_TIMEOUT')
    expect(state.calls).toBe(0)
  })

  it('serves the still-valid value when the wait for another holder runs out', async () => {
    let t = 0
    const now = () => t
    const store = memoryStore()
    const { state, fetch } = counter([{ value: 'T1', expiresIn: 7200 }])
    const cache = base(store, fetch, { now, waitTimeoutMs: 0 })
    await cache.get()
    t = 7200_000 - 1000
    await store.setIfAbsent(`${KEY}:lock`, `other:1@${t + 60_000}`, 60_000)
    expect(await cache.get()).toBe('T1')
    expect(state.calls).toBe(1)
  })

  it('a foreign or garbage value under the lock key (no lease expiry, no TTL) is a miss, not a lock', async () => {
    for (const foreign of [
      'garbage',
      '{"v":1}',
      'someone-else@not-a-time',
      `expired@${Date.now() - 60_000}`,
    ]) {
      const store = memoryStore()
      await store.set(`${KEY}:lock`, foreign)
      const { state, fetch } = counter([{ value: 'T', expiresIn: 7200 }])
      const cache = base(store, fetch, { waitTimeoutMs: 30 })
      expect(await cache.get()).toBe('T')
      expect(state.calls).toBe(1)
      expect(await store.get(`${KEY}:lock`)).toBeUndefined()
    }
  })

  it('reports refreshes without the value', async () => {
    const events: TokenRefreshEvent[] = []
    const store = memoryStore()
    const a = base(store, async () => ({ value: 'SECRET-TOKEN', expiresIn: 7200 }), {
      onRefresh: (e) => events.push(e),
    })
    const b = base(store, async () => ({ value: 'OTHER', expiresIn: 7200 }), {
      onRefresh: (e) => events.push(e),
    })
    await a.get()
    await b.get()
    expect(events.map((e) => [e.kind, e.outcome])).toEqual([
      ['access_token', 'fetched'],
      ['access_token', 'shared'],
    ])
    expect(JSON.stringify(events)).not.toContain('SECRET-TOKEN')
  })
})
