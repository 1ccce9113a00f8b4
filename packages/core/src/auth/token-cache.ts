import { DingTalkTokenError } from '../errors/request-errors'
import { DingTalkStoreError } from '../errors/store'
import { acquireLease, type Lease, pollUntil } from '../store/lease'

import type { TokenCache, TokenCacheOptions, TokenRefreshEvent } from './token-cache-types'

export type {
  FetchedToken,
  ObservedRefresh,
  TokenCache,
  TokenCacheOptions,
  TokenRefreshEvent,
} from './token-cache-types'

interface Entry {
  value: string
  expiresAt: number
  refreshAt: number
  /** Resolved once, so a memory hit allocates nothing. */
  promise: Promise<string>
}

interface StoredEntry {
  v: string
  e: number
  t: number
}

const parse = (raw: string | undefined): StoredEntry | undefined => {
  if (raw === undefined) return undefined
  try {
    const data: unknown = JSON.parse(raw)
    if (typeof data !== 'object' || data === null) return undefined
    const { v, e, t } = data as Record<string, unknown>
    if (typeof v !== 'string' || v === '' || typeof e !== 'number' || typeof t !== 'number') return undefined
    if (!Number.isFinite(e) || !Number.isFinite(t) || e <= t) return undefined
    return { v, e, t }
  } catch {
    return undefined
  }
}

/** Store timeouts in a row a refresh rides out by polling again (each one already took the store's timeout). */
const STORE_TIMEOUTS = 3

const isStoreTimeout = (error: unknown): boolean =>
  error instanceof DingTalkStoreError && error.code === 'STORE_TIMEOUT'

/** A store call failed under `storeFailure: 'throw'`; carries the store’s own error. */
class StoreFailed extends Error {
  constructor(readonly original: unknown) {
    super('store failed')
  }
}

type Settings = Required<
  Pick<
    TokenCacheOptions,
    | 'store'
    | 'key'
    | 'fetch'
    | 'refreshMarginMs'
    | 'jitterMs'
    | 'fallbackTtlMs'
    | 'maxTtlMs'
    | 'leaseMs'
    | 'pollIntervalMs'
    | 'waitTimeoutMs'
    | 'retryAfterFailureMs'
    | 'now'
  >
> & {
  kind: string
  lockKey: string
  failWithStore: boolean
  readThrough: boolean
  onRefresh: TokenCacheOptions['onRefresh']
  observer: TokenCacheOptions['observer']
}

function settingsOf(options: TokenCacheOptions): Settings {
  const leaseMs = options.leaseMs ?? 30_000
  const pollIntervalMs = options.pollIntervalMs ?? 100
  const maxTtlMs = options.maxTtlMs ?? 7_200_000
  return {
    store: options.store,
    key: options.key,
    fetch: options.fetch,
    kind: options.kind ?? options.key.split(':').pop() ?? options.key,
    lockKey: `${options.key}:lock`,
    now: options.now ?? Date.now,
    refreshMarginMs: options.refreshMarginMs ?? 5 * 60_000,
    jitterMs: options.jitterMs ?? 60_000,
    maxTtlMs,
    fallbackTtlMs: Math.min(options.fallbackTtlMs ?? 7_200_000, maxTtlMs),
    leaseMs,
    pollIntervalMs,
    waitTimeoutMs: options.waitTimeoutMs ?? leaseMs + pollIntervalMs,
    retryAfterFailureMs: options.retryAfterFailureMs ?? 10_000,
    failWithStore: options.storeFailure === 'throw',
    readThrough: options.readThrough === true,
    onRefresh: options.onRefresh,
    observer: options.observer,
  }
}

/**
 * Caches one token or ticket (access_token, jsapi_ticket, suite_access_token, per-corp tokens) the way
 * DingTalk needs it (§3.1, §4, §10): served from memory while fresh; refreshed early with jitter; one
 * refresh in flight per process; a lease lock (`store.setIfAbsent`) so only one instance calls DingTalk
 * while the others wait for the value it writes; a slower refresher never overwrites a newer value; a
 * failed refresh keeps serving a still-valid value; invalidation only drops the value that failed.
 * Nothing random, no timer and no I/O happens before the first `get()`.
 *
 * @example
 * ```ts
 * const cache = createTokenCache({
 *   store,
 *   key: storeKey({ owner: suiteKey, kind: 'suite_access_token' }),
 *   fetch: async () => {
 *     const body = await getSuiteToken()
 *     return { value: body.suite_access_token, expiresIn: body.expires_in }
 *   },
 * })
 * const suiteToken = await cache.get()
 * ```
 */
