/**
 * The reconnect policy after a failure (§13.5): `baseMs`·2ⁿ with equal jitter, capped at `maxMs`; the count
 * starts again once a connection proved healthy. A fresh ticket is fetched for every attempt (the caller's
 * job: a ticket is good for one connection).
 */
export class ReconnectBackoff {
  private failures = 0

  constructor(
    private readonly baseMs: number,
    private readonly maxMs: number,
  ) {}

  /** Failures since the last healthy connection. */
  get attempt(): number {
    return this.failures
  }

  /** The delay before the next attempt: half the capped exponential, plus up to as much again at random. */
  delayMs(): number {
    const capped = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(this.failures, 20))
    return capped / 2 + (Math.random() * capped) / 2
  }

  failed(): void {
    this.failures++
  }

  reset(): void {
    this.failures = 0
  }
}
