import type { Store } from './store'

// Ids come from a pool filled 4 KiB at a time: a lease id per claimed event, and one getRandomValues call
// each (Node checks every Web Crypto call) cost more than the rest of the claim.
const POOL_BYTES = 4096
const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'))
let pool = new Uint8Array(0)
let used = 0

/**
 * A random hex id (`bytes` random bytes) for lease owners and lock values. Called only when a lease is
 * taken, never at construction: hosts such as Workers refuse random values at module scope.
 */
export function randomId(bytes = 8): string {
  if (used + bytes > pool.length) {
    pool = new Uint8Array(Math.max(POOL_BYTES, bytes))
    globalThis.crypto.getRandomValues(pool)
    used = 0
  }
  let out = ''
  for (let i = used; i < used + bytes; i++) out += HEX[pool[i]!]
  used += bytes
  return out
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/**
 * Calls `attempt` until it returns a value other than `undefined`, waiting `intervalMs` between calls (the
 * last wait shortened to end at `deadlineAt`), and gives up with `undefined` once `deadlineAt` has passed.
 * The one poll loop of the token cache's and the de-duplication ledger's waiters.
 */
export async function pollUntil<T>(
  attempt: () => Promise<T | undefined>,
  options: { intervalMs: number; deadlineAt: number; now: () => number },
): Promise<T | undefined> {
  for (;;) {
    const value = await attempt()
    if (value !== undefined) return value
    const left = options.deadlineAt - options.now()
    if (left <= 0) return undefined
    await sleep(Math.min(options.intervalMs, left))
  }
}

/**
 * A lock held in a {@link Store} by one owner until released or until it expires: the refresh lock of a
 * token cache and the in-flight marker of a de-duplicated event.
 */
export interface Lease {
  /** The store key of the lock. */
  readonly key: string
  /** Releases the lock if this lease still holds it (compare-and-delete); `false` when it no longer did. */
  release(): Promise<boolean>
}

/** Options of {@link acquireLease}. */
export interface LeaseOptions {
  /** How long the lease lives if its holder never releases it (its process died). */
  ttlMs: number
  /** Clock in epoch ms. */
  now: () => number
  /** A holder whose lease ran out this long ago is taken over. Default 0. */
  graceMs?: number
}

// The value carries its own expiry, so a value that is not a lease (garbage, a foreign writer, a lock
// written without a TTL) or one far past its lease cannot block the key forever: it is compare-and-deleted
// and the lock taken again.
function expiryOf(value: string): number | undefined {
  const at = value.lastIndexOf('@')
  const expiry = at > 0 ? Number(value.slice(at + 1)) : Number.NaN
  return Number.isFinite(expiry) ? expiry : undefined
}

/**
 * What {@link takeLease} found: the lease, or what holds the key — a live lease's value, or a value the caller
 * told it to `keep` (`undefined` when a racing writer took the key between two looks).
 *
 * @example
 * ```ts
 * const taken: TakenLease = { held: 'done' }
 * ```
 */
export type TakenLease = { lease: Lease } | { held: string | undefined }

/**
 * Options of {@link takeLease}.
 *
 * @example
 * ```ts
 * const options: TakeLeaseOptions = { ttlMs: 60_000, now: Date.now, keep: (value) => value === 'done' }
 * ```
 */
export interface TakeLeaseOptions extends LeaseOptions {
  /**
   * Values that are not leases yet must stay: the final mark a key ends its life with (the de-duplication
   * ledger's `done`). Any other value that is not a live lease is replaced.
   */
  keep?: (held: string) => boolean
}

/** Whether `value` is a lease that has not run out (`graceMs` past its expiry included). */
export function isLiveLease(value: string, now: number, graceMs = 0): boolean {
  const expiry = expiryOf(value)
  return expiry !== undefined && expiry + graceMs > now
}

/**
 * Takes the lock at `key` (`store.setIfAbsent`), or says what holds it. A value under the key that is no
 * lease (and not kept), or a lease expired for longer than `graceMs`, is replaced. Store errors propagate.
 *
 * @example
 * ```ts
 * const taken = await takeLease(store, key, { ttlMs: 60_000, now: Date.now, keep: (v) => v === 'done' })
 * if ('lease' in taken) await handleThen(() => store.set(key, 'done'))
 * else if (taken.held === 'done') acknowledge()
 * ```
 */
export async function takeLease(store: Store, key: string, options: TakeLeaseOptions): Promise<TakenLease> {
  const value = `${randomId()}@${options.now() + options.ttlMs}`
  const lease: Lease = { key, release: () => store.deleteIfEquals(key, value) }
  if (await store.setIfAbsent(key, value, options.ttlMs)) return { lease }
  const held = await store.get(key)
  if (held !== undefined) {
    if (options.keep?.(held) || isLiveLease(held, options.now(), options.graceMs)) return { held }
    await store.deleteIfEquals(key, held)
  }
  return (await store.setIfAbsent(key, value, options.ttlMs)) ? { lease } : { held: undefined }
}

/**
 * Takes the lock at `key` (`store.setIfAbsent`), or `undefined` when another live lease holds it. A value
 * under the key that is no lease, or a lease expired for longer than `graceMs`, is replaced. Store errors
 * propagate: the caller decides whether a store outage means "go ahead alone" or "fail".
 *
 * @example
 * ```ts
 * const lease = await acquireLease(store, `${key}:lock`, { ttlMs: 30_000, now: Date.now })
 * if (lease) {
 *   try {
 *     await refresh()
 *   } finally {
 *     await lease.release()
 *   }
 * }
 * ```
 */
export async function acquireLease(
  store: Store,
  key: string,
  options: LeaseOptions,
): Promise<Lease | undefined> {
  const taken = await takeLease(store, key, options)
  return 'lease' in taken ? taken.lease : undefined
}
