import { describe, expect, it } from 'vitest'
import { acquireLease, pollUntil, randomId } from './lease'
import { memoryStore } from './store'

describe('acquireLease', () => {
  it('gives the lock to one of many concurrent takers, and again after release', async () => {
    const store = memoryStore()
    const now = (): number => 1_000
    const leases = await Promise.all(
      Array.from({ length: 50 }, () => acquireLease(store, 'k:lock', { ttlMs: 5_000, now })),
    )
    const won = leases.filter((l) => l !== undefined)
    expect(won).toHaveLength(1)
    expect(await acquireLease(store, 'k:lock', { ttlMs: 5_000, now })).toBeUndefined()
    expect(await won[0]!.release()).toBe(true)
    expect(await won[0]!.release()).toBe(false)
    expect(await acquireLease(store, 'k:lock', { ttlMs: 5_000, now })).toBeDefined()
  })

  it('a released lease does not remove the lock a later holder took', async () => {
    let t = 0
    const now = (): number => t
    const store = memoryStore({ now })
    const first = await acquireLease(store, 'k:lock', { ttlMs: 100, now })
    t = 200 // the first lease ran out; a second holder takes the key
    const second = await acquireLease(store, 'k:lock', { ttlMs: 100, now })
    expect(second).toBeDefined()
    expect(await first!.release()).toBe(false)
    expect(await acquireLease(store, 'k:lock', { ttlMs: 100, now })).toBeUndefined()
  })

  it('takes over a value that is no lease (no expiry inside, no TTL) and a lease expired past the grace', async () => {
    let t = 10_000
    const now = (): number => t
    const store = memoryStore({ now })
    await store.set('k:lock', 'garbage')
    expect(await acquireLease(store, 'k:lock', { ttlMs: 100, now })).toBeDefined()
    // A lease value whose own expiry passed, written without a store TTL by a foreign writer:
    await store.set('k2:lock', `abc@${t - 50}`)
    expect(await acquireLease(store, 'k2:lock', { ttlMs: 100, now, graceMs: 100 })).toBeUndefined()
    t += 100
    expect(await acquireLease(store, 'k2:lock', { ttlMs: 100, now, graceMs: 100 })).toBeDefined()
  })

  it('lets store errors through to the caller', async () => {
    const store = { ...memoryStore(), setIfAbsent: () => Promise.reject(new Error('down')) }
    await expect(acquireLease(store, 'k', { ttlMs: 1, now: Date.now })).rejects.toThrow('down')
  })
})

describe('pollUntil', () => {
  it('returns the first defined value and stops asking', async () => {
    let calls = 0
    const value = await pollUntil(async () => (++calls === 3 ? 'v' : undefined), {
      intervalMs: 1,
      deadlineAt: Date.now() + 5_000,
      now: Date.now,
    })
    expect(value).toBe('v')
    expect(calls).toBe(3)
  })

  it('gives up with undefined once the deadline passed, after a last attempt at the deadline', async () => {
    let calls = 0
    const started = Date.now()
    const value = await pollUntil(
      async () => {
        calls++
        return undefined
      },
      { intervalMs: 20, deadlineAt: started + 50, now: Date.now },
    )
    expect(value).toBeUndefined()
    // At least the first attempt and the last one at the deadline (more on an idle machine).
    expect(calls).toBeGreaterThanOrEqual(2)
    expect(Date.now()).toBeGreaterThanOrEqual(started + 50)
  })
})

describe('randomId', () => {
  it('is hex of twice the byte count and differs between calls', () => {
    const ids = new Set(Array.from({ length: 100 }, () => randomId()))
    expect(ids.size).toBe(100)
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{16}$/)
    expect(randomId(12)).toMatch(/^[0-9a-f]{24}$/)
  })

  it('stays distinct across many pool refills, and serves sizes larger than the pool', () => {
    const ids = Array.from({ length: 5_000 }, () => randomId(7))
    expect(new Set(ids).size).toBe(5_000)
    expect(ids.every((id) => /^[0-9a-f]{14}$/.test(id))).toBe(true)
    expect(randomId(5_000)).toMatch(/^[0-9a-f]{10000}$/)
  })
})
