/** A Stream subscription, as sent to `connections/open` (§13.1). */
export interface StreamSubscription {
  type: string
  topic: string
}

/**
 * How an app receives events (DingTalk's console picks one mode per app): `auto` (default) sends them
 * over Stream while the app has an open connection subscribed to EVENT `*`, over its HTTP callback
 * otherwise; `stream` always over Stream (pushes wait for a connection); `http` never over Stream.
 *
 * @example
 * ```ts
 * emu.stream.setMode('dingemuappkey0001', 'http')
 * ```
 */
export type StreamMode = 'auto' | 'stream' | 'http'

/**
 * Stream gateway behaviour; every value can be changed later through `emu.stream.settings`.
 *
 * @example
 * ```ts
 * await startEmulator({ stream: { ackTimeoutMs: { EVENT: 500, CALLBACK: 200 }, disconnectCloseMs: 50 } })
 * ```
 */
export interface StreamSettings {
  /**
   * How long a pushed frame waits for its ACK before it is pushed again with a new `messageId` (§13.4).
   * Defaults: CALLBACK 2000 ms (the server's unary wait), EVENT 60 000 ms (the official Node SDK's own
   * note; users see redeliveries 16–60 s later).
   */
  ackTimeoutMs?: { EVENT?: number; CALLBACK?: number }
  /** Delay before a push answered `LATER` (or whose connection closed) is pushed again (default 1000 ms). */
  retryDelayMs?: number
  /** Frames sent per push before it gives up (default 100; waiting for a connection does not count). */
  maxAttempts?: number
  /** Time between the `disconnect` frame and the TCP close (default 10 000 ms, §13.5). */
  disconnectCloseMs?: number
  /** Lifetime of a connection ticket (default 90 000 ms of the emulator clock, §13.1). */
  ticketTtlMs?: number
  /** Interval of the server's SYSTEM `ping` on each connection (default 30 000 ms; 0 = never). */
  pingIntervalMs?: number
  /** Largest frame accepted from a client (default 1 MiB); a larger one closes the connection (1009). */
  maxFrameBytes?: number
  /** Random source for the connection each push goes to (default `Math.random`). */
  random?: () => number
}

/**
 * One Stream connection as the emulator saw it.
 *
 * @example
 * ```ts
 * const [conn] = await emu.stream.waitForConnections(1)
 * expect(conn!.subscriptions).toContainEqual({ type: 'EVENT', topic: '*' })
 * ```
 */
export interface StreamConnectionRecord {
  /** The `connectionId` header of its frames. */
  id: string
  clientId: string
  subscriptions: StreamSubscription[]
  /**
   * `open`; `disconnecting` after a `disconnect` frame (no more pushes, TCP closes later); `zombie` after
   * {@link StreamEmulator.zombie} (the server still pushes to it, nothing gets through); `closed`.
   */
  state: 'open' | 'disconnecting' | 'zombie' | 'closed'
  openedAt: number
  closedAt?: number
  /** The `ua` sent to `connections/open`. */
  ua?: string
  /** Frames sent to it (pushes and SYSTEM frames). */
  framesSent: number
  /** ACKs that answered a push still waiting for one (ping echoes are counted in `pingsAnswered`). */
  acks: number
  /** ACKs for a frame already answered (§13.3: one ACK per frame). */
  duplicateAcks: number
  /** ACKs for a frame whose wait had already ended (timed out): the push had gone elsewhere. */
  lateAcks: number
  /** Frames from the client that were not a JSON ACK with `headers.messageId`. */
  invalidFrames: number
  pingsSent: number
  /** SYSTEM pings answered with their `opaque` echoed. */
  pingsAnswered: number
}

/**
 * One frame of a push and what became of it.
 *
 * @example
 * ```ts
 * expect(delivery.attempts.map((a) => a.outcome)).toEqual(['timeout', 'ack'])
 * ```
 */
export interface StreamAttempt {
  messageId: string
  connectionId: string
  sentAt: number
  /** `ack` answered (EVENT `SUCCESS`, any CALLBACK ACK with code 200), `later` (EVENT `LATER` or an ACK code ≠ 200), `timeout`, `closed`. */
  outcome: 'pending' | 'ack' | 'later' | 'timeout' | 'closed'
  ackCode?: number
  /** The ACK's `data`, parsed when it was JSON. */
  ackData?: unknown
}

/**
 * What a push ended with.
 *
 * @example
 * ```ts
 * const { ok, ack } = await emu.stream.callback(appKey, '/v1.0/card/instances/callback', data).done
 * ```
 */
export interface StreamDeliveryResult {
  ok: boolean
  /** The accepted ACK's `data`, parsed when it was JSON (e.g. `{ response: … }` for a CALLBACK). */
  ack?: unknown
  attempts: number
  /** Why it failed: `gave up after N attempts`, `emulator closed`. */
  reason?: string
}

