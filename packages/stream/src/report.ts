import type { CallbackLogger } from '@dingtalk-kit/core'
import type { DingTalkStreamError } from './errors'
import type { StreamHooks } from './options'

/**
 * Counters of a {@link StreamClient}, for tests and health checks.
 *
 * @example
 * ```ts
 * const { connected, inFlight } = stream.stats()
 * ```
 */
export interface StreamStats {
  connected: boolean
  /** Connections that reached the open state. */
  connections: number
  /** Open (or draining) sockets right now. */
  sockets: number
  reconnects: number
  framesReceived: number
  acksSent: number
  /** ACKs that could not be sent because their connection had closed (DingTalk redelivers those). */
  acksUnsent: number
  redeliveries: number
  invalidFrames: number
  inFlight: number
  queued: number
}

/** The counters the client keeps itself (the others are read from its parts). */
export type StreamCounters = Omit<StreamStats, 'connected' | 'sockets' | 'inFlight' | 'queued'>

type HookInfo<K extends keyof StreamHooks> = Parameters<NonNullable<StreamHooks[K]>>[0]
type LogData = Record<string, unknown>

/** Runs a hook, logger or listener: one that throws must not break the connection. */
export function safe(fn: () => void): void {
  try {
    fn()
  } catch {
    // Ignored on purpose.
  }
}

function causeCode(cause: unknown): string | undefined {
  if (cause === undefined) return undefined
  const code = (cause as { code?: unknown } | null)?.code
  if (typeof code === 'string') return code
  return cause instanceof Error ? cause.name : typeof cause
}

/** Where the client says what it does: its logger lines, the app's hooks, the connection-failure listeners. */
export class StreamReporter {
  readonly listeners: Set<(error: DingTalkStreamError) => void> = new Set()

  constructor(
    private readonly logger: CallbackLogger,
    readonly hooks: StreamHooks,
  ) {}

  debug(message: string, data: LogData): void {
    safe(() => this.logger.debug?.(message, data))
  }

  warn(message: string, data: LogData): void {
    safe(() => this.logger.warn?.(message, data))
  }

  hook<K extends keyof StreamHooks>(name: K, info: HookInfo<K>): void {
    safe(() => (this.hooks[name] as ((info: HookInfo<K>) => void) | undefined)?.(info))
  }

  /** A connection failure: logged (never with a secret: the message and the cause's code only) and handed to the listeners. */
  failure(error: DingTalkStreamError, level: 'warn' | 'error'): void {
    safe(() => this.logger[level]?.(error.message, { code: error.code, cause: causeCode(error.cause) }))
    for (const listener of this.listeners) safe(() => listener(error))
  }
}
