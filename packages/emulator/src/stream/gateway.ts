import { randomBytes } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { createServer } from 'node:net'
import type { Duplex } from 'node:stream'
// ws 8.23: the WebSocket server Node 20 lacks (it has no built-in one); 8.x supports Node ≥ 10 and is the
// library the official Node Stream SDK itself uses, pinned so the frames the tests see never drift.
import { type RawData, type WebSocket, WebSocketServer } from 'ws'
import type { EmulatorState } from '../state'
import type {
  StreamAttempt,
  StreamConnectionRecord,
  StreamDeliveryRecord,
  StreamDeliveryResult,
  StreamEmulator,
  StreamMode,
  StreamPushSpec,
  StreamSettings,
  StreamSubscription,
} from './types'

export const STREAM_OPEN_PATH = '/v1.0/gateway/connections/open'
const CONNECT_PATH = '/connect'

interface Ticket {
  clientId: string
  subscriptions: StreamSubscription[]
  expiresAt: number
  used: boolean
  ua?: string
}

interface Waiter {
  attempt: StreamAttempt | undefined
  resolve: (outcome: StreamAttempt['outcome']) => void
  timer: NodeJS.Timeout | undefined
  /** For SYSTEM pings: the opaque the echo must carry. */
  opaque?: string
}

interface Live {
  record: StreamConnectionRecord
  ws: WebSocket
  pending: Map<string, Waiter>
  answered: Set<string>
  expired: Set<string>
  timers: Set<NodeJS.Timeout>
}

/** What `connections/open` answers: status, content type and body text. */
export interface OpenAnswer {
  status: number
  contentType: string
  body: string
  /** The request body with the secret removed, for the request log. */
  logBody: unknown
}

function id(bytes = 8): string {
  return randomBytes(bytes).toString('hex')
}

