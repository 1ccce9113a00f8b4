import type { WaitUntilContext } from './context'

/** `work`'s value, or `late` when `deadlineAt` (epoch ms; `Infinity` = no deadline) came first. */
export function untilDeadline<T>(
  work: Promise<T>,
  deadlineAt: number,
  now: () => number,
): Promise<{ late: true } | { late: false; value: T }> {
  const wrapped = work.then((value) => ({ late: false as const, value }))
  if (deadlineAt === Number.POSITIVE_INFINITY) return wrapped
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<{ late: true }>((resolve) => {
    timer = setTimeout(() => resolve({ late: true }), Math.max(0, deadlineAt - now()))
  })
  return Promise.race([wrapped, timeout]).finally(() => clearTimeout(timer))
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