export function createTokenCache(options: TokenCacheOptions): TokenCache {
  const cache = new SharedToken(settingsOf(options))
  return { get: () => cache.get(), invalidate: (value) => cache.invalidate(value) }
}

class SharedToken {
  private memory: Entry | undefined
  private inflight: Promise<string> | undefined
  private readonly invalidated: string[] = []
  /** A store outage (Redis down) degrades to a per-process cache instead of failing every API call. */
  private storeError: unknown
  /** The refresh in flight, when an observer watches it. */
  private observed: { kind: string; event: TokenRefreshEvent | undefined } | undefined

  constructor(private readonly s: Settings) {}

  get(): Promise<string> {
    if (this.s.readThrough) return this.inflight ?? this.readThrough()
    const entry = this.memory
    if (entry !== undefined && this.s.now() < entry.refreshAt) return entry.promise
    return this.inflight ?? this.startRefresh()
  }

  /** The stored value while it is fresh and nobody is replacing it; otherwise a (shared) refresh. */
  private async readThrough(): Promise<string> {
    let raw: string | undefined
    let lock: string | undefined
    try {
      // The lock first, in the same round trip: a refresh that replaced the value before this read held the lock
      // when the lock was read, so an old value read here was still DingTalk's current ticket at that moment.
      ;[lock, raw] = await Promise.all([this.s.store.get(this.s.lockKey), this.s.store.get(this.s.key)])
    } catch {
      // The store is down: nobody can refresh through it; refresh() serves a still-valid value or fails.
      return this.inflight ?? this.startRefresh()
    }
    const fresh = lock === undefined ? this.usable(parse(raw), this.s.now()) : undefined
    if (fresh === undefined) return this.inflight ?? this.startRefresh()
    if (this.memory?.value !== fresh.value || this.memory.expiresAt !== fresh.expiresAt) this.memory = fresh
    return fresh.value
  }

  async invalidate(value: string): Promise<void> {
    if (!this.isInvalidated(value)) {
      this.invalidated.push(value)
      if (this.invalidated.length > 8) this.invalidated.shift()
    }
    if (this.memory?.value === value) this.memory = undefined
    const read = await this.readStore().catch((error: unknown) => {
      if (error instanceof StoreFailed) return undefined
      throw error
    })
    if (read === undefined) return
    const { raw, stored } = read
    if (raw !== undefined && stored?.v === value)
      await this.s.store.deleteIfEquals(this.s.key, raw).catch(() => false)
  }

  private isInvalidated(value: string): boolean {
    return this.invalidated.includes(value)
  }

  private toEntry(stored: StoredEntry): Entry {
    const lifetime = stored.e - stored.t
    const margin = Math.min(this.s.refreshMarginMs, lifetime / 4)
    // Read-through values refresh at the same moment everywhere: one instance wins the lease, the rest wait.
    const jitter = this.s.readThrough ? 0 : Math.random() * Math.min(this.s.jitterMs, lifetime / 10)
    return {
      value: stored.v,
      expiresAt: stored.e,
      refreshAt: stored.e - margin - jitter,
      promise: Promise.resolve(stored.v),
    }
  }

  private emit(event: TokenRefreshEvent): void {
    if (this.observed !== undefined) this.observed.event = event
    try {
      this.s.onRefresh?.(event)
    } catch {
      // A broken listener must not break token refresh.
    }
  }

  /** A stored value fresh enough to serve without refreshing. */
  private usable(stored: StoredEntry | undefined, t: number): Entry | undefined {
    if (stored === undefined || stored.e <= t || this.isInvalidated(stored.v)) return undefined
    const entry = this.toEntry(stored)
    return t < entry.refreshAt ? entry : undefined
  }

  /** A value that may still be served while a refresh is failing. */
  private servable(entry: Entry | undefined, t: number): Entry | undefined {
    return entry !== undefined && entry.expiresAt > t && !this.isInvalidated(entry.value) ? entry : undefined
  }

