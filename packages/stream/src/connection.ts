import type { Agent } from 'node:http'
import type { Socket } from 'node:net'
// ws 8: Node 20 has no WebSocket client, and the built-in one of later versions cannot send WebSocket
// pings, which the zombie check needs (§13.5: the client pings, the server pongs).
import { type RawData, WebSocket } from 'ws'
import { DingTalkStreamError, DingTalkStreamUnreachableError } from './errors'
import { portOf } from './open'

export interface ConnectionSettings {
  agent: Agent | undefined
  maxFrameBytes: number
  openTimeoutMs: number
  /** Ping after this long without any frame from the server; 0 turns the check off. */
  idleMs: number
  /** No pong (nor any frame) this long after the ping: the connection is a zombie. */
  pongTimeoutMs: number
}

export interface CloseInfo {
  code: number
  /** Why, in words: `server closed`, `zombie: no pong within …`, `frame over the size limit`, … */
  reason: string
}

export interface ConnectionEvents {
  frame(connection: Connection, text: string): void
  invalid(connection: Connection, why: string): void
  closed(connection: Connection, info: CloseInfo): void
}

let nextId = 1

/** One WebSocket to the gateway: frames in, ACKs out, the keepalive watchdog (§13.5). */
export class Connection {
  readonly id: number = nextId++
  state: 'connecting' | 'open' | 'draining' | 'closed' = 'connecting'
  /** Frames taken from this connection whose ACK is not sent yet. */
  inFlight = 0
  readonly opened: Promise<void>
  readonly closedDone: Promise<void>
  private readonly ws: WebSocket
  private lastFrameAt = Date.now()
  private idleTimer: ReturnType<typeof setTimeout> | undefined
  private pongTimer: ReturnType<typeof setTimeout> | undefined
  private cutTimer: ReturnType<typeof setTimeout> | undefined
  private closeReason: string | undefined
  private corked = false

  constructor(
    url: URL,
    private readonly settings: ConnectionSettings,
    private readonly events: ConnectionEvents,
  ) {
    let markClosed: () => void = () => {}
    this.closedDone = new Promise<void>((resolve) => {
      markClosed = resolve
    })
    this.ws = new WebSocket(url, {
      ...(settings.agent ? { agent: settings.agent } : {}),
      maxPayload: settings.maxFrameBytes,
      handshakeTimeout: settings.openTimeoutMs,
      perMessageDeflate: false,
      followRedirects: false,
    })
    const host = url.hostname
    const port = portOf(url)
    let opened = false
    this.opened = new Promise<void>((resolve, reject) => {
      this.ws.once('open', () => {
        opened = true
        if (this.state === 'connecting') this.state = 'open'
        this.lastFrameAt = Date.now()
        this.armIdle()
        resolve()
      })
      this.ws.on('error', (error: Error & { code?: string }) => {
        if (opened) {
          if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH')
            this.closeReason ??= 'frame over the size limit'
          else this.closeReason ??= `socket error (${error.code ?? error.name})`
          return
        }
        const status = /Unexpected server response: (\d+)/.exec(error.message)?.[1]
        if (status === '401' || status === '403') {
          reject(
            new DingTalkStreamError(
              'STREAM_TICKET_REJECTED',
              `The Stream gateway at ${host}:${port} refused the connection ticket (HTTP ${status})`,
            ),
          )
        } else if (status) {
          reject(
            new DingTalkStreamError(
              'STREAM_OPEN_FAILED',
              `The Stream gateway at ${host}:${port} answered HTTP ${status}`,
            ),
          )
        } else if (this.closeReason === 'closed by the client') {
          reject(new DingTalkStreamError('STREAM_CLOSED', 'The Stream client was closed'))
        } else {
          reject(new DingTalkStreamUnreachableError('gateway', host, port, error))
        }
      })
    })
    // Rejections are read by the client; this keeps an unobserved one from crashing the process.
    this.opened.catch(() => {})
    this.ws.on('message', (data: RawData, isBinary: boolean) => {
      this.alive()
      // §13.2: text frames only.
      if (isBinary) {
        this.events.invalid(this, 'a binary frame')
        return
      }
      this.events.frame(this, data.toString())
    })
    this.ws.on('pong', () => this.alive())
    this.ws.on('close', (code: number) => {
      this.state = 'closed'
      this.clearTimers()
      this.events.closed(this, {
        code,
        reason: this.closeReason ?? (opened ? 'the server closed it' : 'never opened'),
      })
      markClosed()
    })
  }

  private alive(): void {
    this.lastFrameAt = Date.now()
    if (this.pongTimer !== undefined) {
      clearTimeout(this.pongTimer)
      this.pongTimer = undefined
      this.armIdle()
    }
  }

  private armIdle(delay = this.settings.idleMs): void {
    if (this.settings.idleMs <= 0 || this.state === 'closed') return
    this.idleTimer = setTimeout(() => this.checkIdle(), delay)
  }

  private checkIdle(): void {
    this.idleTimer = undefined
    const idle = Date.now() - this.lastFrameAt
    if (idle < this.settings.idleMs) {
      this.armIdle(this.settings.idleMs - idle)
      return
    }
    // §13.5: the server answers WebSocket pings; silence after one means a dead ("zombie") connection.
    this.ws.ping()
    this.pongTimer = setTimeout(() => {
      this.pongTimer = undefined
      this.closeReason ??= `zombie: no pong within ${this.settings.pongTimeoutMs} ms after ${idle} ms of silence`
      this.ws.terminate()
    }, this.settings.pongTimeoutMs)
  }

  private clearTimers(): void {
    for (const timer of [this.idleTimer, this.pongTimer, this.cutTimer])
      if (timer !== undefined) clearTimeout(timer)
    this.idleTimer = this.pongTimer = this.cutTimer = undefined
  }

  /** Sends a text frame; `false` when the socket is no longer open. */
  send(text: string): boolean {
    if (this.ws.readyState !== WebSocket.OPEN) return false
    this.batchWrites()
    this.ws.send(text, () => {})
    return true
  }

  // The ACKs of one turn of the event loop (a burst of frames read together) leave in one write — one
  // syscall and one TCP segment, not one each; the gateway reads them in one go too. Uncorked before the
  // next turn, so an ACK waits for nothing but the frames handled beside it. ws keeps its socket in
  // `_socket` (every ws release since 1.0); without one there, frames leave one by one as before.
  private batchWrites(): void {
    if (this.corked) return
    const socket = (this.ws as unknown as { _socket?: Partial<Socket> })._socket
    if (typeof socket?.cork !== 'function' || typeof socket.uncork !== 'function') return
    this.corked = true
    socket.cork()
    setImmediate(() => {
      this.corked = false
      socket.uncork?.()
    })
  }

  /** A clean close (code 1000); the socket is cut if the server does not answer within 1 s. */
  close(reason: string): void {
    if (this.state === 'closed') return
    this.closeReason ??= reason
    if (this.ws.readyState === WebSocket.CONNECTING) {
      this.ws.terminate()
      return
    }
    this.ws.close(1000)
    this.cutTimer ??= setTimeout(() => this.ws.terminate(), 1_000)
  }

  terminate(reason: string): void {
    this.closeReason ??= reason
    this.ws.terminate()
  }
}
