import type { StreamAgents } from './agents'
import { type CloseInfo, Connection, type ConnectionEvents } from './connection'
import { DingTalkStreamCredentialsError, DingTalkStreamError } from './errors'
import { connectUrl, openConnection, type Subscription } from './open'
import type { StreamSettings } from './options'
import { ReconnectBackoff } from './reconnect'
import type { StreamCounters, StreamReporter } from './report'

function closedError(): DingTalkStreamError {
  return new DingTalkStreamError('STREAM_CLOSED', 'The Stream client was closed')
}

export interface LifecycleOptions {
  settings: StreamSettings
  agents: StreamAgents
  reporter: StreamReporter
  counters: StreamCounters
  /** The subscriptions of the next connection (CALLBACK topics can be added while running). */
  subscriptions(): Subscription[]
  /** Where each connection's frames go. */
  frames: Omit<ConnectionEvents, 'closed'>
  /** Resolves once every frame taken is handled and its ACK sent (`close()` waits for it). */
  drain(): Promise<void>
}

/**
 * The client's connections (§13.5): the active one, those draining after a server `disconnect`, the one
 * being opened. A `disconnect` opens the new connection first and closes the old one once its ACKs are
 * sent; a lost connection is replaced after a backoff; `close()` releases every socket and timer.
 */
export class ConnectionLifecycle {
  /** Set by `close()`: frames are no longer taken, nothing is reopened. */
  closing = false
  private readonly connections = new Set<Connection>()
  private readonly healthy = new WeakSet<Connection>()
  private readonly backoff: ReconnectBackoff
  private readonly abort = new AbortController()
  private readonly events: ConnectionEvents
  private active: Connection | undefined
  private establishing: Promise<Connection> | undefined
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined
  private started: Promise<void> | undefined
  private closed: Promise<void> | undefined

  constructor(private readonly options: LifecycleOptions) {
    this.backoff = new ReconnectBackoff(options.settings.baseMs, options.settings.maxMs)
    this.events = {
      frame: (connection, text) => options.frames.frame(connection, text),
      invalid: (connection, why) => options.frames.invalid(connection, why),
      closed: (connection, info) => this.lost(connection, info),
    }
  }

  get connected(): boolean {
    return this.active !== undefined
  }

  /** Open (or draining) sockets. */
  get sockets(): number {
    return this.connections.size
  }

  /** Opens the first connection; on failure closes everything and rejects with the failure. */
  start(): Promise<void> {
    this.started ??= (async () => {
      if (this.closing) throw closedError()
      const first = this.establish(false)
      this.establishing = first
      try {
        await first
      } catch (error) {
        this.establishing = undefined
        await this.close()
        throw error
      }
      this.establishing = undefined
    })()
    return this.started
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      this.closing = true
      if (this.reconnectTimer) clearTimeout(this.reconnectTimer)
      this.reconnectTimer = undefined
      this.abort.abort()
      for (const c of this.connections) if (c.state === 'connecting') c.close('closed by the client')
      await this.establishing?.catch(() => undefined)
      await this.options.drain()
      const open = [...this.connections]
      for (const c of open) c.close('closed by the client')
      await Promise.all(open.map((c) => c.closedDone))
      this.options.agents.destroy()
      this.active = undefined
    })()
    return this.closed
  }

  /** A frame arrived: the connection is healthy, so the next failure backs off from the start again. */
  markHealthy(connection: Connection): void {
    if (this.healthy.has(connection)) return
    this.healthy.add(connection)
    this.backoff.reset()
  }

  /**
   * §13.5: after a server `disconnect` nothing more comes on this connection and the server closes it ~10 s
   * later. The new connection is opened now; the old one keeps its in-flight frames until their ACKs are
   * sent, then closes.
   */
  handover(connection: Connection, reason: string): void {
    if (connection.state !== 'open') return
    connection.state = 'draining'
    if (this.active === connection) this.active = undefined
    const { reporter } = this.options
    reporter.debug('Stream disconnect from the server', { connectionId: connection.id, reason })
    reporter.hook('disconnect', {
      connectionId: connection.id,
      reason: reason || 'disconnect',
      byServer: true,
    })
    this.connectSoon('server disconnect', true)
    this.settleDrained()
  }

  /** Closes the draining connections whose ACKs are all sent, once a new connection is active. */
  settleDrained(): void {
    if (!this.active) return
    for (const c of this.connections) {
      if (c !== this.active && c.state === 'draining' && c.inFlight === 0) c.close('drained after disconnect')
    }
  }

  private async establish(reconnect: boolean): Promise<Connection> {
    const { settings, agents, reporter } = this.options
    const opened = await openConnection({
      apiBaseUrl: settings.apiBaseUrl,
      clientId: settings.clientId,
      clientSecret: settings.clientSecret,
      subscriptions: this.options.subscriptions(),
      ua: settings.ua,
      timeoutMs: settings.openTimeoutMs,
      agent: agents.for(new URL(settings.apiBaseUrl).protocol),
      signal: this.abort.signal,
    })
    if (this.closing) throw closedError()
    const url = connectUrl(opened)
    const { maxFrameBytes, openTimeoutMs, idleMs, pongTimeoutMs } = settings
    const connection = new Connection(
      url,
      { agent: agents.for(url.protocol), maxFrameBytes, openTimeoutMs, idleMs, pongTimeoutMs },
      this.events,
    )
    this.connections.add(connection)
    await connection.opened
    if (this.closing) {
      connection.close('closed by the client')
      throw closedError()
    }
    this.active = connection
    this.options.counters.connections++
    reporter.debug('Stream connected', { connectionId: connection.id, host: url.host, reconnect })
    reporter.hook('connect', { connectionId: connection.id, host: url.host, reconnect })
    this.settleDrained()
    return connection
  }

  private connectSoon(reason: string, immediate: boolean): void {
    if (this.closing || this.establishing || this.reconnectTimer || this.active) return
    const attempt = this.backoff.attempt
    const delayMs = immediate ? 0 : this.backoff.delayMs()
    this.options.counters.reconnects++
    this.options.reporter.hook('reconnect', { attempt, delayMs, reason })
    this.options.reporter.debug('Stream reconnecting', { attempt, delayMs: Math.round(delayMs), reason })
    if (delayMs === 0) this.reconnect()
    else this.reconnectTimer = setTimeout(() => this.reconnect(), delayMs)
  }

  private reconnect(): void {
    this.reconnectTimer = undefined
    if (this.closing) return
    const current = this.establish(true)
    this.establishing = current
    current.then(
      () => {
        this.establishing = undefined
      },
      (error: unknown) => {
        this.establishing = undefined
        if (this.closing) return
        this.backoff.failed()
        if (error instanceof DingTalkStreamError) {
          const level = error instanceof DingTalkStreamCredentialsError ? 'error' : 'warn'
          this.options.reporter.failure(error, level)
        }
        this.connectSoon(error instanceof Error ? error.message : 'connect failed', false)
      },
    )
  }

  /** A socket closed; the active one without a `disconnect` frame (network, zombie, server crash) is replaced. */
  private lost(connection: Connection, info: CloseInfo): void {
    this.connections.delete(connection)
    if (this.active !== connection || this.closing) return
    this.active = undefined
    const { reporter } = this.options
    reporter.hook('disconnect', { connectionId: connection.id, reason: info.reason, byServer: false })
    reporter.warn('Stream connection lost; reconnecting', {
      connectionId: connection.id,
      code: info.code,
      reason: info.reason,
    })
    this.connectSoon(info.reason, false)
  }
}
