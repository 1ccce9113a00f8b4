import { describe, expect, it } from 'vitest'
import { memoryStore, type Store } from '../store/store'
import { createDedupeLedger, eventIdOf, type LedgerClaim } from './ledger'
import { parseEvents } from './parse'

/** The claim, or a failed test when the ledger said `done` or `busy`. */
function claimed(outcome: LedgerClaim | 'done' | 'busy'): LedgerClaim {
  if (typeof outcome !== 'object') throw new Error(`expected a claim, got ${outcome}`)
  return outcome
}

describe('createDedupeLedger', () => {
  it('claim → finish(true) → done for every later claim, across ledgers on one store', async () => {
    const store = memoryStore()
    const a = createDedupeLedger({ store })
    const b = createDedupeLedger({ store })
    const key = a.keyFor('app', 'id:E1')
    expect(b.keyFor('app', 'id:E1')).toBe(key)
    expect(a.keyFor('other-app', 'id:E1')).not.toBe(key)
    const claim = claimed(await a.claim(key, Date.now() + 1000))
    expect(await claim.builtinDone()).toBe(false)
    await claim.finish(true)
    expect(await b.claim(key, Date.now() + 1000)).toBe('done')
  })

  it('finish(false) releases the claim; the built-in mark survives it', async () => {
    const ledger = createDedupeLedger({ store: memoryStore() })
    const key = ledger.keyFor('app', 'id:E2')
    const first = claimed(await ledger.claim(key, Date.now() + 1000))
    await first.markBuiltinDone()
    await first.finish(false)
    const second = claimed(await ledger.claim(key, Date.now() + 1000))
    expect(await second.builtinDone()).toBe(true)
  })

  it('a holder that died (never finished) is taken over once its in-flight mark expires', async () => {
    let t = 1_000_000
    const now = (): number => t
    const store = memoryStore({ now })
    const dead = createDedupeLedger({ store, now, inflightTtlMs: 1_000, pollIntervalMs: 1 })
    const alive = createDedupeLedger({ store, now, inflightTtlMs: 1_000, pollIntervalMs: 1 })
    const key = dead.keyFor('app', 'id:E3')
    expect(typeof (await dead.claim(key, t + 10))).toBe('object')
    expect(await alive.claim(key, t)).toBe('busy')
    t += 1_001
    expect(typeof (await alive.claim(key, t + 10))).toBe('object')
  })

  it('reports marks it could not write, without throwing', async () => {
    const failures: string[] = []
    const base = memoryStore()
    const store = { ...base, set: () => Promise.reject(new Error('READONLY')) }
    const ledger = createDedupeLedger({ store, onStoreError: (message) => failures.push(message) })
    const claim = claimed(await ledger.claim(ledger.keyFor('app', 'id:E4'), Date.now() + 100))
    await claim.finish(true)
    expect(failures).toEqual(['Could not mark an event as done'])
  })
})

describe('createDedupeLedger keys', () => {
  it('keeps a short business id readable and hashes any other, the two forms never meeting', () => {
    const ledger = createDedupeLedger({ store: memoryStore() })
    expect(ledger.keyFor('app', 'id:3f2a-01')).toBe('dingtalk:app:-:event_id%3A3f2a-01')
    const long = ledger.keyFor('app', `msg:${'x'.repeat(200)}`)
    const odd = ledger.keyFor('app', 'msg:{"EventType":"check_url"}')
    for (const key of [long, odd]) expect(key).toMatch(/:event_[0-9a-f]{64}$/)
    expect(long).not.toBe(odd)
    // An id without a colon is hashed too, so it can never spell another id's hash.
    expect(ledger.keyFor('app', 'a'.repeat(64))).not.toBe(`dingtalk:app:-:event_${'a'.repeat(64)}`)
  })
})

