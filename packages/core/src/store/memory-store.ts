import { type LocalHold, offerInProcess } from './in-process'
import type { Store } from './types'

/**
 * Options of {@link memoryStore}.
 *
 * @example
 * ```ts
 * const store = memoryStore({ maxEntries: 50_000 })
 * ```
 */
export interface MemoryStoreOptions {
  /**
   * Upper bound on entries; past it the least recently written one is dropped (in constant time). Default
   * 10,000. It bounds what the store remembers: with the default, callbacks are de-duplicated over the last
   * 24 h or the last ~10,000 events, whichever is shorter (tokens and tickets are rewritten every 2 h and are
   * re-fetched if dropped). Raise it for more events a day; each entry costs a few hundred bytes.
   */
  maxEntries?: number
  /** Clock in epoch milliseconds (tests). Default `Date.now`. */
  now?: () => number
}

// One object per write serves as the Map's value, the expiry queue's item and the write order's item: an item is
// live while the Map still holds that very object under its key.
interface Entry {
  readonly key: string
  readonly value: string
  readonly expiresAt: number
}

/** Entries by expiry, earliest first (a binary heap; superseded items are skipped when they surface). */
class ExpiryHeap {
  private items: Entry[] = []

  get size(): number {
    return this.items.length
  }

  push(entry: Entry): void {
    const items = this.items
    let i = items.length
    items.push(entry)
    // Sifted up by moving parents down, the new entry written once where it lands.
    while (i > 0) {
      const parent = (i - 1) >> 1
      const above = items[parent]!
      if (above.expiresAt <= entry.expiresAt) break
      items[i] = above
      i = parent
    }
    items[i] = entry
  }

  /** The earliest entry, removed. */
  pop(): Entry | undefined {
    const items = this.items
    const top = items[0]
    const last = items.pop()
    if (top === undefined || last === undefined || items.length === 0) return top
    const n = items.length
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      if (l >= n) break
      const r = l + 1
      const m = r < n && items[r]!.expiresAt < items[l]!.expiresAt ? r : l
      if (items[m]!.expiresAt >= last.expiresAt) break
      items[i] = items[m]!
      i = m
    }
    items[i] = last
    return top
  }

  peek(): Entry | undefined {
    return this.items[0]
  }
}

/**
 * Entries first in, first out, O(1) each way: consumed slots are cleared, and the array is cut once they
 * outnumber the rest. Not a Map's own order: V8 keeps deleted slots at the front of a Map until it rehashes,
 * so taking its first key after many deletions walks past every deleted one — a scan per write.
 */
class Fifo {
  private items: (Entry | undefined)[]
  private head = 0

  constructor(items: Entry[] = []) {
    this.items = items
  }

  get size(): number {
    return this.items.length - this.head
  }

  first(): Entry | undefined {
    return this.items[this.head]
  }

  last(): Entry | undefined {
    return this.items[this.items.length - 1]
  }

  push(entry: Entry): void {
    this.items.push(entry)
  }

  shift(): Entry | undefined {
    const entry = this.items[this.head]
    if (entry === undefined) return undefined
    this.items[this.head++] = undefined
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head)
      this.head = 0
    }
    return entry
  }
}

/**
 * The entries with an expiry, earliest first. Entries written in expiry order (the usual case: one TTL for a
 * kind of key, such as 24 h de-duplication marks) queue in a run, O(1) each way; only those written out of
 * order go through the heap, O(log n). At 100,000 entries the heap's sift-down was most of a full store's write.
 */
class ExpiryQueue {
  private run = new Fifo()
  private heap = new ExpiryHeap()

  get size(): number {
    return this.run.size + this.heap.size
  }

  push(entry: Entry): void {
    const last = this.run.last()
    if (last === undefined || last.expiresAt <= entry.expiresAt) this.run.push(entry)
    else this.heap.push(entry)
  }

  peek(): Entry | undefined {
    const queued = this.run.first()
    const heaped = this.heap.peek()
    if (queued === undefined || heaped === undefined) return queued ?? heaped
    return heaped.expiresAt < queued.expiresAt ? heaped : queued
  }

  pop(): Entry | undefined {
    const top = this.peek()
    return top !== undefined && top === this.run.first() ? this.run.shift() : this.heap.pop()
  }

  /** Rebuilds from the live entries when superseded items pile up. */
  compact(live: Map<string, Entry>): void {
    this.run = new Fifo()
    this.heap = new ExpiryHeap()
    for (const entry of live.values()) if (entry.expiresAt !== Number.POSITIVE_INFINITY) this.push(entry)
  }
}

/**
 * An in-process {@link Store}: bounded (oldest entry evicted first) and expiring. Right for a single
 * instance; several instances need a shared store such as `@dingtalk-kit/redis`.
 *
 * @example
 * ```ts
 * const client = createDingTalkClient({ appKey, appSecret }, { store: memoryStore({ maxEntries: 1000 }) })
 * ```
 */
export function memoryStore(options: MemoryStoreOptions = {}): Store {
  const maxEntries = Math.max(1, options.maxEntries ?? 10_000)
  const now = options.now ?? Date.now
  const entries = new Map<string, Entry>()
  const expiries = new ExpiryQueue()
  // Every write, oldest first (superseded items are skipped when they surface).
  let order = new Fifo()

  const live = (key: string): Entry | undefined => {
    const entry = entries.get(key)
    if (entry === undefined) return undefined
    if (entry.expiresAt <= now()) {
      entries.delete(key)
      return undefined
    }
    return entry
  }

  const write = (key: string, value: string, ttlMs?: number): void => {
    // Deleted first, so that the Map's own order (what compact() rebuilds from) is the write order too.
    entries.delete(key)
    const expiresAt = ttlMs === undefined ? Number.POSITIVE_INFINITY : now() + Math.max(0, ttlMs)
    const entry: Entry = { key, value, expiresAt }
    entries.set(key, entry)
    order.push(entry)
    if (expiresAt !== Number.POSITIVE_INFINITY) expiries.push(entry)
    if (entries.size > maxEntries) evict()
    if (expiries.size > 2 * maxEntries + 64) expiries.compact(entries)
    if (order.size > 2 * maxEntries + 64) order = new Fifo([...entries.values()])
  }

  // Never a scan: an expired entry goes first (the earliest expiry is on top of the expiry queue), else the
  // least recently written one (the first live item of the write order).
  const evict = (): void => {
    const t = now()
    while (entries.size > maxEntries) {
      const top = expiries.peek()
      if (top !== undefined && (entries.get(top.key) !== top || top.expiresAt <= t)) {
        expiries.pop()
        if (entries.get(top.key) === top) entries.delete(top.key)
        continue
      }
      let oldest = order.shift()
      while (oldest !== undefined && entries.get(oldest.key) !== oldest) oldest = order.shift()
      if (oldest === undefined) return
      entries.delete(oldest.key)
    }
  }

  const read = (key: string): string | undefined => live(key)?.value

  const store: Store = {
    get: async (key) => read(key),
    set: async (key, value, ttlMs) => write(key, value, ttlMs),
    delete: async (key) => {
      entries.delete(key)
    },
    setIfAbsent: async (key, value, ttlMs) => {
      if (live(key) !== undefined) return false
      write(key, value, ttlMs)
      return true
    },
    deleteIfEquals: async (key, value) => {
      if (read(key) !== value) return false
      entries.delete(key)
      return true
    },
  }
  return offerInProcess(store, {
    holds: new Map<string, LocalHold>(),
    read,
    write,
  })
}
