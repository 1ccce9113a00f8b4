import { DingTalkTokenError } from '../errors/request-errors'
import type { Store } from '../store/store'
import { DingTalkStoreError } from '../store/store-error'

/** What a token fetcher returns: the value and DingTalk’s `expires_in` in seconds. */
export interface FetchedToken {
  value: string
  /** Seconds; missing, non-finite or ≤ 0 falls back to `fallbackTtlMs`, huge values are capped. */
  expiresIn?: number | undefined
}

/** One event of a token cache, without the token itself. */
export interface TokenRefreshEvent {
  /** What was cached, e.g. `access_token`. */
  kind: string
  /**
   * `fetched`: this process called DingTalk; `shared`: another instance’s value was taken from the store;
   * `stale`: a refresh failed and the still-valid value is served; `failed`: nothing to serve.
   */
  outcome: 'fetched' | 'shared' | 'stale' | 'failed'
  /** Epoch ms when the served value expires. */
  expiresAt?: number
  durationMs: number
  /**
   * Why a refresh failed or a stale value is served; on `fetched`/`shared`, the store error that made this
   * refresh run without the store (the cache then works per process until the store is back).
   */
  error?: unknown
}

/**
 * Options of {@link createTokenCache}.
 *
 * @example
 * ```ts
 * const options: TokenCacheOptions = { store, key: 'dingtalk:suite1:ding9:access_token', fetch: fetchCorpToken }
 * ```
 */
export interface TokenCacheOptions {
  store: Store
  /** Store key of the value; the lease lock lives at `${key}:lock`. See `storeKey`. */
  key: string
  /** Label used in events and errors, e.g. `access_token`. Default: the last part of `key`. */
  kind?: string
  /** Calls DingTalk. Only ever one call in flight per cache, and only one per store across instances. */
  fetch: () => Promise<FetchedToken>
  /** Refresh this long before expiry (capped at a quarter of the lifetime). Default 5 minutes. */
  refreshMarginMs?: number
  /** Extra random head start, so instances do not all refresh at once (capped at a tenth of the lifetime). Default 60 s. */
  jitterMs?: number
  /** Lifetime when `expires_in` is missing or ≤ 0. Default 7200 s (§4.2). */
  fallbackTtlMs?: number
  /** Upper bound on the lifetime. Default 7200 s. */
  maxTtlMs?: number
  /**
   * How long the refresh lease is held; another instance takes over after it. Default 30 s: longer than a
   * gettoken call with its timeout and retries, so a slow refresher is not joined by a second one.
   */
  leaseMs?: number
  /** How often a waiting instance looks at the store. Default 100 ms. */
  pollIntervalMs?: number
  /** How long a waiting instance waits for the lease holder’s value. Default `leaseMs` + `pollIntervalMs`. */
  waitTimeoutMs?: number
  /** After a failed refresh, keep serving a still-valid value this long before trying again. Default 10 s. */
  retryAfterFailureMs?: number
  /**
   * What a refresh does when the store fails (throws, e.g. Redis down, slow or flapping).
   * `'local'` (default): fetch in this process, one fetch in flight, and keep the value in memory — right
   * for access tokens, which DingTalk re-returns unchanged within their validity (§4.2).
   * `'throw'`: fail with the store’s error — right for the jsapi_ticket, where a fetch invalidates the
   * ticket every other instance is serving (§3.1). Either way a still-valid value keeps being served.
   */
  storeFailure?: 'local' | 'throw'
  /** Clock, epoch ms. Default `Date.now`. */
  now?: () => number
  /** Told about refreshes, shares and failures; never receives the value. */
  onRefresh?: (event: TokenRefreshEvent) => void
}

/**
 * A cached token or ticket shared by every caller in the process and every instance on the same store.
 *
 * @example
 * ```ts
 * const token = await cache.get()
 * // DingTalk said 40014 for `token`:
 * await cache.invalidate(token)
 * ```
 */
export interface TokenCache {
  /** A valid value: from memory, from the store, or freshly fetched (once, under the lease lock). */
  get(): Promise<string>
  /** Drops `value` if it is still the cached one (compare-and-delete); a newer value is kept. */
  invalidate(value: string): Promise<void>
}

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

