import type { Store } from '../store/types'

/**
 * Options of {@link createSharedQpsLimiter}.
 *
 * @example
 * ```ts
 * const options: SharedQpsLimiterOptions = { store: redisStore({ client: redis }), key: 'dingtalk:ding123:-:card_qps', limit: 40 }
 * ```
 */
export interface SharedQpsLimiterOptions {
  /** Where the slots live: the client's store; share one (Redis) and every instance shares the budget. */
  store: Store
  /** Key prefix of the slots and the pause mark. */
  key: string
  /** Calls allowed per window across every instance on the store. */
  limit: number
  /** Window length, ms (default 1000: a per-second limit). */
  windowMs?: number
  /** Clock in epoch ms (default `Date.now`). Instances on one store need clocks that agree (NTP). */
  now?: () => number
}

/**
 * A rate limit shared by every instance on one {@link Store}: `acquire()` resolves once the caller owns one
 * of the `limit` slots of the current window, so N instances together make at most `limit` calls per window.
 * Slot `n` opens `n × windowMs / limit` into its window: calls are spread over the window rather than sent
 * in a burst at its start, so a burst delayed on its way (a slow network, a busy DingTalk front end) cannot
 * land in the next window on top of that window's own calls.
 *
 * @example
 * ```ts
 * const limiter = createSharedQpsLimiter({ store, key: 'dingtalk:app:-:card_qps', limit: 40 })
 * await limiter.acquire()
 * await client.requestV1({ method: 'PUT', path: '/v1.0/card/streaming', json })
 * ```
 */
export interface SharedQpsLimiter {
  /** Waits for a slot of the current window (and for any shared pause to end). */
  acquire(signal?: AbortSignal): Promise<void>
  /**
   * Tells every instance on the store to send nothing for `ms` (DingTalk answered `QpsLimit` anyway: clocks
   * disagree, or another program spends the same budget). The longest pause wins.
   */
  pause(ms: number): Promise<void>
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason)
      return
    }
    const timer = setTimeout(done, ms)
    function done(): void {
      signal?.removeEventListener('abort', abort)
      resolve()
    }
    function abort(): void {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    signal?.addEventListener('abort', abort, { once: true })
  })

/**
 * Creates a {@link SharedQpsLimiter}. The {@link Store} interface has no atomic increment, so each window
 * has `limit` slot keys `<key>:<window>:<n>` taken with the atomic `setIfAbsent`; a process remembers
 * which slots it saw taken, so one call costs one store round trip while slots are free, plus one `get` of
 * the pause mark. A store that fails lets the call through (the `QpsLimit` retry still protects it).
 *
 * @example
 * ```ts
 * const limiter = createSharedQpsLimiter({ store: client.store, key: 'myapp:card_qps', limit: 40 })
 * await Promise.all(updates.map(async (u) => { await limiter.acquire(); await send(u) }))
 * ```
 */
export function createSharedQpsLimiter(options: SharedQpsLimiterOptions): SharedQpsLimiter {
  const { store, key, limit } = options
  const windowMs = options.windowMs ?? 1000
  const now = options.now ?? Date.now
  if (!Number.isInteger(limit) || limit < 1) throw new TypeError('limit must be a positive integer')
  const spacing = windowMs / limit
  const pauseKey = `${key}:pause`
  // The first slot of `window` this process has not yet seen taken.
  let hint = { window: -1, next: 0 }

  const pausedFor = async (): Promise<number> => {
    const until = Number(await store.get(pauseKey))
    return Number.isFinite(until) ? until - now() : 0
  }

  // -1: a slot is ours; otherwise how long to wait before trying again.
  const takeSlot = async (): Promise<number> => {
    const window = Math.floor(now() / windowMs)
    const start = window * windowMs
    let n = hint.window === window ? hint.next : 0
    while (n < limit) {
      const opensIn = start + n * spacing - now()
      if (opensIn > 0) return opensIn
      const won = await store.setIfAbsent(`${key}:${window}:${n}`, '1', windowMs * 2 + 1000)
      n++
      hint = { window, next: n }
      if (Math.floor(now() / windowMs) !== window) return 0 // the window moved on meanwhile: take a new slot
      if (won) return -1
    }
    return start + windowMs - now()
  }

  return {
    async acquire(signal) {
      for (;;) {
        try {
          const paused = await pausedFor()
          if (paused > 0) {
            await sleep(paused + Math.random() * 20, signal)
            continue
          }
          const wait = await takeSlot()
          if (wait < 0) return
          await sleep(wait + Math.random() * 2, signal)
        } catch (error) {
          if (signal?.aborted) throw error
          return // the store failed: go ahead (see above)
        }
      }
    },
    async pause(ms) {
      const until = now() + ms
      try {
        const current = Number(await store.get(pauseKey))
        if (Number.isFinite(current) && current >= until) return
        await store.set(pauseKey, String(until), ms + 1000)
      } catch {
        // A pause that is not shared still holds this instance back through its own backoff.
      }
    },
  }
}
