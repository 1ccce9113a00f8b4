import { memoryStore, type Store } from '@dingtalk-kit/core'
import { type BenchOptions, type Comparison, compare } from './lib'

const DAY_MS = 24 * 3600_000

/** A memory store holding `entries` de-duplication marks, at its bound: every new mark evicts the oldest. */
async function fullStore(entries: number): Promise<Store> {
  const store = memoryStore({ maxEntries: entries })
  for (let i = 0; i < entries; i++) await store.setIfAbsent(`dedupe:seed-${i}`, '1', DAY_MS)
  return store
}

/** Stores at their bound take this many entries in the baseline: small enough to sit in the CPU's caches. */
const SMALL = 1_000

/**
 * The memory store's write cost when full, as a callback sees it: a new event's de-duplication mark
 * (`setIfAbsent` of a new key with a 24 h TTL) into a store at its bound of 10,000 or 100,000 entries (each write
 * evicts the oldest), against the same write into a store at its bound of 1,000. Both stores are made once and
 * written the same way, so only their size differs: a ratio near 1 means the write costs the same whatever the
 * store holds (eviction in O(1)); scanning every entry made it ≈ 80 µs at 10,000 (issue #17).
 *
 * @example
 * ```ts
 * const rows = await benchStoreWrites({ quick: true })
 * ```
 */
export async function benchStoreWrites(options: BenchOptions): Promise<Comparison[]> {
  const rows: Comparison[] = []
  for (const entries of [10_000, 100_000]) {
    const full = await fullStore(entries)
    const small = await fullStore(SMALL)
    let n = 0
    let m = 0
    rows.push(
      await compare(
        `memoryStore write (new de-dup mark), full at ${entries.toLocaleString('en')} entries ÷ full at ${SMALL.toLocaleString('en')}`,
        {
          name: `full (${entries.toLocaleString('en')})`,
          fn: () => full.setIfAbsent(`dedupe:new-${n++}`, '1', DAY_MS),
        },
        {
          name: `full (${SMALL.toLocaleString('en')})`,
          fn: () => small.setIfAbsent(`dedupe:new-${m++}`, '1', DAY_MS),
        },
        {
          ...options,
          goal: 0.2,
          note: 'goal: at most 5× a store of 1,000, whatever the size (a scan made it 17× at 10,000 and 33× at 100,000)',
        },
      ),
    )
  }
  return rows
}
