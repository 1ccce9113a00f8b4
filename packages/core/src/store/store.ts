/**
 * Where tokens, tickets, locks and de-duplication marks live. One store can serve many apps, suites
 * and corps: every key dingtalk-kit writes is namespaced with {@link storeKey}.
 *
 * Implementations must make `setIfAbsent` and `deleteIfEquals` atomic: they are the lease lock that lets
 * only one instance refresh a token, and the compare-and-delete that drops only the token that failed.
 * Run `runStoreContract` from `@dingtalk-kit/core/testing` against your own implementation.
 *
 * @example
 * ```ts
 * const store: Store = memoryStore()
 * await store.set('dingtalk:ding123:-:access_token', '{"v":"…"}', 7_000_000)
 * const won = await store.setIfAbsent('dingtalk:ding123:-:access_token:lock', 'me', 10_000)
 * ```
 */
export interface Store {
  /** The value, or `undefined` when absent or expired. */
  get(key: string): Promise<string | undefined>
  /** Writes `value`; with `ttlMs` the entry disappears after that many milliseconds. */
  set(key: string, value: string, ttlMs?: number): Promise<void>
  /** Removes the entry if present. */
  delete(key: string): Promise<void>
  /** Writes only when no live entry exists; `true` when this call wrote. Atomic. */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>
  /** Removes the entry only if it currently holds exactly `value`; `true` when removed. Atomic. */
  deleteIfEquals(key: string, value: string): Promise<boolean>
}

/**
 * Options of {@link memoryStore}.
 *
 * @example
 * ```ts
 * const store = memoryStore({ maxEntries: 50_000 })
 * ```
 */
export interface MemoryStoreOptions {
  /** Upper bound on live entries; the oldest written entry is evicted first. Default 10,000. */
  maxEntries?: number
  /** Clock in epoch milliseconds (tests). Default `Date.now`. */
  now?: () => number
}

interface Entry {
  value: string
  expiresAt: number
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
    entries.delete(key)
    const expiresAt = ttlMs === undefined ? Number.POSITIVE_INFINITY : now() + Math.max(0, ttlMs)
    entries.set(key, { value, expiresAt })
    if (entries.size > maxEntries) evict()
  }

  const evict = (): void => {
    const t = now()
    for (const [key, entry] of entries) {
      if (entry.expiresAt <= t) entries.delete(key)
    }
    for (const key of entries.keys()) {
      if (entries.size <= maxEntries) break
      entries.delete(key)
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

/** What a key holds; free-form kinds are allowed for future features. */
export type StoreKeyKind =
  | 'access_token'
  | 'jsapi_ticket'
  | 'suite_access_token'
  | 'suite_ticket'
  | (string & {})

/**
 * The name of a store key: `dingtalk:<owner>:<corpId or '-'>:<kind>`, where the owner is the appKey,
 * corpId (legacy CorpSecret apps) or suiteKey. Colons inside a part are escaped so parts never collide.
 *
 * @example
 * ```ts
 * storeKey({ owner: 'suiteabc', corpId: 'ding123', kind: 'access_token' })
 * // 'dingtalk:suiteabc:ding123:access_token'
 * ```
 */
export function storeKey(parts: { owner: string; corpId?: string | undefined; kind: StoreKeyKind }): string {
  const esc = (part: string): string => part.replaceAll('%', '%25').replaceAll(':', '%3A')
  return `dingtalk:${esc(parts.owner)}:${parts.corpId ? esc(parts.corpId) : '-'}:${esc(parts.kind)}`
}
