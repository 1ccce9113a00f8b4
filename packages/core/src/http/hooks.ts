import type { TokenRefreshEvent } from '../auth/token-cache'

/** `onRequest`: an attempt is about to be sent. The URL has every secret replaced by `[redacted]`. */
export interface RequestEvent {
  method: string
  path: string
  url: string
  attempt: number
}

/**
 * `onResponse`: an attempt got an answer (or failed in transport: `status` 0). `errcode` is 0 for an oapi
 * success; v1.0 answers carry no errcode (their HTTP status says it).
 */
export interface ResponseEvent extends RequestEvent {
  status: number
  durationMs: number
  errcode?: number
  errmsg?: string
  subCode?: string
  requestId?: string
  /** api.dingtalk.com (v1.0) calls: DingTalk's error `code`, e.g. `InvalidAuthentication`. */
  apiCode?: string
  /** The error code (`NETWORK_ERROR`, `TIMEOUT`, …) when the attempt failed in transport. */
  error?: string
}

/** `onRetry`: a failed attempt will be repeated after `delayMs`. */
export interface RetryEvent {
  method: string
  path: string
  /** The attempt that failed. */
  attempt: number
  delayMs: number
  /** `TOKEN_INVALID`, `SYSTEM_BUSY`, `RATE_LIMITED`, `HTTP_ERROR`, `NETWORK_ERROR`, `INVALID_RESPONSE`, `TIMEOUT`. */
  reason: string
  errcode?: number
  /** api.dingtalk.com (v1.0) calls: DingTalk's error `code`. */
  apiCode?: string
}

/** `onTokenRefresh`: a token or ticket was fetched, shared from the store, served stale, or failed. */
export interface TokenEvent {
  kind: string
  outcome: 'fetched' | 'shared' | 'stale' | 'failed'
  expiresAt?: number
  durationMs: number
  /** `held`: this instance held the refresh lease; `waited`: it waited for the instance that did. */
  lease?: 'held' | 'waited'
  /**
   * The error’s code when the refresh failed or a stale value is served; `STORE_UNAVAILABLE` on
   * `fetched`/`shared` when the store failed and the cache ran per process.
   */
  error?: string
}

/**
 * Observers for logging and metrics. Every value they receive is already redacted; a hook that throws is
 * ignored.
 *
 * @example
 * ```ts
 * const hooks: ClientHooks = {
 *   onResponse: (e) => log.info({ path: e.path, status: e.status, errcode: e.errcode, ms: e.durationMs }),
 *   onRetry: (e) => log.warn(e),
 * }
 * ```
 */
export interface ClientHooks {
  onRequest?: (event: RequestEvent) => void
  onResponse?: (event: ResponseEvent) => void
  onRetry?: (event: RetryEvent) => void
  onTokenRefresh?: (event: TokenEvent) => void
}

export const safely = <E>(hook: ((event: E) => void) | undefined, event: E): void => {
  if (hook === undefined) return
  try {
    hook(event)
  } catch {
    // Observers never break calls.
  }
}

/**
 * Turns the token cache's refresh events into the `onTokenRefresh` hook's redacted `TokenEvent`: only an
 * error code, never the error (which may quote a value); a refresh that worked without the store reports
 * `STORE_UNAVAILABLE`.
 */
export const tokenRefreshReporter =
  (hooks: ClientHooks): ((event: TokenRefreshEvent) => void) =>
  (event) => {
    if (hooks.onTokenRefresh === undefined) return
    const out: TokenEvent = { kind: event.kind, outcome: event.outcome, durationMs: event.durationMs }
    if (event.expiresAt !== undefined) out.expiresAt = event.expiresAt
    if (event.lease !== undefined) out.lease = event.lease
    if (event.error !== undefined) {
      const code = (event.error as { code?: unknown }).code
      const degraded = event.outcome === 'fetched' || event.outcome === 'shared'
      out.error = degraded ? 'STORE_UNAVAILABLE' : typeof code === 'string' ? code : 'UNKNOWN'
    }
    safely(hooks.onTokenRefresh, out)
  }
