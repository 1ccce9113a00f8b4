import { type CallbackErrorCode, DingTalkCallbackError } from '../errors/callback'
import type { CallbackLogger } from './context'

/** What {@link Reporter.report} takes besides the code and message. */
export interface ReportDetails {
  /** The status the delivery was answered with (`undefined` when it failed after the answer). */
  status?: number | undefined
  eventType?: string | undefined
  cause?: unknown
  transport?: string | undefined
}

/** Writes pipeline failures to the logger and the `onError` listeners; never throws. */
export interface Reporter {
  readonly logger: CallbackLogger
  report(code: CallbackErrorCode, message: string, details?: ReportDetails): void
  onError(listener: (error: DingTalkCallbackError) => void): () => void
  /** Whether any listener wants the details (building them can cost an exception). */
  listening(): boolean
}

// Rejections and "busy" are the peer's or the network's doing: warnings. Everything else is an error the
// app's owner must see — handler failures are logged by default.
const WARNINGS: ReadonlySet<CallbackErrorCode> = new Set(['CALLBACK_REJECTED', 'CALLBACK_BUSY'])

/** A name for what failed, never its message (which could carry a payload). */
export function causeCode(cause: unknown): string | undefined {
  if (cause === undefined) return undefined
  const code = (cause as { code?: unknown } | null)?.code
  if (typeof code === 'string') return code
  return cause instanceof Error ? cause.name : typeof cause
}

/**
 * The logger used when none is given: warnings and errors to the console, so a failing handler is never
 * silent. Pass `logger: {}` to turn it off.
 */
export const consoleLogger: CallbackLogger = {
  warn: (message, data) => console.warn(`[dingtalk-kit] ${message}`, data ?? {}),
  error: (message, data) => console.error(`[dingtalk-kit] ${message}`, data ?? {}),
}

/** Creates the reporter one event pipeline shares across its transports. */
export function createReporter(options: {
  logger?: CallbackLogger | undefined
  onError?: ((error: DingTalkCallbackError) => void) | undefined
}): Reporter {
  const logger = options.logger ?? consoleLogger
  const listeners = new Set<(error: DingTalkCallbackError) => void>()
  if (options.onError) listeners.add(options.onError)
  return {
    logger,
    listening: () => listeners.size > 0,
    onError(listener) {
      listeners.add(listener)
      return () => {
        listeners.delete(listener)
      }
    },
    report(code, message, details = {}) {
      try {
        logger[WARNINGS.has(code) ? 'warn' : 'error']?.(message, {
          code,
          status: details.status,
          eventType: details.eventType,
          cause: causeCode(details.cause),
          ...(details.transport === undefined ? {} : { transport: details.transport }),
        })
      } catch {
        // A failing logger must not change the answer.
      }
      if (listeners.size === 0) return
      const error = new DingTalkCallbackError(code, message, details)
      for (const listener of listeners) {
        try {
          listener(error)
        } catch {
          // Same for a failing listener.
        }
      }
    },
  }
}
