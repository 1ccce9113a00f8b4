import { DingTalkError } from './base'

/** What went wrong with a store: no answer in time, not reachable (or a circuit breaker is open), or a failed command. */
export type StoreErrorCode = 'STORE_TIMEOUT' | 'STORE_UNAVAILABLE' | 'STORE_ERROR'

/**
 * A shared `Store` (e.g. Redis) failed. `store` names the backend (`'redis'`), `operation` the call.
 * Token caches that may fall back to in-process state do so on this error; what cannot be done safely
 * without the shared store (a jsapi_ticket refresh, callback de-duplication, suite state writes) fails
 * with it. Messages never contain stored values.
 *
 * @example
 * ```ts
 * try {
 *   await client.getJsapiTicket()
 * } catch (error) {
 *   if (error instanceof DingTalkStoreError) console.error(`${error.store} is down: ${error.message}`)
 * }
 * ```
 */
export class DingTalkStoreError extends DingTalkError {
  override readonly code: StoreErrorCode
  /** The backend, e.g. `redis`. */
  readonly store: string
  /** The store call, e.g. `get` or `setIfAbsent`. */
  readonly operation: string

  constructor(
    code: StoreErrorCode,
    details: { store: string; operation: string; message: string; cause?: unknown },
  ) {
    super(code, details.message, { cause: details.cause })
    this.name = 'DingTalkStoreError'
    this.code = code
    this.store = details.store
    this.operation = details.operation
  }
}
