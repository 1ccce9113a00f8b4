import { describe, expect, it } from 'vitest'
import { memoryStore } from './memory-store'

const DAY_MS = 24 * 3600_000

/** µs per new de-duplication mark, median of interleaved rounds against an empty store's. */
async function writeCost(entries: number): Promise<{ full: number; empty: number }> {
  const full = memoryStore({ maxEntries: entries })
  for (let i = 0; i < entries; i++) await full.setIfAbsent(`seed-${i}`, '1', DAY_MS)
  const fulls: number[] = []
  const empties: number[] = []
  const writes = 20_000
  for (let round = 0; round < 5; round++) {
    let t0 = performance.now()
    for (let i = 0; i < writes; i++) await full.setIfAbsent(`new-${round}-${i}`, '1', DAY_MS)
    fulls.push(((performance.now() - t0) * 1000) / writes)
    t0 = performance.now()
    let empty = memoryStore({ maxEntries: entries })
    for (let i = 0; i < writes; i++) {
      if (i % 1000 === 0) empty = memoryStore({ maxEntries: entries })
      await empty.setIfAbsent(`new-${round}-${i}`, '1', DAY_MS)
    }
    empties.push(((performance.now() - t0) * 1000) / writes)
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!
  return { full: median(fulls), empty: median(empties) }
}

describe('memoryStore write cost when full (issue #17: a scan per write made callbacks 8–9× slower)', () => {
  it('a write to a store full at 100,000 entries costs a small multiple of one to an empty store', async () => {
    const { full, empty } = await writeCost(100_000)
    // Evicting by the Map's first key walked every deleted slot: ≈ 33× at 100,000. Now ≈ 2–3×.
    expect(full / empty).toBeLessThan(10)
  }, 60_000)
})
