import { DingTalkStoreError, type StoreErrorCode } from '@dingtalk-kit/core'

// Replies that mean "this Redis cannot serve right now", as opposed to a command that is wrong.
const UNAVAILABLE_REPLY = /^(LOADING|BUSY|CLUSTERDOWN|MASTERDOWN|TRYAGAIN|READONLY|NOREPLICAS)\b/

export const isReplyError = (error: unknown): error is Error =>
  error instanceof Error && error.name === 'ReplyError'

const TIMEOUT: unique symbol = Symbol('timeout')

/** How often a deadline that found this process busy starts again (a process busy for good still times out). */
const MAX_RESTARTS = 2

/**
 * A command's deadline that measures Redis, not this process: it starts once the command is on its way (after
 * the synchronous work that issued it, which delays the write); when it runs out, the answers that arrived while
 * this process was busy are read first (a `setImmediate` runs after the I/O poll); and a deadline whose timer
 * came late by more than half of it — the event loop was blocked, Redis may have answered at once — starts
 * again, up to {@link MAX_RESTARTS} times.
 */
function busyAwareDeadline(timeoutMs: number): { expired: Promise<typeof TIMEOUT>; cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined
  let immediate: ReturnType<typeof setImmediate> | undefined
  let restarts = 0
  const expired = new Promise<typeof TIMEOUT>((resolve) => {
    const arm = (): void => {
      const due = Date.now() + timeoutMs
      timer = setTimeout(() => {
        immediate = setImmediate(() => {
          const late = Date.now() - due
          if (late > timeoutMs / 2 && restarts++ < MAX_RESTARTS) arm()
          else resolve(TIMEOUT)
        })
      }, timeoutMs)
    }
    immediate = setImmediate(arm)
  })
  return {
    expired,
    cancel() {
      clearTimeout(timer)
      if (immediate !== undefined) clearImmediate(immediate)
    },
  }
}

/** What guards every Redis command of a store. */
export interface CommandGuardOptions {
  timeoutMs: number
  /** Consecutive timeouts or connection failures that open the breaker, and its cooldown; `false`: none. */
  breaker: { failures?: number | undefined; cooldownMs?: number | undefined } | false | undefined
  onError?: ((error: DingTalkStoreError) => void) | undefined
}

/** Runs Redis commands within a deadline and behind a circuit breaker. */
export interface CommandGuard {
  /**
   * Runs `command` as `operation`: a timeout, a connection failure or an error reply becomes a
   * `DingTalkStoreError` (never with the command's arguments, which may be tokens); `abandoned` receives a
   * command that timed out, to undo it if it lands late.
   */
  run<T>(operation: string, command: () => Promise<T>, abandoned?: (late: Promise<T>) => void): Promise<T>
  /** `false` while the breaker is open (calls fail at once with `STORE_UNAVAILABLE`). */
  readonly available: boolean
}

export function commandGuard(options: CommandGuardOptions): CommandGuard {
  const { timeoutMs } = options
  const breakerOn = options.breaker !== false
  const breaker = options.breaker === false ? undefined : options.breaker
  const threshold = Math.max(1, breaker?.failures ?? 3)
  const cooldownMs = breaker?.cooldownMs ?? 1000

  let failures = 0
  let openUntil = 0
  let probing = false

  const failed = (): void => {
    failures++
    if (failures >= threshold) openUntil = Date.now() + cooldownMs
  }

  const fail = (code: StoreErrorCode, operation: string, message: string): DingTalkStoreError => {
    const error = new DingTalkStoreError(code, { store: 'redis', operation, message })
    try {
      options.onError?.(error)
    } catch {
      // A broken listener must not turn a store failure into something else.
    }
    return error
  }

  // While open, calls fail at once; after the cooldown one probe goes through and its outcome decides.
  const admit = (operation: string): boolean => {
    if (!breakerOn || failures < threshold) return false
    if (Date.now() < openUntil || probing) {
      throw fail(
        'STORE_UNAVAILABLE',
        operation,
        `Redis ${operation} skipped: Redis kept failing (breaker open)`,
      )
    }
    probing = true
    return true
  }

  return {
    get available(): boolean {
      return !breakerOn || failures < threshold || Date.now() >= openUntil
    },
    async run(operation, command, abandoned) {
      const probe = admit(operation)
      const deadline = busyAwareDeadline(timeoutMs)
      const timeout = deadline.expired
      try {
        const pending = command()
        const result = await Promise.race([pending, timeout])
        if (result === TIMEOUT) {
          abandoned?.(pending)
          failed()
          throw fail('STORE_TIMEOUT', operation, `Redis ${operation} timed out after ${timeoutMs} ms`)
        }
        failures = 0
        return result
      } catch (error) {
        if (error instanceof DingTalkStoreError) throw error
        const down = !isReplyError(error) || UNAVAILABLE_REPLY.test(error.message)
        if (down) failed()
        // Only the reply text: ioredis errors carry the command’s arguments, which may be tokens.
        const reason = error instanceof Error ? error.message : String(error)
        throw fail(
          down ? 'STORE_UNAVAILABLE' : 'STORE_ERROR',
          operation,
          `Redis ${operation} failed: ${reason}`,
        )
      } finally {
        deadline.cancel()
        if (probe) probing = false
      }
    },
  }
}