/** A store call failed under `storeFailure: 'throw'`; carries the store’s own error. */
class StoreFailed extends Error {
  constructor(readonly original: unknown) {
    super('store failed')
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

const randomId = (): string => {
  const bytes = new Uint8Array(8)
  crypto.getRandomValues(bytes)
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

/**
 * Caches one token or ticket (access_token, jsapi_ticket, suite_access_token, per-corp tokens) the way
 * DingTalk needs it (§3.1, §4, §10): served from memory while fresh; refreshed early with jitter; one
 * refresh in flight per process; a lease lock (`store.setIfAbsent`) so only one instance calls DingTalk
 * while the others wait for the value it writes; a slower refresher never overwrites a newer value; a
 * failed refresh keeps serving a still-valid value; invalidation only drops the value that failed.
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
  const { store, key } = options
  const kind = options.kind ?? key.split(':').pop() ?? key
  const lockKey = `${key}:lock`
  const now = options.now ?? Date.now
  const marginMs = options.refreshMarginMs ?? 5 * 60_000
  const jitterMs = options.jitterMs ?? 60_000
  const maxTtlMs = options.maxTtlMs ?? 7_200_000
  const fallbackTtlMs = Math.min(options.fallbackTtlMs ?? 7_200_000, maxTtlMs)
  const leaseMs = options.leaseMs ?? 30_000
  const pollMs = options.pollIntervalMs ?? 100
  const waitTimeoutMs = options.waitTimeoutMs ?? leaseMs + pollMs
  const retryAfterFailureMs = options.retryAfterFailureMs ?? 10_000
  const failWithStore = options.storeFailure === 'throw'
  const instanceId = randomId()
  let lockCounter = 0

  let memory: Entry | undefined
  let inflight: Promise<string> | undefined
  const invalidated: string[] = []

  const isInvalidated = (value: string): boolean => invalidated.includes(value)

  const toEntry = (stored: StoredEntry): Entry => {
    const lifetime = stored.e - stored.t
    const margin = Math.min(marginMs, lifetime / 4)
    const jitter = Math.random() * Math.min(jitterMs, lifetime / 10)
    return {
      value: stored.v,
      expiresAt: stored.e,
      refreshAt: stored.e - margin - jitter,
      promise: Promise.resolve(stored.v),
    }
  }

  const emit = (event: TokenRefreshEvent): void => {
    try {
      options.onRefresh?.(event)
    } catch {
      // A broken listener must not break token refresh.
    }
  }

  const usable = (stored: StoredEntry | undefined, t: number): Entry | undefined => {
    if (stored === undefined || stored.e <= t || isInvalidated(stored.v)) return undefined
    const entry = toEntry(stored)
    return t < entry.refreshAt ? entry : undefined
  }

  // A store outage (Redis down) degrades to a per-process cache instead of failing every API call.
  let storeError: unknown
  const readStore = async (): Promise<{ raw: string | undefined; stored: StoredEntry | undefined }> => {
    try {
      const raw = await store.get(key)
      return { raw, stored: parse(raw) }
    } catch (error) {
      if (failWithStore) throw new StoreFailed(error)
      storeError = error
      return { raw: undefined, stored: undefined }
    }
  }
  // The lease value carries its own expiry, so a value that is not ours (garbage, a foreign writer, a
  // lock written without TTL) or one far past its lease cannot block every refresh forever: it is
  // compare-and-deleted and the lock taken again.
  const leaseExpiry = (value: string | undefined): number | undefined => {
    const at = value?.lastIndexOf('@') ?? -1
    const expiry = at > 0 ? Number(value!.slice(at + 1)) : Number.NaN
    return Number.isFinite(expiry) ? expiry : undefined
  }
  const tryLock = async (owner: string): Promise<boolean> => {
    try {
      if (await store.setIfAbsent(lockKey, owner, leaseMs)) return true
      const held = await store.get(lockKey)
      if (held === undefined) return store.setIfAbsent(lockKey, owner, leaseMs)
      const expiry = leaseExpiry(held)
      if (expiry !== undefined && expiry + pollMs > now()) return false
      await store.deleteIfEquals(lockKey, held)
      return store.setIfAbsent(lockKey, owner, leaseMs)
    } catch (error) {
      if (failWithStore) throw new StoreFailed(error)
      storeError = error
      return true
    }
  }

  const fetchAndStore = async (): Promise<Entry> => {
    // Expiry counts from before the call: conservative, and it orders refreshers by when they asked.
    const t = now()
    const fetched = await options.fetch()
    if (typeof fetched.value !== 'string' || fetched.value === '') {
      throw new DingTalkTokenError('TOKEN_EMPTY', kind, `DingTalk returned an empty ${kind}`)
    }
    // DingTalk just issued this value, so it is valid even if an earlier call reported it as not.
    const index = invalidated.indexOf(fetched.value)
    if (index >= 0) invalidated.splice(index, 1)
    const seconds = fetched.expiresIn
    const ttl =
      seconds === undefined || !Number.isFinite(seconds) || seconds <= 0
        ? fallbackTtlMs
        : Math.min(seconds * 1000, maxTtlMs)
    const mine: StoredEntry = { v: fetched.value, e: t + ttl, t }
    // A slower refresher never overwrites a newer value: keep whichever expires later. If the store just
    // failed, the fresh value is served anyway: for a jsapi_ticket it is now the only valid one (§3.1).
    const current = await readStore().then(
      (read) => read.stored,
      (error: unknown) => {
        if (error instanceof StoreFailed) return undefined
        throw error
      },
    )
    if (current !== undefined && current.e > mine.e && current.e > now() && !isInvalidated(current.v)) {
      return toEntry(current)
    }
    await store.set(key, JSON.stringify(mine), Math.max(1, mine.e - now())).catch((error: unknown) => {
      storeError = error
    })
    return toEntry(mine)
  }

  const stillValid = (t: number): Entry | undefined =>
    memory !== undefined && memory.expiresAt > t && !isInvalidated(memory.value) ? memory : undefined

  const refresh = async (): Promise<string> => {
    const started = now()
    try {
      return await refreshShared(started)
    } catch (error) {
      if (!(error instanceof StoreFailed)) throw error
      const cause =
        error.original instanceof DingTalkStoreError
          ? error.original
          : new DingTalkStoreError('STORE_ERROR', {
              store: 'store',
              operation: 'refresh',
              message: `The store failed while refreshing the ${kind}`,
              cause: error.original,
            })
      const t = now()
      const stale = stillValid(t)
      if (stale === undefined) {
        emit({ kind, outcome: 'failed', durationMs: t - started, error: cause })
        throw cause
      }
      memory = { ...stale, refreshAt: t + Math.min(retryAfterFailureMs, (stale.expiresAt - t) / 2) }
      emit({ kind, outcome: 'stale', expiresAt: stale.expiresAt, durationMs: t - started, error: cause })
      return stale.value
    }
  }

  const refreshShared = async (started: number): Promise<string> => {
    const deadline = started + waitTimeoutMs
    const owner = `${instanceId}:${++lockCounter}@${now() + leaseMs}`
    let fallback = stillValid(started)
    for (;;) {
      const { stored } = await readStore()
      const shared = usable(stored, now())
      if (shared !== undefined) {
        memory = shared
        emit({ kind, outcome: 'shared', expiresAt: shared.expiresAt, durationMs: now() - started })
        return shared.value
      }
      if (fallback === undefined && stored !== undefined && stored.e > now() && !isInvalidated(stored.v)) {
        fallback = toEntry(stored)
      }
      if (await tryLock(owner)) {
        try {
          const recheck = usable((await readStore()).stored, now())
          const entry = recheck ?? (await fetchAndStore())
          memory = entry
          const event: TokenRefreshEvent = {
            kind,
            outcome: recheck ? 'shared' : 'fetched',
            expiresAt: entry.expiresAt,
            durationMs: now() - started,
          }
          if (storeError !== undefined) event.error = storeError
          storeError = undefined
          emit(event)
          return entry.value
        } catch (error) {
          if (error instanceof StoreFailed) throw error
          const t = now()
          const stale =
            fallback && fallback.expiresAt > t && !isInvalidated(fallback.value) ? fallback : undefined
          if (stale === undefined) {
            emit({ kind, outcome: 'failed', durationMs: t - started, error })
            throw error
          }
          memory = { ...stale, refreshAt: t + Math.min(retryAfterFailureMs, (stale.expiresAt - t) / 2) }
          emit({ kind, outcome: 'stale', expiresAt: stale.expiresAt, durationMs: t - started, error })
          return stale.value
        } finally {
          await store.deleteIfEquals(lockKey, owner).catch(() => false)
        }
      }
      if (now() >= deadline) {
        const t = now()
        if (fallback && fallback.expiresAt > t && !isInvalidated(fallback.value)) {
          memory = { ...fallback, refreshAt: t + Math.min(retryAfterFailureMs, (fallback.expiresAt - t) / 2) }
          emit({ kind, outcome: 'stale', expiresAt: fallback.expiresAt, durationMs: t - started })
          return fallback.value
        }
        const error = new DingTalkTokenError(
          'TOKEN_REFRESH_TIMEOUT',
          kind,
          `Waited ${waitTimeoutMs} ms for another instance to refresh the ${kind} (lease ${lockKey})`,
        )
        emit({ kind, outcome: 'failed', durationMs: t - started, error })
        throw error
      }
      await sleep(pollMs)
    }
  }

  const startRefresh = (): Promise<string> => {
    const promise = (async () => {
      const value = await refresh()
      // An invalidate() that raced this refresh wins: look again (once) rather than hand out a dead value.
      return isInvalidated(value) ? refresh() : value
    })().finally(() => {
      if (inflight === promise) inflight = undefined
    })
    inflight = promise
    return promise
  }

  return {
    get(): Promise<string> {
      const entry = memory
      if (entry !== undefined && now() < entry.refreshAt) return entry.promise
      return inflight ?? startRefresh()
    },
    async invalidate(value: string): Promise<void> {
      if (!isInvalidated(value)) {
        invalidated.push(value)
        if (invalidated.length > 8) invalidated.shift()
      }
      if (memory?.value === value) memory = undefined
      const read = await readStore().catch((error: unknown) => {
        if (error instanceof StoreFailed) return undefined
        throw error
      })
      if (read === undefined) return
      const { raw, stored } = read
      if (raw !== undefined && stored?.v === value) await store.deleteIfEquals(key, raw).catch(() => false)
    },
  }
}
