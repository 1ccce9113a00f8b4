import type { Around } from '../observe'
import type { Store } from '../store/store'

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
   * The refresh lease (`fetched`, `shared`): `held` — this instance held it (and fetched, or found the value
   * another had just written); `waited` — another instance held it and this one waited for its value. Absent
   * when the value was in the store at the first look, or the store was unavailable.
   */
  lease?: 'held' | 'waited'
  /**
   * Why a refresh failed or a stale value is served; on `fetched`/`shared`, the store error that made this
   * refresh run without the store (the cache then works per process until the store is back).
   */
  error?: unknown
}

/**
 * One refresh of a token or ticket as an observer sees it (`ClientObserver.refresh`, the `observer` option of
 * {@link createTokenCache}): its kind, and once it has settled the event it ended with (never the value).
 *
 * @example
 * ```ts
 * const observer = { refresh: <T>(r: ObservedRefresh, run: () => Promise<T>) => run().finally(() => console.log(r.kind, r.event?.outcome, r.event?.lease)) }
 * ```
 */
export interface ObservedRefresh {
  /** What is refreshed, e.g. `access_token`, `jsapi_ticket`, `suite_access_token`. */
  readonly kind: string
  /** The last event of this refresh; set before `run` settles. */
  readonly event: TokenRefreshEvent | undefined
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
  /**
   * For values a new fetch invalidates everywhere (the jsapi_ticket, §3.1): every `get()` reads the store —
   * the value, and whether another instance is refreshing it — instead of serving from memory, and the refresh
   * time is the same on every instance (no jitter). So no instance hands out a value another instance has
   * already replaced (a refresh, a forced invalidation, or a store that lost its data and got a new value), and
   * still only one instance fetches. Costs two store reads per `get()`. Default `false`.
   */
  readThrough?: boolean
  /** Clock, epoch ms. Default `Date.now`. */
  now?: () => number
  /** Told about refreshes, shares and failures; never receives the value. */
  onRefresh?: (event: TokenRefreshEvent) => void
  /**
   * Runs each refresh inside `observer.refresh` (read at every refresh, so it may be set later), e.g. to
   * trace it and the fetch it makes. Nothing is done per `get()` that finds a fresh value.
   */
  observer?: { readonly refresh?: Around<ObservedRefresh> | undefined }
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
