import { describe, expect, it } from 'vitest'
import type { Store } from '../store/store'

/**
 * Options of {@link runStoreContract}.
 *
 * @example
 * ```ts
 * runStoreContract('redis', () => redisStore({ client }), { shortTtlMs: 100, teardown: () => client.flushdb() })
 * ```
 */
export interface StoreContractOptions {
  /** TTL used by the expiry tests; the suite waits three times this long. Default 40 ms. */
  shortTtlMs?: number
  /** Called after each test with the store it used (close connections, flush keys). */
  teardown?: (store: Store) => void | Promise<void>
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** A contract test: gets a fresh store and a function that puts a key under the test's own prefix. */
type StoreTest = (store: Store, key: (k: string) => string) => Promise<void>
/** Wraps a {@link StoreTest} into a vitest test function (creates the store, tears it down). */
type WithStore = (fn: StoreTest) => () => Promise<void>

/** Plain values: absent keys, exact round trips, separate keys, deletes. */
function valueTests(withStore: WithStore): void {
  it(
    'returns undefined for a key never written',
    withStore(async (store, key) => {
      expect(await store.get(key('absent'))).toBeUndefined()
    }),
  )

  it(
    'round-trips values exactly, including Unicode and JSON, and overwrites',
    withStore(async (store, key) => {
      const value = '{"v":"令牌 ✓","e":1700000000000}'
      await store.set(key('a'), value)
      expect(await store.get(key('a'))).toBe(value)
      await store.set(key('a'), 'second')
      expect(await store.get(key('a'))).toBe('second')
      await store.set(key('empty'), '')
      expect(await store.get(key('empty'))).toBe('')
    }),
  )

  it(
    'keeps keys apart, including keys that share a prefix',
    withStore(async (store, key) => {
      await store.set(key('k'), '1')
      await store.set(key('k:lock'), '2')
      expect(await store.get(key('k'))).toBe('1')
      expect(await store.get(key('k:lock'))).toBe('2')
      await store.delete(key('k'))
      expect(await store.get(key('k'))).toBeUndefined()
      expect(await store.get(key('k:lock'))).toBe('2')
    }),
  )

  it(
    'deletes, and deleting an absent key is not an error',
    withStore(async (store, key) => {
      await store.set(key('d'), 'x')
      await store.delete(key('d'))
      expect(await store.get(key('d'))).toBeUndefined()
      await expect(store.delete(key('never'))).resolves.toBeUndefined()
    }),
  )
}

/** TTLs: entries expire, entries without one stay, writing again replaces the TTL. */
function expiryTests(withStore: WithStore, ttl: number): void {
  it(
    'expires entries written with a TTL and keeps those without one',
    withStore(async (store, key) => {
      await store.set(key('short'), 'x', ttl)
      await store.set(key('forever'), 'y')
      await store.set(key('long'), 'z', 60_000)
      await sleep(ttl * 3)
      expect(await store.get(key('short'))).toBeUndefined()
      expect(await store.get(key('forever'))).toBe('y')
      expect(await store.get(key('long'))).toBe('z')
    }),
  )

  it(
    'replaces the TTL when a key is written again',
    withStore(async (store, key) => {
      await store.set(key('r'), 'short', ttl)
      await store.set(key('r'), 'long', 60_000)
      await sleep(ttl * 3)
      expect(await store.get(key('r'))).toBe('long')
    }),
  )
}

/** `setIfAbsent`: writes only over no live entry, again after expiry, atomically. */
function setIfAbsentTests(withStore: WithStore, ttl: number): void {
  it(
    'setIfAbsent writes only when no live entry exists',
    withStore(async (store, key) => {
      expect(await store.setIfAbsent(key('lock'), 'first', 60_000)).toBe(true)
      expect(await store.setIfAbsent(key('lock'), 'second', 60_000)).toBe(false)
      expect(await store.get(key('lock'))).toBe('first')
    }),
  )

  it(
    'setIfAbsent succeeds again once the previous lease expired',
    withStore(async (store, key) => {
      expect(await store.setIfAbsent(key('lease'), 'a', ttl)).toBe(true)
      await sleep(ttl * 3)
      expect(await store.setIfAbsent(key('lease'), 'b', 60_000)).toBe(true)
      expect(await store.get(key('lease'))).toBe('b')
    }),
  )

  it(
    'setIfAbsent is atomic: of 100 concurrent callers exactly one wins and its value is stored',
    withStore(async (store, key) => {
      const results = await Promise.all(
        Array.from({ length: 100 }, (_, i) => store.setIfAbsent(key('race'), `owner-${i}`, 60_000)),
      )
      const winners = results.flatMap((won, i) => (won ? [i] : []))
      expect(winners).toHaveLength(1)
      expect(await store.get(key('race'))).toBe(`owner-${winners[0]}`)
    }),
  )
}

/** `deleteIfEquals`: only the exact value, once under concurrency, never a newer value, not an expired one. */
function deleteIfEqualsTests(withStore: WithStore, ttl: number): void {
  it(
    'deleteIfEquals removes only the exact value it was given',
    withStore(async (store, key) => {
      await store.set(key('t'), 'token-1')
      expect(await store.deleteIfEquals(key('t'), 'token-0')).toBe(false)
      expect(await store.deleteIfEquals(key('t'), 'token-1 ')).toBe(false)
      expect(await store.get(key('t'))).toBe('token-1')
      expect(await store.deleteIfEquals(key('t'), 'token-1')).toBe(true)
      expect(await store.get(key('t'))).toBeUndefined()
      expect(await store.deleteIfEquals(key('t'), 'token-1')).toBe(false)
    }),
  )

  it(
    'deleteIfEquals under concurrency: exactly one caller removes a value',
    withStore(async (store, key) => {
      await store.set(key('c'), 'v')
      const results = await Promise.all(Array.from({ length: 50 }, () => store.deleteIfEquals(key('c'), 'v')))
      expect(results.filter(Boolean)).toHaveLength(1)
    }),
  )

  it(
    'deleteIfEquals does not remove a newer value written after the old one',
    withStore(async (store, key) => {
      await store.set(key('n'), 'old')
      await store.set(key('n'), 'new')
      expect(await store.deleteIfEquals(key('n'), 'old')).toBe(false)
      expect(await store.get(key('n'))).toBe('new')
    }),
  )

  it(
    'treats an expired entry as absent for deleteIfEquals and setIfAbsent',
    withStore(async (store, key) => {
      await store.set(key('x'), 'gone', ttl)
      await sleep(ttl * 3)
      expect(await store.deleteIfEquals(key('x'), 'gone')).toBe(false)
      expect(await store.setIfAbsent(key('x'), 'fresh', 60_000)).toBe(true)
    }),
  )
}

/**
 * The contract every {@link Store} must meet, as a vitest suite: values round-trip, TTLs expire,
 * `setIfAbsent` is atomic under concurrency and `deleteIfEquals` only removes the value it was given.
 * Each test gets a fresh store from `factory` and uses keys under a random prefix.
 *
 * @example
 * ```ts
 * // my-store.test.ts
 * import { runStoreContract } from '@dingtalk-kit/core/vitest'
 * runStoreContract('myStore', () => myStore({ url: process.env.STORE_URL }))
 * ```
 */
export function runStoreContract(
  name: string,
  factory: () => Store | Promise<Store>,
  options: StoreContractOptions = {},
): void {
  const ttl = options.shortTtlMs ?? 40
  const withStore: WithStore = (fn) => async () => {
    const store = await factory()
    const prefix = `contract:${Math.random().toString(36).slice(2)}:`
    try {
      await fn(store, (k) => prefix + k)
    } finally {
      await options.teardown?.(store)
    }
  }

  describe(`Store contract: ${name}`, () => {
    valueTests(withStore)
    expiryTests(withStore, ttl)
    setIfAbsentTests(withStore, ttl)
    deleteIfEqualsTests(withStore, ttl)
  })
}
