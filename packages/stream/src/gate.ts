/**
 * At most `limit` frames handled at once; the others wait in arrival order, un-ACKed and never dropped
 * (robot messages are not reliably redelivered, §13.4).
 */
export class ConcurrencyGate {
  private active = 0
  private readonly waiting: Array<() => void> = []

  constructor(private readonly limit: number) {}

  /** Resolves (or returns `undefined` at once) when the caller holds a slot. */
  acquire(): Promise<void> | undefined {
    if (this.active < this.limit) {
      this.active++
      return undefined
    }
    return new Promise<void>((resolve) => this.waiting.push(resolve))
  }

  /** Hands the slot to the next waiting frame, or frees it. */
  release(): void {
    const next = this.waiting.shift()
    if (next) next()
    else this.active--
  }

  get running(): number {
    return this.active
  }

  get queued(): number {
    return this.waiting.length
  }
}
