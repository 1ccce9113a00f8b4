/**
 * How many failed attempts a client may make before a route answers 429 without calling DingTalk.
 *
 * @example
 * ```ts
 * const limit: FailureLimit = { max: 10, windowMs: 60_000 }
 * ```
 */
export interface FailureLimit {
  /** Failures allowed per client within the window (default 10). */
  max?: number
  /** The window, ms (default 60 s). */
  windowMs?: number
}

/** Counts failures per client in fixed windows; bounded in memory (the oldest clients are forgotten first). */
export interface FailureLimiter {
  /** Whether `client` may try again now. */
  allows(client: string): boolean
  /** Records a failure of `client`. */
  fail(client: string): void
}

const MAX_CLIENTS = 10_000

/** Creates a per-client failure counter (one per process: a bound on abuse, not an exact quota). */
export function createFailureLimiter(limit: FailureLimit = {}, now: () => number = Date.now): FailureLimiter {
  const max = limit.max ?? 10
  const windowMs = limit.windowMs ?? 60_000
  const windows = new Map<string, { startedAt: number; failures: number }>()
  const current = (client: string) => {
    const window = windows.get(client)
    if (window === undefined || now() - window.startedAt >= windowMs) return undefined
    return window
  }
  return {
    allows: (client) => (current(client)?.failures ?? 0) < max,
    fail(client) {
      const window = current(client) ?? { startedAt: now(), failures: 0 }
      window.failures++
      windows.delete(client)
      windows.set(client, window)
      if (windows.size > MAX_CLIENTS) windows.delete(windows.keys().next().value as string)
    },
  }
}
