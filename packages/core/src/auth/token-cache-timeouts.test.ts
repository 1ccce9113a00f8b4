import { describe, expect, it } from 'vitest'
import { DingTalkStoreError } from '../errors/store'
import { memoryStore, type Store } from '../store/store'
import { createTokenCache } from './token-cache'

const KEY = 'dingtalk:app:-:jsapi_ticket'
const timeout = (operation: string) =>
  new DingTalkStoreError('STORE_TIMEOUT', {
    store: 'redis',
    operation,
    message: `Redis ${operation} timed out`,
  })

/** A store whose next `n` calls of `operation` time out (what a busy Redis, or a busy process, looks like). */
function slowFor(inner: Store, operation: 'get' | 'setIfAbsent', n: number): Store & { failed: number } {
  const store = {
    ...inner,
    failed: 0,
    get: (key: string) =>
      operation === 'get' && store.failed++ < n ? Promise.reject(timeout('get')) : inner.get(key),
    setIfAbsent: (key: string, value: string, ttlMs: number) =>
      operation === 'setIfAbsent' && store.failed++ < n
        ? Promise.reject(timeout('setIfAbsent'))
        : inner.setIfAbsent(key, value, ttlMs),
  }
  return store
}

const ticketCache = (store: Store, fetch: () => Promise<{ value: string; expiresIn: number }>) =>
  createTokenCache({ store, key: KEY, fetch, readThrough: true, storeFailure: 'throw', pollIntervalMs: 2 })

describe('a store timeout during a refresh (jsapi_ticket: storeFailure throw, readThrough)', () => {
  it.each([1, 3])(
    'the lease timing out %i time(s) fails none of the 200 callers that joined the refresh',
    async (times) => {
      let fetches = 0
      const store = slowFor(memoryStore(), 'setIfAbsent', times)
      const cache = ticketCache(store, async () => ({ value: `ticket-${++fetches}`, expiresIn: 7200 }))
      const results = await Promise.allSettled(Array.from({ length: 200 }, () => cache.get()))
      expect(results.filter((r) => r.status === 'rejected')).toEqual([])
      expect(new Set(results.map((r) => (r as PromiseFulfilledResult<string>).value))).toEqual(
        new Set(['ticket-1']),
      )
      expect(store.failed).toBeGreaterThanOrEqual(times)
      expect(fetches).toBe(1)
    },
  )

  it('a store that keeps timing out still fails, with its own error, and fetches nothing', async () => {
    let fetches = 0
    const cache = ticketCache(slowFor(memoryStore(), 'setIfAbsent', 1000), async () => ({
      value: `ticket-${++fetches}`,
      expiresIn: 7200,
    }))
    const error = await cache.get().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DingTalkStoreError)
    expect((error as DingTalkStoreError).code).toBe('STORE_TIMEOUT')
    expect(fetches).toBe(0)
  })
})