  private async readStore(): Promise<{ raw: string | undefined; stored: StoredEntry | undefined }> {
    try {
      const raw = await this.s.store.get(this.s.key)
      return { raw, stored: parse(raw) }
    } catch (error) {
      if (this.s.failWithStore) throw new StoreFailed(error)
      this.storeError = error
      return { raw: undefined, stored: undefined }
    }
  }

  private async isLocked(): Promise<boolean> {
    try {
      return (await this.s.store.get(this.s.lockKey)) !== undefined
    } catch (error) {
      if (this.s.failWithStore) throw new StoreFailed(error)
      return false
    }
  }

  private async takeLease(): Promise<(Lease & { local?: true }) | undefined> {
    try {
      return await acquireLease(this.s.store, this.s.lockKey, {
        ttlMs: this.s.leaseMs,
        now: this.s.now,
        graceMs: this.s.pollIntervalMs,
      })
    } catch (error) {
      if (this.s.failWithStore) throw new StoreFailed(error)
      // The store is down: this process refreshes alone (one fetch in flight, see `inflight`).
      this.storeError = error
      return { key: this.s.lockKey, release: async () => false, local: true }
    }
  }

  private startRefresh(): Promise<string> {
    const run = async (): Promise<string> => {
      const value = await this.refresh()
      // An invalidate() that raced this refresh wins: look again (once) rather than hand out a dead value.
      return this.isInvalidated(value) ? this.refresh() : value
    }
    const around = this.s.observer?.refresh
    let work: Promise<string>
    if (around === undefined) {
      work = run()
    } else {
      const observed = { kind: this.s.kind, event: undefined }
      this.observed = observed
      work = around(observed, run)
    }
    const promise = work.finally(() => {
      if (this.inflight === promise) this.inflight = undefined
      this.observed = undefined
    })
    this.inflight = promise
    return promise
  }

  private async refresh(): Promise<string> {
    const started = this.s.now()
    try {
      return await this.refreshShared(started)
    } catch (error) {
      if (!(error instanceof StoreFailed)) throw error
      const cause =
        error.original instanceof DingTalkStoreError
          ? error.original
          : new DingTalkStoreError('STORE_ERROR', {
              store: 'store',
              operation: 'refresh',
              message: `The store failed while refreshing the ${this.s.kind}`,
              cause: error.original,
            })
      return this.serveStale(this.servable(this.memory, this.s.now()), started, cause)
    }
  }

  /** Serves `stale` for a while after a failed refresh, or throws `error` when there is none. */
  private serveStale(stale: Entry | undefined, started: number, error: unknown, report = true): string {
    const t = this.s.now()
    const { kind } = this.s
    if (stale === undefined) {
      this.emit({ kind, outcome: 'failed', durationMs: t - started, error })
      throw error
    }
    this.memory = { ...stale, refreshAt: t + Math.min(this.s.retryAfterFailureMs, (stale.expiresAt - t) / 2) }
    this.emit({
      kind,
      outcome: 'stale',
      expiresAt: stale.expiresAt,
      durationMs: t - started,
      ...(report ? { error } : {}),
    })
    return stale.value
  }

  private async refreshShared(started: number): Promise<string> {
    const wait = { fallback: this.servable(this.memory, started), waited: false }
    let timeouts = 0
    const value = await pollUntil(
      async () => {
        try {
          const found = await this.pollShared(started, wait)
          timeouts = 0
          return found
        } catch (error) {
          // A slow store answer (the lease, a read) fails neither this caller nor the callers that joined its
          // refresh: look again at the next poll, unless the store keeps timing out.
          if (
            !(error instanceof StoreFailed) ||
            !isStoreTimeout(error.original) ||
            ++timeouts > STORE_TIMEOUTS
          )
            throw error
          return undefined
        }
      },
      { intervalMs: this.s.pollIntervalMs, deadlineAt: started + this.s.waitTimeoutMs, now: this.s.now },
    )
    if (value !== undefined) return value
    const stale = this.servable(wait.fallback, this.s.now())
    if (stale !== undefined) return this.serveStale(stale, started, undefined, false)
    const error = new DingTalkTokenError(
      'TOKEN_REFRESH_TIMEOUT',
      this.s.kind,
      `Waited ${this.s.waitTimeoutMs} ms for another instance to refresh the ${this.s.kind} (lease ${this.s.lockKey})`,
    )
    return this.serveStale(undefined, started, error)
  }

