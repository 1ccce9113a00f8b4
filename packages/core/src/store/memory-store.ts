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

interface Entry {
  value: string
  expiresAt: number
}

/** Entries by expiry, earliest first (a binary heap; superseded items are skipped when they surface). */
class ExpiryHeap {
  private items: { key: string; at: number; entry: Entry }[] = []

  get size(): number {
    return this.items.length
  }

  push(key: string, entry: Entry): void {
    const items = this.items
    items.push({ key, at: entry.expiresAt, entry })
    let i = items.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (items[parent]!.at <= items[i]!.at) break
      ;[items[parent], items[i]] = [items[i]!, items[parent]!]
      i = parent
    }
  }

  /** The earliest item, removed. */
  pop(): { key: string; at: number; entry: Entry } | undefined {
    const items = this.items
    const top = items[0]
    const last = items.pop()
    if (top === undefined || last === undefined || items.length === 0) return top
    items[0] = last
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < items.length && items[l]!.at < items[m]!.at) m = l
      if (r < items.length && items[r]!.at < items[m]!.at) m = r
      if (m === i) return top
      ;[items[m], items[i]] = [items[i]!, items[m]!]
      i = m
    }
  }

  peek(): { key: string; at: number; entry: Entry } | undefined {
    return this.items[0]
  }

  /** Rebuilds from the live entries when superseded items pile up. */
  compact(live: Map<string, Entry>): void {
    this.items = []
    for (const [key, entry] of live) if (entry.expiresAt !== Number.POSITIVE_INFINITY) this.push(key, entry)
  }
}

/**
 * Entries in the order they were written, oldest first (superseded items are skipped when they surface). Not
 * the Map's own order: V8 keeps deleted slots at the front of a Map until it rehashes, so taking its first key
 * after many evictions walks past every deleted one — a scan per write.
 */
class WriteOrder {
  private items: { key: string; entry: Entry }[] = []
  private head = 0

  get size(): number {
    return this.items.length - this.head
  }

  push(key: string, entry: Entry): void {
    this.items.push({ key, entry })
  }

  /** The key of the oldest live entry, removed from the order (`undefined` when none is left). */
  shift(live: Map<string, Entry>): string | undefined {
    while (this.head < this.items.length) {
      const item = this.items[this.head]!
      this.items[this.head++] = undefined as never
      if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head)
        this.head = 0
      }
      if (live.get(item.key) === item.entry) return item.key
    }
    return undefined
  }

  /** Rebuilds from the live entries when superseded items pile up. */
  compact(live: Map<string, Entry>): void {
    this.items = []
    this.head = 0
    for (const [key, entry] of live) this.push(key, entry)
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
  const expiries = new ExpiryHeap()
  const order = new WriteOrder()

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
    const entry = { value, expiresAt }
    entries.set(key, entry)
    order.push(key, entry)
    if (expiresAt !== Number.POSITIVE_INFINITY) expiries.push(key, entry)
    if (entries.size > maxEntries) evict()
    if (expiries.size > 2 * maxEntries + 64) expiries.compact(entries)
    if (order.size > 2 * maxEntries + 64) order.compact(entries)
  }

  // O(log n) per write, never a scan: an expired entry goes first (the earliest expiry is on top of the heap),
  // else the least recently written one (the first live item of the write order).
  const evict = (): void => {
    const t = now()
    while (entries.size > maxEntries) {
      const top = expiries.peek()
      if (top !== undefined && (entries.get(top.key) !== top.entry || top.at <= t)) {
        expiries.pop()
        if (entries.get(top.key) === top.entry) entries.delete(top.key)
        continue
      }
      const oldest = order.shift(entries)
      if (oldest === undefined) return
      entries.delete(oldest)
    }
  }

  return {
    get: async (key) => live(key)?.value,
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
      if (live(key)?.value !== value) return false
      entries.delete(key)
      return true
    },
  }
}
