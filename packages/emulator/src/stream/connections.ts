import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
// ws 8.23: the WebSocket server Node 20 lacks (it has no built-in one); 8.x supports Node ≥ 10 and is the
// library the official Node Stream SDK itself uses, pinned so the frames the tests see never drift.
import { type RawData, type WebSocket, WebSocketServer } from 'ws'
import { id, isObject, parseJson, systemFrame } from './frames'
import { CONNECT_PATH, type Ticket, type TicketOffice } from './open'
import type { StreamAttempt, StreamConnectionRecord, StreamEmulator } from './types'

/** A frame sent that waits for its ACK (or a SYSTEM ping for its echo). */
export interface Waiter {
  attempt: StreamAttempt | undefined
  resolve: (outcome: StreamAttempt['outcome']) => void
  timer: NodeJS.Timeout | undefined
  /** For SYSTEM pings: the opaque the echo must carry. */
  opaque?: string
}

/** An open connection: its record, socket, frames waiting for an ACK and timers. */
export interface Live {
  record: StreamConnectionRecord
  ws: WebSocket
  pending: Map<string, Waiter>
  answered: Set<string>
  expired: Set<string>
  timers: Set<NodeJS.Timeout>
}

function refuseUpgrade(socket: Duplex, status: number, reason: string, message: string): void {
  const body = JSON.stringify({ code: reason, message })
  socket.end(
    `HTTP/1.1 ${status} ${status === 400 ? 'Bad Request' : status === 404 ? 'Not Found' : 'Unauthorized'}\r\n` +
      `Connection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  )
}

function newRecord(ticket: Ticket, openedAt: number): StreamConnectionRecord {
  return {
    id: id(12),
    clientId: ticket.clientId,
    subscriptions: ticket.subscriptions,
    state: 'open',
    openedAt,
    ...(ticket.ua === undefined ? {} : { ua: ticket.ua }),
    framesSent: 0,
    acks: 0,
    duplicateAcks: 0,
    lateAcks: 0,
    invalidFrames: 0,
    pingsSent: 0,
    pingsAnswered: 0,
  }
}

/**
 * The WebSocket side of the gateway: the upgrade with its ticket (§13.1), the open connections, the ACKs
 * they send (§13.3), the server's pings (§13.5), and which connections take pushes.
 */
export class LiveConnections {
  /** Every connection ever opened, oldest first. */
  readonly records: StreamConnectionRecord[] = []
  closed = false
  private readonly live = new Map<string, Live>()
  private readonly waiters = new Set<() => void>()
  private readonly wss: WebSocketServer

  constructor(
    private readonly tickets: TicketOffice,
    private readonly now: () => number,
    private readonly settings: StreamEmulator['settings'],
  ) {
    this.wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      maxPayload: settings.maxFrameBytes,
    })
  }

  /** The HTTP server's `upgrade` listener. */
  readonly upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => {})
    const url = new URL(req.url ?? '/', 'http://emulator')
    if (this.closed || url.pathname !== CONNECT_PATH) {
      refuseUpgrade(socket, 404, 'NotFound', 'no WebSocket endpoint here')
      return
    }
    const value = url.searchParams.get('ticket')
    if (!value) {
      refuseUpgrade(socket, 400, 'MissingTicket', 'the ticket query parameter is required')
      return
    }
    const ticket = this.tickets.redeem(value)
    if (typeof ticket === 'string') {
      refuseUpgrade(socket, 401, 'InvalidTicket', ticket)
      return
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.register(ws, ticket))
  }

  /** The open connection `connectionId`; throws when there is none. */
  find(connectionId: string): Live {
    const live = this.live.get(connectionId)
    if (!live) throw new Error(`no open Stream connection ${connectionId}`)
    return live
  }

  /** The connections that take pushes (`open`, or `zombie`: the server cannot tell) of a client, subscribed to `type`/`topic`. */
  takers(clientId: string | undefined, type?: string, topic?: string): Live[] {
    const out: Live[] = []
    for (const live of this.live.values()) {
      const { record } = live
      if (record.state !== 'open' && record.state !== 'zombie') continue
      if (clientId !== undefined && record.clientId !== clientId) continue
      if (type !== undefined && topic !== undefined && !this.subscribed(record, type, topic)) continue
      out.push(live)
    }
    return out
  }

  /** Resolves when a connection opens (or pushes may go elsewhere: a mode change, close). */
  waitForTaker(): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        this.waiters.delete(wake)
        resolve()
      }
      this.waiters.add(wake)
    })
  }

  wake(): void {
    for (const wake of [...this.waiters]) wake()
  }

  send(live: Live, frame: Record<string, unknown>): void {
    live.record.framesSent++
    // A zombie swallows everything: the peer sees nothing, the server believes it sent.
    if (live.record.state === 'zombie') return
    live.ws.send(JSON.stringify(frame), () => {})
  }

  /** A SYSTEM ping (§13.5): resolves `true` once echoed with its opaque, `false` if the connection closes first. */
  ping(live: Live): Promise<boolean> {
    if (live.record.state === 'closed') return Promise.resolve(false)
    const opaque = id(8)
    const { frame, mid } = systemFrame(live.record.id, 'ping', { opaque }, this.now())
    return new Promise<boolean>((resolve) => {
      live.pending.set(mid, {
        attempt: undefined,
        opaque,
        timer: undefined,
        resolve: (outcome) => resolve(outcome === 'ack'),
      })
      live.record.pingsSent++
      this.send(live, frame)
    })
  }

  settle(waiter: Waiter, outcome: StreamAttempt['outcome']): void {
    if (waiter.timer) clearTimeout(waiter.timer)
    waiter.resolve(outcome)
  }

  /** Closes every connection at once (the emulator is closing): nothing is taken any more. */
  terminateAll(): void {
    this.closed = true
    this.wake()
    for (const live of [...this.live.values()]) {
      live.ws.terminate()
      this.onClose(live)
    }
  }

  /** After the pushes settled: the WebSocket server itself. */
  closeServer(): Promise<void> {
    return new Promise<void>((resolve) => this.wss.close(() => resolve()))
  }

  private subscribed(record: StreamConnectionRecord, type: string, topic: string): boolean {
    return record.subscriptions.some(
      (s) => s.type === type && (s.topic === topic || (type === 'EVENT' && s.topic === '*')),
    )
  }

  private register(ws: WebSocket, ticket: Ticket): void {
    const record = newRecord(ticket, this.now())
    const live: Live = {
      record,
      ws,
      pending: new Map(),
      answered: new Set(),
      expired: new Set(),
      timers: new Set(),
    }
    if (this.closed) {
      ws.terminate()
      return
    }
    this.records.push(record)
    this.live.set(record.id, live)
    ws.on('error', () => {})
    ws.on('message', (data, isBinary) => this.onFrame(live, data, isBinary))
    ws.on('close', () => this.onClose(live))
    if (this.settings.pingIntervalMs > 0) {
      const timer = setInterval(() => {
        void this.ping(live)
      }, this.settings.pingIntervalMs)
      live.timers.add(timer)
    }
    this.wake()
  }

  private onClose(live: Live): void {
    const { record } = live
    if (record.state === 'closed') return
    record.state = 'closed'
    record.closedAt = this.now()
    for (const timer of live.timers) clearTimeout(timer)
    live.timers.clear()
    for (const waiter of live.pending.values()) this.settle(waiter, 'closed')
    live.pending.clear()
    this.live.delete(record.id)
  }

  private onFrame(live: Live, raw: RawData, isBinary: boolean): void {
    const { record } = live
    if (record.state === 'zombie') return
    // §13.2: text frames only.
    if (isBinary) {
      record.invalidFrames++
      return
    }
    const frame = parseJson(raw.toString())
    const headers = isObject(frame) && isObject(frame.headers) ? frame.headers : undefined
    const mid = headers?.messageId
    // §13.3 (server-side validation): non-empty headers with the messageId.
    if (!isObject(frame) || typeof mid !== 'string' || mid === '') {
      record.invalidFrames++
      return
    }
    const waiter = live.pending.get(mid)
    if (!waiter) {
      if (live.answered.has(mid)) record.duplicateAcks++
      else if (live.expired.has(mid)) record.lateAcks++
      else record.invalidFrames++
      return
    }
    live.pending.delete(mid)
    live.answered.add(mid)
    this.answered(live, waiter, frame)
  }

  private answered(live: Live, waiter: Waiter, frame: Record<string, unknown>): void {
    const { record } = live
    const data = typeof frame.data === 'string' ? parseJson(frame.data) : frame.data
    const code = typeof frame.code === 'number' ? frame.code : Number(frame.code)
    if (waiter.opaque !== undefined) {
      const echoed = isObject(data) && data.opaque === waiter.opaque
      if (echoed) record.pingsAnswered++
      this.settle(waiter, echoed ? 'ack' : 'later')
      return
    }
    record.acks++
    const attempt = waiter.attempt
    if (attempt) {
      attempt.ackCode = code
      attempt.ackData = data
    }
    const later = code !== 200 || (isObject(data) && data.status === 'LATER')
    this.settle(waiter, later ? 'later' : 'ack')
  }
}
