import { describe, expect, it } from 'vitest'
import { runStoreContract } from '../testing/vitest'
import { memoryStore, storeKey } from './store'

runStoreContract('memoryStore', () => memoryStore())
runStoreContract('memoryStore (bounded)', () => memoryStore({ maxEntries: 500 }))

describe('memoryStore', () => {
  it('evicts the oldest entries beyond maxEntries', async () => {
    const store = memoryStore({ maxEntries: 3 })
    for (const k of ['a', 'b', 'c', 'd']) await store.set(k, k)
    expect(await store.get('a')).toBeUndefined()
    expect(await store.get('d')).toBe('d')
    await store.set('b', 'b2')
    await store.set('e', 'e')
    expect(await store.get('c')).toBeUndefined()
    expect(await store.get('b')).toBe('b2')
  })

  it('drops expired entries before evicting live ones', async () => {
    let t = 0
    const store = memoryStore({ maxEntries: 2, now: () => t })
    await store.set('old', '1')
    await store.set('short', '2', 10)
    t = 20
    await store.set('new', '3')
    expect(await store.get('old')).toBe('1')
    expect(await store.get('new')).toBe('3')
  })

  it('an entry rewritten with a longer TTL is not dropped for its old expiry; a full store stays at its bound', async () => {
    let t = 0
    const store = memoryStore({ maxEntries: 3, now: () => t })
    await store.set('a', 'a')
    await store.set('k', 'short', 10)
    await store.set('k', 'long', 1000)
    await store.set('b', 'b', 5)
    t = 20 // 'b' and k's first write have expired
    await store.set('c', 'c') // drops the expired 'b', not the oldest 'a'
    expect(await store.get('a')).toBe('a')
    await store.set('d', 'd') // nothing expired (k's old expiry is stale): drops the oldest, 'a'
    expect(await store.get('k')).toBe('long')
    expect(await store.get('a')).toBeUndefined()
    expect(await store.get('b')).toBeUndefined()
    // 20,000 rewrites of a few keys and 20,000 fresh keys: only the newest three are kept.
    for (let i = 0; i < 20_000; i++) await store.set(`r${i % 3}`, String(i), 1_000_000)
    for (let i = 0; i < 20_000; i++) await store.set(`n${i}`, String(i), 1_000_000)
    expect(await store.get('n19999')).toBe('19999')
    expect(await store.get('n19996')).toBeUndefined()
    expect(await store.get('k')).toBeUndefined()
  })

  it('drops the earliest expiry first, whether its entry was written in expiry order or out of it', async () => {
    let t = 0
    const store = memoryStore({ maxEntries: 3, now: () => t })
    await store.set('x', 'x', 100) // in expiry order so far
    await store.set('y', 'y', 50) // out of order: expires before x
    await store.set('z', 'z', 200)
    t = 60 // y has expired: it goes, not the oldest (x)
    await store.set('w', 'w')
    expect([await store.get('x'), await store.get('y'), await store.get('z')]).toEqual(['x', undefined, 'z'])
    t = 150 // x has expired: it goes, not z or w
    await store.set('v', 'v')
    expect([await store.get('x'), await store.get('z'), await store.get('w')]).toEqual([undefined, 'z', 'w'])
    expect(await store.get('v')).toBe('v')
  })

  it('expires on an injected clock, exactly at the TTL', async () => {
    let t = 1000
    const store = memoryStore({ now: () => t })
    await store.set('k', 'v', 100)
    t = 1099
    expect(await store.get('k')).toBe('v')
    t = 1100
    expect(await store.get('k')).toBeUndefined()
  })
})

describe('storeKey', () => {
  it('namespaces by owner, corp and kind', () => {
    expect(storeKey({ owner: 'dingappkey', kind: 'access_token' })).toBe('dingtalk:dingappkey:-:access_token')
    expect(storeKey({ owner: 'suite1', corpId: 'ding9', kind: 'jsapi_ticket' })).toBe(
      'dingtalk:suite1:ding9:jsapi_ticket',
    )
  })

  it('escapes colons so distinct parts never produce the same key', () => {
    const a = storeKey({ owner: 'a:b', kind: 'c' })
    const b = storeKey({ owner: 'a', corpId: 'b', kind: 'c' })
    expect(a).not.toBe(b)
    expect(a.split(':')).toHaveLength(4)
  })
})