function messageId(): string {
  // Shaped like DingTalk's (§13.2 example `213d841d_972_1898bb26334_70a7`).
  return `${id(4)}_${randomBytes(2).readUInt16BE() % 1000}_${Date.now().toString(16)}_${id(2)}`
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

function lowerFirst(name: string): string {
  return name.length === 0 ? name : name[0]!.toLowerCase() + name.slice(1)
}

// §13.1: "v1.0" APIs answer errors as {code, message, requestid} with an HTTP 4xx.
function v1Error(status: number, code: string, message: string, logBody: unknown): OpenAnswer {
  return {
    status,
    contentType: 'application/json;charset=utf-8',
    body: JSON.stringify({ code, message, requestid: id(8).toUpperCase() }),
    logBody,
  }
}

function refuseUpgrade(socket: Duplex, status: number, reason: string, message: string): void {
  const body = JSON.stringify({ code: reason, message })
  socket.end(
    `HTTP/1.1 ${status} ${status === 400 ? 'Bad Request' : status === 404 ? 'Not Found' : 'Unauthorized'}\r\n` +
      `Connection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  )
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/**
 * The emulated Stream gateway (§13.1–§13.5): `connections/open`, the WebSocket endpoint, at-least-once
 * pushes with redelivery under a new `messageId`, and the faults users meet.
 */
export class StreamGateway {
  readonly api: StreamEmulator
  private readonly tickets = new Map<string, Ticket>()
  private readonly live = new Map<string, Live>()
  private readonly records: StreamConnectionRecord[] = []
  private readonly deliveries: StreamDeliveryRecord[] = []
  private readonly pending = new Set<Promise<unknown>>()
  private readonly modes = new Map<string, StreamMode>()
  private readonly connectionWaiters = new Set<() => void>()
  private readonly timers = new Set<NodeJS.Timeout>()
  private readonly wss: WebSocketServer
  private readonly settings: StreamEmulator['settings']
  private baseUrl = ''
  private unreachableLeft = 0
  private nextDelivery = 1
  private closed = false

  constructor(
    private readonly state: EmulatorState,
    private readonly now: () => number,
    options: StreamSettings = {},
  ) {
    this.settings = {
      ackTimeoutMs: {
        EVENT: options.ackTimeoutMs?.EVENT ?? 60_000,
        CALLBACK: options.ackTimeoutMs?.CALLBACK ?? 2_000,
      },
      retryDelayMs: options.retryDelayMs ?? 1_000,
      maxAttempts: options.maxAttempts ?? 100,
      disconnectCloseMs: options.disconnectCloseMs ?? 10_000,
      ticketTtlMs: options.ticketTtlMs ?? 90_000,
      pingIntervalMs: options.pingIntervalMs ?? 30_000,
      maxFrameBytes: options.maxFrameBytes ?? 1024 * 1024,
      random: options.random ?? Math.random,
    }
    this.wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      maxPayload: this.settings.maxFrameBytes,
    })
    this.api = this.buildApi()
  }

  /** Where the WebSocket endpoint lives: the emulator's own origin. */
  listenOn(baseUrl: string): void {
    this.baseUrl = baseUrl
  }

  private secretOf(clientId: string): string | undefined {
    for (const org of this.state.orgs.values()) {
      const app = org.apps.get(clientId)
      if (app) return app.appSecret
    }
    return this.state.suites.get(clientId)?.suiteSecret
  }

  /** `POST /v1.0/gateway/connections/open` (§13.1). Needs no access token: the client secret is the credential. */
  async open(method: string, accept: string, bodyText: string): Promise<OpenAnswer> {
    if (method !== 'POST') return v1Error(405, 'MethodNotAllowed', 'use POST', undefined)
    let body: unknown
    try {
      body = JSON.parse(bodyText)
    } catch {
      return v1Error(400, 'InvalidParameter.Body', 'the body is not JSON', `<${bodyText.length} bytes>`)
    }
    const logBody = isObject(body)
      ? { ...body, ...(body.clientSecret === undefined ? {} : { clientSecret: '***' }) }
      : body
    if (!isObject(body))
      return v1Error(400, 'InvalidParameter.Body', 'the body must be a JSON object', logBody)
    const { clientId, clientSecret, subscriptions, ua } = body
    if (
      typeof clientId !== 'string' ||
      clientId === '' ||
      typeof clientSecret !== 'string' ||
      clientSecret === ''
    ) {
      return v1Error(400, 'MissingParameter', 'clientId and clientSecret are required', logBody)
    }
    const secret = this.secretOf(clientId)
    if (secret === undefined || secret !== clientSecret) {
      return v1Error(401, 'InvalidAuthentication', '无效的clientId或者clientSecret', logBody)
    }
    if (
      !Array.isArray(subscriptions) ||
      subscriptions.length === 0 ||
      !subscriptions.every((s) => isObject(s) && typeof s.type === 'string' && typeof s.topic === 'string')
    ) {
      return v1Error(
        400,
        'InvalidParameter.Subscriptions',
        'subscriptions must be a non-empty [{type, topic}]',
        logBody,
      )
    }
    const subs = (subscriptions as Record<string, unknown>[]).map((s) => ({
      type: String(s.type),
      topic: String(s.topic),
    }))
    // §13.1: EVENT subscriptions only take the topic `*`.
    if (subs.some((s) => s.type === 'EVENT' && s.topic !== '*')) {
      return v1Error(400, 'InvalidParameter.Subscriptions', 'EVENT only supports the topic *', logBody)
    }
    const ticket = `${id(4)}-${id(2)}-${id(2)}-${id(2)}-${id(6)}`
    this.tickets.set(ticket, {
      clientId,
      subscriptions: subs,
      expiresAt: this.now() + this.settings.ticketTtlMs,
      used: false,
      ...(typeof ua === 'string' ? { ua } : {}),
    })
    let endpoint = `${this.baseUrl.replace(/^http/, 'ws')}${CONNECT_PATH}`
    if (this.unreachableLeft > 0) {
      this.unreachableLeft--
      endpoint = `ws://127.0.0.1:${await freePort()}${CONNECT_PATH}`
    }
    // N: without `Accept: application/json` DingTalk answers XML.
    if (!accept.includes('application/json')) {
      return {
        status: 200,
        contentType: 'application/xml;charset=utf-8',
        body: `<OpenConnectionResponse><endpoint>${endpoint}</endpoint><ticket>${ticket}</ticket></OpenConnectionResponse>`,
        logBody,
      }
    }
    return {
      status: 200,
      contentType: 'application/json;charset=utf-8',
      body: JSON.stringify({ endpoint, ticket }),
      logBody,
    }
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
    const ticket = this.tickets.get(value)
    // §13.1: a ticket is good for one connection within 90 s.
    if (!ticket || ticket.used || ticket.expiresAt <= this.now()) {
      const why = !ticket ? 'unknown' : ticket.used ? 'already used' : 'expired'
      refuseUpgrade(socket, 401, 'InvalidTicket', `the ticket is ${why}`)
      return
    }
    ticket.used = true
    this.tickets.delete(value)
    this.wss.handleUpgrade(req, socket, head, (ws) => this.register(ws, ticket))
  }

  private register(ws: WebSocket, ticket: Ticket): void {
    const record: StreamConnectionRecord = {
      id: id(12),
      clientId: ticket.clientId,
      subscriptions: ticket.subscriptions,
      state: 'open',
      openedAt: this.now(),
      ...(ticket.ua === undefined ? {} : { ua: ticket.ua }),
      framesSent: 0,
      acks: 0,
      duplicateAcks: 0,
      lateAcks: 0,
      invalidFrames: 0,
      pingsSent: 0,
      pingsAnswered: 0,
    }
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
    this.wakeConnectionWaiters()
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

  private settle(waiter: Waiter, outcome: StreamAttempt['outcome']): void {
    if (waiter.timer) clearTimeout(waiter.timer)
    waiter.resolve(outcome)
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

  private send(live: Live, frame: Record<string, unknown>): void {
    live.record.framesSent++
    // A zombie swallows everything: the peer sees nothing, the server believes it sent.
    if (live.record.state === 'zombie') return
    live.ws.send(JSON.stringify(frame), () => {})
  }

  private systemFrame(
    live: Live,
    topic: string,
    data: unknown,
  ): { frame: Record<string, unknown>; mid: string } {
    const mid = messageId()
    return {
      mid,
      frame: {
        specVersion: '1.0',
        type: 'SYSTEM',
        headers: {
          topic,
          messageId: mid,
          contentType: 'application/json',
          time: String(this.now()),
          connectionId: live.record.id,
        },
        data: JSON.stringify(data),
      },
    }
  }

  private ping(live: Live): Promise<boolean> {
    if (live.record.state === 'closed') return Promise.resolve(false)
    const opaque = id(8)
    const { frame, mid } = this.systemFrame(live, 'ping', { opaque })
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

  private wakeConnectionWaiters(): void {
    for (const wake of [...this.connectionWaiters]) wake()
  }

  private subscribed(record: StreamConnectionRecord, type: string, topic: string): boolean {
    return record.subscriptions.some(
      (s) => s.type === type && (s.topic === topic || (type === 'EVENT' && s.topic === '*')),
    )
  }

  private takers(clientId: string | undefined, type?: string, topic?: string): Live[] {
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

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer)
        resolve()
      }, ms)
      this.timers.add(timer)
    })
  }

  private waitForTaker(): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        this.connectionWaiters.delete(wake)
        resolve()
      }
      this.connectionWaiters.add(wake)
    })
  }

  private attempt(
    live: Live,
    delivery: StreamDeliveryRecord,
    frameData: string,
  ): Promise<StreamAttempt['outcome']> {
    const mid = messageId()
    const attempt: StreamAttempt = {
      messageId: mid,
      connectionId: live.record.id,
      sentAt: this.now(),
      outcome: 'pending',
    }
    delivery.attempts.push(attempt)
    delivery.redeliveries = delivery.attempts.length - 1
    return new Promise((resolve) => {
      const waiter: Waiter = {
        attempt,
        resolve: (outcome) => {
          attempt.outcome = outcome
          resolve(outcome)
        },
        timer: setTimeout(() => {
          live.pending.delete(mid)
          live.expired.add(mid)
          waiter.resolve('timeout')
        }, this.settings.ackTimeoutMs[delivery.type]),
      }
      live.pending.set(mid, waiter)
      this.send(live, {
        specVersion: '1.0',
        type: delivery.type,
        headers: {
          ...delivery.headers,
          topic: delivery.topic,
          messageId: mid,
          contentType: 'application/json',
          time: String(this.now()),
          appId: delivery.clientId,
          connectionId: live.record.id,
        },
        data: frameData,
      })
    })
  }

  private async run(delivery: StreamDeliveryRecord): Promise<StreamDeliveryResult> {
    const frameData = typeof delivery.data === 'string' ? delivery.data : JSON.stringify(delivery.data)
    while (!this.closed) {
      if (delivery.attempts.length >= this.settings.maxAttempts) {
        return {
          ok: false,
          attempts: delivery.attempts.length,
          reason: `gave up after ${delivery.attempts.length} attempts`,
        }
      }
      const takers = this.takers(delivery.clientId, delivery.type, delivery.topic)
      // §13.4: each push goes to one randomly chosen connection of the client.
      const live = takers[Math.floor(this.settings.random() * takers.length) % Math.max(1, takers.length)]
      if (!live) {
        await this.waitForTaker()
        continue
      }
      const outcome = await this.attempt(live, delivery, frameData)
      if (outcome === 'ack') {
        const last = delivery.attempts.at(-1)
        return {
          ok: true,
          attempts: delivery.attempts.length,
          ...(last?.ackData === undefined ? {} : { ack: last.ackData }),
        }
      }
      // A timeout already waited; LATER and a closed connection wait the retry delay.
      if (outcome !== 'timeout' && !this.closed) await this.sleep(this.settings.retryDelayMs)
    }
    return { ok: false, attempts: delivery.attempts.length, reason: 'emulator closed' }
  }

  push(spec: StreamPushSpec): StreamDeliveryRecord {
    const delivery: StreamDeliveryRecord = {
      id: this.nextDelivery++,
      clientId: spec.clientId,
      type: spec.type,
      topic: spec.topic,
      headers: { ...spec.headers },
      data: spec.data,
      attempts: [],
      redeliveries: 0,
      done: Promise.resolve({ ok: false, attempts: 0 }),
    }
    const done = this.run(delivery).then((result) => {
      delivery.result = result
      return result
    })
    delivery.done = done
    this.pending.add(done)
    void done.finally(() => this.pending.delete(done))
    this.deliveries.push(delivery)
    return delivery
  }

  event(
    clientId: string,
    eventType: string,
    data: Record<string, unknown>,
    options: { corpId?: string; eventId?: string } = {},
  ): StreamDeliveryRecord {
    const suite = this.state.suites.get(clientId)
    const corpId = options.corpId ?? this.corpOfApp(clientId) ?? ''
    return this.push({
      clientId,
      type: 'EVENT',
      topic: '*',
      headers: {
        eventType,
        eventId: options.eventId ?? id(16),
        eventCorpId: corpId,
        eventBornTime: String(this.now()),
        eventUnifiedAppId: suite?.appId === undefined ? clientId : String(suite.appId),
      },
      data,
    })
  }

  private corpOfApp(appKey: string): string | undefined {
    for (const org of this.state.orgs.values()) if (org.apps.has(appKey)) return org.corpId
    return undefined
  }

  private usesStream(clientId: string): boolean {
    const mode = this.modes.get(clientId) ?? 'auto'
    if (mode === 'http') return false
    if (mode === 'stream') return true
    return this.takers(clientId, 'EVENT', '*').length > 0
  }

  /**
   * Routes a corp event (the pusher's HTTP event, PascalCase) to the apps that take it over Stream: the
   * corp's own apps and the suites it authorised. Returns whether the owner of the corp's HTTP
   * registration (`receiveId`: the corpId for its apps, or a suiteKey/appKey) took it over Stream, in
   * which case the HTTP push is not made (one mode per app).
   */
  routeCorpEvent(corpId: string, event: Record<string, unknown>, receiveId: string | undefined): boolean {
    const org = this.state.orgs.get(corpId)
    if (!org || typeof event.EventType !== 'string') return false
    const targets = [...org.apps.keys()]
    for (const auth of this.state.authorizations.values()) {
      if (auth.corpId === corpId && auth.activated) targets.push(auth.suiteKey)
    }
    const data: Record<string, unknown> = {}
    for (const [key, value] of Object.entries(event)) {
      // §13.2: the corp travels in `eventCorpId`, the type in `eventType`; data keys are camelCase.
      if (key === 'EventType' || key === 'CorpId') continue
      data[lowerFirst(key)] = value
    }
    const eventId = id(16)
    let ownerTookIt = false
    for (const clientId of targets) {
      if (!this.usesStream(clientId)) continue
      this.event(clientId, event.EventType, data, { corpId, eventId })
      if (receiveId === clientId || (receiveId === corpId && org.apps.has(clientId))) ownerTookIt = true
    }
    return ownerTookIt
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    for (const timer of this.timers) clearTimeout(timer)
    this.timers.clear()
    this.wakeConnectionWaiters()
    for (const live of [...this.live.values()]) {
      live.ws.terminate()
      this.onClose(live)
    }
    while (this.pending.size > 0) await Promise.allSettled([...this.pending])
    await new Promise<void>((resolve) => this.wss.close(() => resolve()))
  }

  private buildApi(): StreamEmulator {
    const gateway = this
    const find = (connectionId: string): Live => {
      const live = this.live.get(connectionId)
      if (!live) throw new Error(`no open Stream connection ${connectionId}`)
      return live
    }
    return {
      get connections() {
        return gateway.records
      },
      get deliveries() {
        return gateway.deliveries
      },
      settings: this.settings,
      live: (clientId) => this.takers(clientId).map((l) => l.record),
      waitForConnections: async (count, clientId) => {
        for (;;) {
          const now = this.takers(clientId).map((l) => l.record)
          if (now.length >= count || this.closed) return now
          await this.waitForTaker()
        }
      },
      setMode: (clientId, mode) => {
        this.modes.set(clientId, mode)
        this.wakeConnectionWaiters()
      },
      modeOf: (clientId) => this.modes.get(clientId) ?? 'auto',
      event: (clientId, eventType, data, options) => this.event(clientId, eventType, data, options),
      callback: (clientId, topic, data) => this.push({ clientId, type: 'CALLBACK', topic, data }),
      push: (spec) => this.push(spec),
      ping: (connectionId) => this.ping(find(connectionId)),
      disconnect: (connectionId, options = {}) => {
        const live = find(connectionId)
        const { frame } = this.systemFrame(live, 'disconnect', {
          reason: options.reason ?? 'connection is expired',
        })
        this.send(live, frame)
        // §13.5: no more pushes from now; the TCP connection closes about 10 s later.
        live.record.state = 'disconnecting'
        const timer = setTimeout(() => {
          live.timers.delete(timer)
          live.ws.close(1000, 'disconnect')
          // A peer that does not answer the close handshake is cut.
          const cut = setTimeout(() => live.ws.terminate(), 1_000)
          live.timers.add(cut)
        }, options.closeAfterMs ?? this.settings.disconnectCloseMs)
        live.timers.add(timer)
      },
      zombie: (connectionId) => {
        const live = find(connectionId)
        live.record.state = 'zombie'
        live.ws.pause()
        for (const timer of live.timers) clearTimeout(timer)
        live.timers.clear()
      },
      unreachable: (times = 1) => {
        this.unreachableLeft += times
      },
      idle: async () => {
        while (this.pending.size > 0) await Promise.allSettled([...this.pending])
      },
    }
  }
}
