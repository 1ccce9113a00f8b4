/**
 * How an attempt's timeout is kept. Two ways, one outcome for the caller (a `DingTalkTimeoutError` at
 * `timeoutMs`):
 * - On Node's own `fetch` (undici), without an `AbortSignal`: the attempt is raced against its timer
 *   ({@link within}), and undici is told the same timeout in the request's dispatch options
 *   ({@link undiciTimeouts}), so it lets go of the connection itself. Handing `fetch` a signal costs undici,
 *   per request, a second controller that follows it, a `WeakRef`, an abort listener and a
 *   `FinalizationRegistry` entry: a bare `fetch` to the emulator ran at 0.87–0.96× its speed with one.
 * - With a `fetch` of the caller's, or on a host without undici: an abort signal
 *   ({@link DeadlineControllers}), since only the signal is sure to reach the request there.
 */

/** The host's `fetch`, looked up at each call (so a polyfill or a test's stub installed later is used). */
export const runtimeFetch: typeof fetch = (input, init) => globalThis.fetch(input, init)

/** One attempt's abort controller, and how many attempts it has served. */
export interface DeadlineLease {
  readonly controller: AbortController
  uses: number
}

/**
 * The controllers whose signal makes an attempt's timeout. Creating an `AbortController` is most of what a
 * timeout costs `fetch`, so a controller whose timer did not fire serves the next attempt: it serves one
 * attempt at a time, so firing it aborts only that attempt, and a fired one is never reused. `fetch` keeps a
 * listener per request on the signal until the request is collected, and aborting a request that has ended
 * does nothing (Fetch standard), so a controller is retired after `maxUses` attempts to bound those.
 */
export class DeadlineControllers {
  readonly #idle: DeadlineLease[] = []
  readonly #maxUses: number
  readonly #maxIdle: number

  constructor(maxUses = 32, maxIdle = 64) {
    this.#maxUses = maxUses
    this.#maxIdle = maxIdle
  }

  acquire(): DeadlineLease {
    return this.#idle.pop() ?? { controller: new AbortController(), uses: 0 }
  }

  release(lease: DeadlineLease): void {
    lease.uses++
    if (lease.controller.signal.aborted || lease.uses >= this.#maxUses || this.#idle.length >= this.#maxIdle)
      return
    this.#idle.push(lease)
  }
}

/** The reason a timed-out attempt carries, as `AbortSignal.timeout()` names it. */
export const timeoutReason = (): DOMException =>
  new DOMException('The operation was aborted due to timeout', 'TimeoutError')

/** Whether an attempt's timer fired. */
export interface Timed {
  timedOut: boolean
}

/**
 * `work`, or a rejection with {@link timeoutReason} when `ms` pass first (`attempt.timedOut` then says so).
 * `work` itself goes on: what ends it is undici's own timeout ({@link undiciTimeouts}).
 *
 * @example
 * ```ts
 * const attempt = { timedOut: false }
 * const res = await within(fetch(url, { dispatcher: undiciTimeouts(5000) }), 5000, attempt)
 * ```
 */
export function within<T>(work: Promise<T>, ms: number, attempt: Timed): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      attempt.timedOut = true
      reject(timeoutReason())
    }, ms)
    work.then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      (error: unknown) => {
        clearTimeout(timer)
        reject(error)
      },
    )
  })
}

/** Where undici keeps the dispatcher of Node's `fetch`; `setGlobalDispatcher()` (a proxy, a mock) sets it. */
const GLOBAL_DISPATCHER = Symbol.for('undici.globalDispatcher.1')

/** The part of undici's `Dispatcher` that `fetch` uses. */
interface UndiciDispatcher {
  dispatch(options: Record<string, unknown>, handler: object): boolean
  readonly isMockActive?: boolean
}

function globalDispatcher(): UndiciDispatcher {
  const dispatcher = (globalThis as Record<symbol, UndiciDispatcher | undefined>)[GLOBAL_DISPATCHER]
  // Node's fetch sets it when undici loads, before its first request is dispatched.
  if (dispatcher === undefined) throw new TypeError('fetch has no undici dispatcher to send the request with')
  return dispatcher
}

/**
 * The global dispatcher, with an attempt's timeout as undici's `headersTimeout` and `bodyTimeout` for each
 * request it sends: the connection is let go once no answer (or no more of its body) came for that long.
 * The global dispatcher is looked up at each request, so one installed later (`setGlobalDispatcher(new
 * ProxyAgent(…))`, a `MockAgent`) is used, and undici's diagnostics channels still see every request.
 */
class TimedDispatcher implements UndiciDispatcher {
  readonly #timeoutMs: number

  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs
  }

  dispatch(options: Record<string, unknown>, handler: object): boolean {
    options.headersTimeout = this.#timeoutMs
    options.bodyTimeout = this.#timeoutMs
    return globalDispatcher().dispatch(options, handler)
  }

  get isMockActive(): boolean | undefined {
    return globalDispatcher().isMockActive
  }
}

/** Node's `fetch` is undici's (`process.versions.undici`); Bun and Deno, which imitate `process`, are not. */
const versions = (globalThis as { process?: { versions?: Record<string, unknown> } }).process?.versions
const onUndici =
  typeof versions?.undici === 'string' && versions.bun === undefined && versions.deno === undefined
const timedDispatchers = new Map<number, TimedDispatcher>()

/**
 * The `dispatcher` to hand Node's `fetch` for an attempt of `timeoutMs`, or `undefined` off Node (where the
 * attempt takes an abort signal instead) and for a timeout undici cannot take (not a positive finite number).
 *
 * @example
 * ```ts
 * const dispatcher = undiciTimeouts(10_000)
 * const res = await fetch(url, dispatcher === undefined ? { signal } : ({ dispatcher } as RequestInit))
 * ```
 */
export function undiciTimeouts(timeoutMs: number): object | undefined {
  if (!onUndici || !(timeoutMs > 0 && timeoutMs < Number.POSITIVE_INFINITY)) return undefined
  let dispatcher = timedDispatchers.get(timeoutMs)
  if (dispatcher === undefined) {
    // Timeouts are few (the client's and a call's override); a caller computing them anew cannot grow this.
    if (timedDispatchers.size >= 64) timedDispatchers.clear()
    dispatcher = new TimedDispatcher(timeoutMs)
    timedDispatchers.set(timeoutMs, dispatcher)
  }
  return dispatcher
}
