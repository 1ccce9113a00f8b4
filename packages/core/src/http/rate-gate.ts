import { backoffDelay, type RetryOptions } from './retry'

/** What {@link RateLimitGate.admit} hands out: which closing of the gate an attempt was sent after. */
export interface Admission {
  /** `0`: sent while the API was open; otherwise the closing it waited for. */
  readonly epoch: number
  /** The path stayed limited through every backoff: a caller that was limited already gives up unsent. */
  readonly gaveUp?: true
}

interface Gate {
  /** How often the API has been closed; an answer to an attempt sent before the last closing is old news. */
  epoch: number
  /** Nobody is admitted before this time (epoch ms). */
  openAt: number
  /** Closings in a row without a success in between: the backoff index. */
  streak: number
  /** Admitted attempts still waiting for their answer. */
  inflight: number
  queue: ((admission: Admission) => void)[]
  timer: ReturnType<typeof setTimeout> | undefined
}

const OPEN: Admission = { epoch: 0 }

/**
 * §10: DingTalk's rate limits met by the callers of one client together, per API path. A rate-limited answer
 * closes the path for a backoff (doubling while the answers after each reopening are still limited); callers
 * then wait in line and go one at a time, each success letting the next one go, until nobody is waiting and the
 * path is open again. So a burst of callers against a limit spends about one request per call on top of the
 * burst, instead of each caller backing off and retrying on its own. A limited caller retries as long as the path
 * makes progress; when it stays limited through `maxRetries` backoffs in a row, the path gives up: the caller
 * that saw it and every limited caller in line fail, without another request.
 */
export class RateLimitGate {
  readonly #gates = new Map<string, Gate>()
  readonly #policy: Required<RetryOptions>
  readonly #now: () => number

  constructor(policy: Required<RetryOptions>, now: () => number = Date.now) {
    this.#policy = policy
    this.#now = now
  }

  /**
   * Waits until an attempt at `key` may be sent: at once while the path is open. A `signal` aborted while the
   * caller waits takes it out of the line and rejects with the signal's reason.
   */
  admit(key: string, signal?: AbortSignal): Admission | Promise<Admission> {
    const gate = this.#gates.get(key)
    if (gate === undefined) return OPEN
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason)
      const onAbort = (): void => {
        const at = gate.queue.indexOf(admitted)
        if (at >= 0) gate.queue.splice(at, 1)
        reject(signal?.reason)
      }
      const admitted = (admission: Admission): void => {
        signal?.removeEventListener('abort', onAbort)
        resolve(admission)
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      gate.queue.push(admitted)
      this.#pump(key, gate)
    })
  }

  /** How long until `key` opens again (0 when it is open). */
  waitMs(key: string): number {
    const gate = this.#gates.get(key)
    return gate === undefined ? 0 : Math.max(0, gate.openAt - this.#now())
  }

  /**
   * The answer to an admitted attempt: `limited` when DingTalk rate-limited it. Answers `false` when a limited
   * caller should give up (the path stayed limited through every backoff), `true` otherwise.
   */
  settle(key: string, admission: Admission, limited: boolean): boolean {
    let gate = this.#gates.get(key)
    if (gate !== undefined && admission.epoch > 0) gate.inflight = Math.max(0, gate.inflight - 1)
    if (limited) {
      if (gate === undefined) {
        gate = { epoch: 0, openAt: 0, streak: 0, inflight: 0, queue: [], timer: undefined }
        this.#gates.set(key, gate)
        this.#close(gate)
      } else if (admission.epoch === gate.epoch) {
        // Sent after the last closing and still limited: close again, for longer — or give up.
        if (gate.streak >= this.#policy.maxRetries) {
          this.#giveUp(key, gate)
          return false
        }
        this.#close(gate)
      }
    } else if (gate !== undefined) {
      // Any success is progress, also one of a request sent before the path closed: under load the answers to
      // a burst arrive over several windows, and the probes sent meanwhile are limited by the burst's own
      // requests, not by a path that stays shut.
      gate.streak = 0
      if (admission.epoch > 0 && gate.queue.length === 0 && gate.inflight === 0) {
        if (gate.timer !== undefined) clearTimeout(gate.timer)
        this.#gates.delete(key)
        return true
      }
    }
    if (gate !== undefined) this.#pump(key, gate)
    return true
  }

  #giveUp(key: string, gate: Gate): void {
    if (gate.timer !== undefined) clearTimeout(gate.timer)
    this.#gates.delete(key)
    for (const waiting of gate.queue.splice(0)) waiting({ epoch: 0, gaveUp: true })
  }

  #close(gate: Gate): void {
    gate.epoch++
    gate.openAt = this.#now() + backoffDelay(this.#policy, gate.streak++)
  }

  #pump(key: string, gate: Gate): void {
    if (gate.queue.length === 0) return
    const wait = gate.openAt - this.#now()
    if (wait > 0) {
      if (gate.timer === undefined) {
        gate.timer = setTimeout(() => {
          gate.timer = undefined
          this.#pump(key, gate)
        }, wait)
      }
      return
    }
    // One attempt in flight at a time while the path recovers.
    if (gate.inflight > 0) return
    const next = gate.queue.shift()
    if (next === undefined) return
    gate.inflight++
    next({ epoch: gate.epoch })
  }
}