describe('createDedupeLedger store traffic', () => {
  const counted = () => {
    const base = memoryStore()
    const calls: string[] = []
    // Every operation is recorded by name, then run on the memory store.
    const store = Object.fromEntries(
      (['get', 'set', 'delete', 'setIfAbsent', 'deleteIfEquals'] as const).map((name) => [
        name,
        (...args: unknown[]) => {
          calls.push(name)
          return (base[name] as (...a: unknown[]) => Promise<unknown>)(...args)
        },
      ]),
    ) as unknown as Store
    return { store, calls }
  }

  it('a new event costs one write to claim and one to finish; a handled one a write and a read', async () => {
    const { store, calls } = counted()
    const ledger = createDedupeLedger({ store })
    const key = ledger.keyFor('app', 'id:E5')
    const claim = claimed(await ledger.claim(key, Date.now() + 1000))
    await claim.finish(true)
    expect(calls).toEqual(['setIfAbsent', 'set'])
    calls.length = 0
    expect(await ledger.claim(key, Date.now() + 1000)).toBe('done')
    expect(calls).toEqual(['setIfAbsent', 'get'])
  })

  it('a done mark is kept; a stray value that is no live lease is replaced', async () => {
    const store = memoryStore()
    const ledger = createDedupeLedger({ store })
    const done = ledger.keyFor('app', 'id:E6')
    await store.set(done, 'done')
    expect(await ledger.claim(done, Date.now() + 1000)).toBe('done')
    const stray = ledger.keyFor('app', 'id:E7')
    await store.set(stray, 'left by an old version') // no TTL: only its shape says it is no lease
    expect(typeof (await ledger.claim(stray, Date.now() + 1000))).toBe('object')
  })

  it('when done cannot be written the lease is released, so a redelivery is handled at once', async () => {
    const base = memoryStore()
    const store = { ...base, set: () => Promise.reject(new Error('READONLY')) }
    const ledger = createDedupeLedger({ store, onStoreError: () => {} })
    const key = ledger.keyFor('app', 'id:E8')
    const first = claimed(await ledger.claim(key, Date.now() + 1000))
    await first.finish(true)
    expect(typeof (await ledger.claim(key, Date.now() + 1000))).toBe('object')
  })
})

describe('eventIdOf', () => {
  it('prefers eventId (shared by HTTP pushes and Stream headers), then BizId, then the message', () => {
    const both = parseEvents({ EventType: 'user_add_org', UserId: ['u'], eventId: 'E', BizId: 'B' })[0]!
    expect(eventIdOf(both)).toBe('id:E')
    const biz = parseEvents({ EventType: 'user_add_org', UserId: ['u'], BizId: 'B' })[0]!
    expect(eventIdOf(biz)).toBe('biz:B')
    const plain = parseEvents('{"EventType":"check_url"}')[0]!
    expect(eventIdOf(plain, '{"EventType":"check_url"}')).toBe('msg:{"EventType":"check_url"}')
  })
})

describe('createDedupeLedger on an in-process store (memoryStore)', () => {
  it('writes nothing while an event is in flight, and `done` once when it is handled', async () => {
    const store = memoryStore()
    const ledger = createDedupeLedger({ store })
    const key = ledger.keyFor('app', 'id:L1')
    const claim = claimed(await ledger.claim(key, Date.now() + 1000))
    expect(await store.get(key)).toBeUndefined()
    await claim.finish(true)
    expect(await store.get(key)).toBe('done')
  })

  it('a second ledger on the store waits for the holder and is told at once, without polling', async () => {
    const store = memoryStore()
    const first = createDedupeLedger({ store })
    const second = createDedupeLedger({ store, pollIntervalMs: 60_000 })
    const key = first.keyFor('app', 'id:L2')
    const claim = claimed(await first.claim(key, Date.now() + 5000))
    const waited = second.claim(key, Date.now() + 5000)
    const started = Date.now()
    setTimeout(() => void claim.finish(true), 20)
    expect(await waited).toBe('done')
    expect(Date.now() - started).toBeLessThan(2000)
  })

  it('a holder that gives up hands the event to the waiter', async () => {
    const store = memoryStore()
    const ledger = createDedupeLedger({ store })
    const key = ledger.keyFor('app', 'id:L3')
    const claim = claimed(await ledger.claim(key, Date.now() + 5000))
    const waited = ledger.claim(key, Date.now() + 5000)
    await claim.finish(false)
    const next = claimed(await waited)
    await next.finish(true)
    expect(await ledger.claim(key, Date.now() + 1000)).toBe('done')
  })

  it('respects a live lease another copy of core wrote into it', async () => {
    const store = memoryStore()
    const ledger = createDedupeLedger({ store, pollIntervalMs: 5 })
    const key = ledger.keyFor('app', 'id:L4')
    await store.set(key, `feedbeef@${Date.now() + 60_000}`, 60_000)
    expect(await ledger.claim(key, Date.now() + 30)).toBe('busy')
    await store.set(key, 'done')
    expect(await ledger.claim(key, Date.now() + 30)).toBe('done')
  })

  it('a copy of it (`{ ...store }`) is a foreign store: the in-flight event holds a lease in it', async () => {
    const store = { ...memoryStore() }
    const ledger = createDedupeLedger({ store })
    const key = ledger.keyFor('app', 'id:L5')
    const claim = claimed(await ledger.claim(key, Date.now() + 1000))
    expect(await store.get(key)).toMatch(/^[0-9a-f]{16}@\d+$/)
    await claim.finish(true)
    expect(await store.get(key)).toBe('done')
  })
})