  /** One look at the store: the shared value, or the lease and a fetch, or `undefined` to look again. */
  private async pollShared(
    started: number,
    wait: { fallback: Entry | undefined; waited: boolean },
  ): Promise<string | undefined> {
    // Read-through: while another instance holds the lock its fetch may already have replaced the stored
    // value (an instance whose clock is behind would still find it fresh): wait for the lock to go.
    if (this.s.readThrough && (await this.isLocked())) {
      wait.waited = true
      return undefined
    }
    const { stored } = await this.readStore()
    const shared = this.usable(stored, this.s.now())
    if (shared !== undefined) {
      this.memory = shared
      const durationMs = this.s.now() - started
      const event: TokenRefreshEvent = {
        kind: this.s.kind,
        outcome: 'shared',
        expiresAt: shared.expiresAt,
        durationMs,
      }
      if (wait.waited) event.lease = 'waited'
      this.emit(event)
      return shared.value
    }
    if (wait.fallback === undefined && stored !== undefined)
      wait.fallback = this.servable(this.toEntry(stored), this.s.now())
    const lease = await this.takeLease()
    if (lease === undefined) {
      wait.waited = true
      return undefined
    }
    try {
      return await this.refreshUnderLease(started, wait.fallback, lease.local !== true)
    } finally {
      await lease.release().catch(() => false)
    }
  }

  private async refreshUnderLease(
    started: number,
    fallback: Entry | undefined,
    held: boolean,
  ): Promise<string> {
    try {
      const recheck = this.usable((await this.readStore()).stored, this.s.now())
      const entry = recheck ?? (await this.fetchAndStore())
      this.memory = entry
      const event: TokenRefreshEvent = {
        kind: this.s.kind,
        outcome: recheck ? 'shared' : 'fetched',
        expiresAt: entry.expiresAt,
        durationMs: this.s.now() - started,
      }
      if (held && this.storeError === undefined) event.lease = 'held'
      if (this.storeError !== undefined) event.error = this.storeError
      this.storeError = undefined
      this.emit(event)
      return entry.value
    } catch (error) {
      if (error instanceof StoreFailed) throw error
      return this.serveStale(this.servable(fallback, this.s.now()), started, error)
    }
  }

  private async fetchAndStore(): Promise<Entry> {
    // Expiry counts from before the call: conservative, and it orders refreshers by when they asked.
    const t = this.s.now()
    const fetched = await this.s.fetch()
    const { kind } = this.s
    if (typeof fetched.value !== 'string' || fetched.value === '') {
      throw new DingTalkTokenError('TOKEN_EMPTY', kind, `DingTalk returned an empty ${kind}`)
    }
    // DingTalk just issued this value, so it is valid even if an earlier call reported it as not.
    const index = this.invalidated.indexOf(fetched.value)
    if (index >= 0) this.invalidated.splice(index, 1)
    const seconds = fetched.expiresIn
    const ttl =
      seconds === undefined || !Number.isFinite(seconds) || seconds <= 0
        ? this.s.fallbackTtlMs
        : Math.min(seconds * 1000, this.s.maxTtlMs)
    const mine: StoredEntry = { v: fetched.value, e: t + ttl, t }
    // A slower refresher never overwrites a newer value: keep whichever expires later. If the store just
    // failed, the fresh value is served anyway: for a jsapi_ticket it is now the only valid one (§3.1).
    const current = await this.readStore().then(
      (read) => read.stored,
      (error: unknown) => {
        if (error instanceof StoreFailed) return undefined
        throw error
      },
    )
    if (
      current !== undefined &&
      current.e > mine.e &&
      current.e > this.s.now() &&
      !this.isInvalidated(current.v)
    ) {
      return this.toEntry(current)
    }
    await this.s.store
      .set(this.s.key, JSON.stringify(mine), Math.max(1, mine.e - this.s.now()))
      .catch((error: unknown) => {
        this.storeError = error
      })
    return this.toEntry(mine)
  }
}
