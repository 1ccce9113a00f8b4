import { describe, expect, it } from 'vitest'
import { memoryStore } from '../store/store'
import { createDedupeLedger, eventIdOf } from './ledger'
import { parseEvents } from './parse'

describe('createDedupeLedger', () => {
  it('claim → finish(true) → done for every later claim, across ledgers on one store', async () => {
    const store = memoryStore()
    const a = createDedupeLedger({ store })
    const b = createDedupeLedger({ store })
    const key = a.keyFor('app', 'id:E1')
    expect(b.keyFor('app', 'id:E1')).toBe(key)
    expect(a.keyFor('other-app', 'id:E1')).not.toBe(key)
    const claim = await a.claim(key, Date.now() + 1000)
    if (typeof claim !== 'object') throw new Error(`expected a claim, got ${claim}`)
    expect(await claim.builtinDone()).toBe(false)
    await claim.finish(true)
    expect(await b.claim(key, Date.now() + 1000)).toBe('done')
  })

  it('finish(false) releases the claim; the built-in mark survives it', async () => {
    const ledger = createDedupeLedger({ store: memoryStore() })
    const key = ledger.keyFor('app', 'id:E2')
    const first = await ledger.claim(key, Date.now() + 1000)
    if (typeof first !== 'object') throw new Error('expected a claim')
    await first.markBuiltinDone()
    await first.finish(false)
    const second = await ledger.claim(key, Date.now() + 1000)
    if (typeof second !== 'object') throw new Error('expected a claim')
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
    const claim = await ledger.claim(ledger.keyFor('app', 'id:E4'), Date.now() + 100)
    if (typeof claim !== 'object') throw new Error('expected a claim')
    await claim.finish(true)
    expect(failures).toEqual(['Could not mark an event as done'])
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
