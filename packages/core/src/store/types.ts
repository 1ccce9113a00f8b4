/**
 * Where tokens, tickets, locks and de-duplication marks live. One store can serve many apps, suites
 * and corps: every key dingtalk-kit writes is namespaced with `storeKey`.
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
