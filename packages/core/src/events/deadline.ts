import type { WaitUntilContext } from './context'

/** What {@link untilDeadline} resolves to when the deadline came first. */
export const LATE: unique symbol = Symbol('late')

/**
 * `work`'s value, or {@link LATE} when `deadlineAt` (epoch ms) came first. Without a deadline (`Infinity`, as
 * over Stream) it is `work` itself: no timer and no extra promise.
 */
export function untilDeadline<T>(
  work: Promise<T>,
  deadlineAt: number,
  now: () => number,
): Promise<T | typeof LATE> {
  if (deadlineAt === Number.POSITIVE_INFINITY) return work
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<typeof LATE>((resolve) => {
    timer = setTimeout(() => resolve(LATE), Math.max(0, deadlineAt - now()))
  })
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer))
}

/** Work that goes on after its delivery was answered. */
export interface Background {
  /** Tracks `work` (its failure is the caller's to report) and hands it to the host's `waitUntil`. */
  run(work: Promise<unknown>, context: WaitUntilContext | undefined): void
  /** Resolves when everything tracked has settled. */
  idle(): Promise<void>
}

/** Creates a tracker of background work (handlers still running after their reply). */
export function createBackground(): Background {
  const pending = new Set<Promise<unknown>>()
  return {
    run(work, context) {
      const tracked = work.then(
        () => undefined,
        () => undefined,
      )
      pending.add(tracked)
      void tracked.finally(() => pending.delete(tracked))
      try {
        context?.waitUntil?.(tracked)
      } catch {
        // The host refused: the work still runs in this process.
      }
    },
    async idle() {
      while (pending.size > 0) await Promise.allSettled([...pending])
    },
  }
}
