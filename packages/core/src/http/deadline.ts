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