/**
 * One push (an event or a callback) to a client, across its redeliveries.
 *
 * @example
 * ```ts
 * const d = emu.stream.deliveries.find((d) => d.headers.eventType === 'user_add_org')!
 * expect(d.redeliveries).toBe(0)
 * ```
 */
export interface StreamDeliveryRecord {
  id: number
  clientId: string
  type: 'EVENT' | 'CALLBACK'
  topic: string
  /** The headers that stay the same on every redelivery (`eventType`, `eventId`, `eventCorpId`, …). */
  headers: Record<string, string>
  /** The frame's `data` before it is JSON-encoded. */
  data: unknown
  attempts: StreamAttempt[]
  /** Frames sent after the first one. */
  redeliveries: number
  done: Promise<StreamDeliveryResult>
  result?: StreamDeliveryResult
}

/**
 * A push to make: {@link StreamEmulator.push}.
 *
 * @example
 * ```ts
 * emu.stream.push({ clientId, type: 'CALLBACK', topic: '/v1.0/graph/api/invoke', data: { x: 1 } })
 * ```
 */
export interface StreamPushSpec {
  clientId: string
  type: 'EVENT' | 'CALLBACK'
  topic: string
  headers?: Record<string, string>
  /** JSON-encoded into the frame's `data` unless already a string. */
  data: unknown
}

/**
 * The Stream side of the emulator: the gateway's state, pushes, faults and introspection.
 *
 * @example
 * ```ts
 * const emu = await startEmulator({ stream: { disconnectCloseMs: 100 } })
 * // … start a Stream client against emu.url …
 * const [conn] = await emu.stream.waitForConnections(1)
 * emu.stream.disconnect(conn!.id, { reason: 'connection is expired' })
 * await emu.stream.waitForConnections(1) // the client opened a new one
 * ```
 */
export interface StreamEmulator {
  /** Every connection ever opened, oldest first. */
  readonly connections: readonly StreamConnectionRecord[]
  /** Every push, oldest first. */
  readonly deliveries: readonly StreamDeliveryRecord[]
  /** The live settings (defaults filled in); change them at any time. */
  readonly settings: Required<Omit<StreamSettings, 'ackTimeoutMs'>> & {
    ackTimeoutMs: { EVENT: number; CALLBACK: number }
  }
  /** The connections that take pushes now (`open`, or `zombie`: the server cannot tell), of one client or all. */
  live(clientId?: string): StreamConnectionRecord[]
  /** Resolves once at least `count` connections (of `clientId`, when given) take pushes. */
  waitForConnections(count: number, clientId?: string): Promise<StreamConnectionRecord[]>
  /** Sets how an app (appKey or suiteKey) receives events. */
  setMode(clientId: string, mode: StreamMode): void
  modeOf(clientId: string): StreamMode
  /** Pushes an EVENT frame (topic `*`) with camelCase `data` to the client (§13.2). */
  event(
    clientId: string,
    eventType: string,
    data: Record<string, unknown>,
    options?: { corpId?: string; eventId?: string },
  ): StreamDeliveryRecord
  /** Pushes a CALLBACK frame on a topic; `done` resolves with the ACK's `data`. */
  callback(clientId: string, topic: string, data: unknown): StreamDeliveryRecord
  /** Pushes any frame. */
  push(spec: StreamPushSpec): StreamDeliveryRecord
  /** Sends a SYSTEM ping now; resolves `true` once answered with the same `opaque`, `false` if it closes first. */
  ping(connectionId: string): Promise<boolean>
  /**
   * Fault: a server `disconnect` frame (§13.5). From that moment the connection takes no pushes; its TCP
   * connection closes `closeAfterMs` later (default `settings.disconnectCloseMs`).
   */
  disconnect(connectionId: string, options?: { reason?: string; closeAfterMs?: number }): void
  /** Fault: the connection goes silently dead: nothing is read or written, no close; pushes to it time out. */
  zombie(connectionId: string): void
  /** Fault: the next `times` (default 1) `connections/open` answers name an endpoint that refuses connections. */
  unreachable(times?: number): void
  /**
   * Fault: the next `times` (default 1) pushes are each delivered once more with a new `messageId`, to a
   * connection chosen at random again (§13.4): `after: 'ack'` (default) once the first frame was ACKed —
   * DingTalk redelivers even after a correct ACK —, `after: 'send'` right after the first frame, both then in
   * flight at once, as when DingTalk's ACK wait runs out while the app is still handling it. The push ends
   * when both frames are answered.
   */
  redeliver(times?: number, options?: { after?: 'ack' | 'send' }): void
  /** Resolves once no push is in flight. */
  idle(): Promise<void>
}
