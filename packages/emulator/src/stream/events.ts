import type { EmulatorState } from '../state'
import type { LiveConnections } from './connections'
import type { DeliveryQueue } from './deliveries'
import { id } from './frames'
import type { StreamDeliveryRecord, StreamMode } from './types'

function lowerFirst(name: string): string {
  return name.length === 0 ? name : name[0]!.toLowerCase() + name.slice(1)
}

/**
 * EVENT pushes (§13.2): the frame's headers for an app or suite, and which apps take a corp's events over
 * Stream rather than HTTP (one mode per app, as DingTalk's console picks).
 */
export class StreamEvents {
  private readonly modes = new Map<string, StreamMode>()

  constructor(
    private readonly state: EmulatorState,
    private readonly now: () => number,
    private readonly connections: LiveConnections,
    private readonly queue: DeliveryQueue,
  ) {}

  event(
    clientId: string,
    eventType: string,
    data: Record<string, unknown>,
    options: { corpId?: string; eventId?: string } = {},
  ): StreamDeliveryRecord {
    const suite = this.state.suites.get(clientId)
    const corpId = options.corpId ?? this.corpOfApp(clientId) ?? ''
    return this.queue.push({
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

  setMode(clientId: string, mode: StreamMode): void {
    this.modes.set(clientId, mode)
    this.connections.wake()
  }

  modeOf(clientId: string): StreamMode {
    return this.modes.get(clientId) ?? 'auto'
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

  private corpOfApp(appKey: string): string | undefined {
    for (const org of this.state.orgs.values()) if (org.apps.has(appKey)) return org.corpId
    return undefined
  }

  private usesStream(clientId: string): boolean {
    const mode = this.modeOf(clientId)
    if (mode === 'http') return false
    if (mode === 'stream') return true
    return this.connections.takers(clientId, 'EVENT', '*').length > 0
  }
}
