import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { EmulatorState } from '../state'
import { LiveConnections } from './connections'
import { DeliveryQueue } from './deliveries'
import { StreamEvents } from './events'
import { disconnect, zombie } from './faults'
import { type OpenAnswer, TicketOffice } from './open'
import type { StreamEmulator, StreamSettings } from './types'

export { type OpenAnswer, STREAM_OPEN_PATH } from './open'

function resolveSettings(options: StreamSettings): StreamEmulator['settings'] {
  return {
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
}

/**
 * The emulated Stream gateway (§13.1–§13.5): `connections/open` (open.ts), the WebSocket endpoint
 * (connections.ts), at-least-once pushes with redelivery under a new `messageId` (deliveries.ts, events.ts),
 * and the faults users meet (faults.ts), behind `emu.stream`.
 */
export class StreamGateway {
  readonly api: StreamEmulator
  /** The HTTP server's `upgrade` listener. */
  readonly upgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void
  private readonly tickets: TicketOffice
  private readonly connections: LiveConnections
  private readonly queue: DeliveryQueue
  private readonly events: StreamEvents
  private closed = false

  constructor(state: EmulatorState, now: () => number, options: StreamSettings = {}) {
    const settings = resolveSettings(options)
    this.tickets = new TicketOffice(state, now, settings)
    this.connections = new LiveConnections(this.tickets, now, settings)
    this.queue = new DeliveryQueue(this.connections, now, settings)
    this.events = new StreamEvents(state, now, this.connections, this.queue)
    this.upgrade = this.connections.upgrade
    this.api = this.buildApi(settings, now)
  }

  /** Where the WebSocket endpoint lives: the emulator's own origin. */
  listenOn(baseUrl: string): void {
    this.tickets.baseUrl = baseUrl
  }

  /** `POST /v1.0/gateway/connections/open` (§13.1). */
  open(method: string, accept: string, bodyText: string): Promise<OpenAnswer> {
    return this.tickets.open(method, accept, bodyText)
  }

  /** See {@link StreamEvents.routeCorpEvent}. */
  routeCorpEvent(corpId: string, event: Record<string, unknown>, receiveId: string | undefined): boolean {
    return this.events.routeCorpEvent(corpId, event, receiveId)
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.queue.stopTimers()
    this.connections.terminateAll()
    await this.queue.idle()
    await this.connections.closeServer()
  }

  private buildApi(settings: StreamEmulator['settings'], now: () => number): StreamEmulator {
    const { connections, queue, events } = this
    return {
      get connections() {
        return connections.records
      },
      get deliveries() {
        return queue.deliveries
      },
      settings,
      live: (clientId) => connections.takers(clientId).map((l) => l.record),
      waitForConnections: async (count, clientId) => {
        for (;;) {
          const open = connections.takers(clientId).map((l) => l.record)
          if (open.length >= count || connections.closed) return open
          await connections.waitForTaker()
        }
      },
      setMode: (clientId, mode) => events.setMode(clientId, mode),
      modeOf: (clientId) => events.modeOf(clientId),
      event: (clientId, eventType, data, options) => events.event(clientId, eventType, data, options),
      callback: (clientId, topic, data) => queue.push({ clientId, type: 'CALLBACK', topic, data }),
      push: (spec) => queue.push(spec),
      ping: (connectionId) => connections.ping(connections.find(connectionId)),
      disconnect: (connectionId, options = {}) =>
        disconnect(connections, connectionId, options, now(), settings),
      zombie: (connectionId) => zombie(connections, connectionId),
      unreachable: (times = 1) => {
        this.tickets.unreachableLeft += times
      },
      redeliver: (times = 1, options = {}) => queue.redeliver(times, options.after ?? 'ack'),
      idle: () => queue.idle(),
    }
  }
}
