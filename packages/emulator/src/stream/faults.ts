import type { LiveConnections } from './connections'
import { systemFrame } from './frames'
import type { StreamEmulator } from './types'

/**
 * A server `disconnect` (§13.5): the SYSTEM frame, then no more pushes on that connection, and its TCP
 * connection closed `closeAfterMs` later (a peer that does not answer the close handshake is cut 1 s on).
 */
export function disconnect(
  connections: LiveConnections,
  connectionId: string,
  options: { reason?: string; closeAfterMs?: number },
  now: number,
  settings: StreamEmulator['settings'],
): void {
  const live = connections.find(connectionId)
  const reason = options.reason ?? 'connection is expired'
  connections.send(live, systemFrame(live.record.id, 'disconnect', { reason }, now).frame)
  live.record.state = 'disconnecting'
  const timer = setTimeout(() => {
    live.timers.delete(timer)
    live.ws.close(1000, 'disconnect')
    const cut = setTimeout(() => live.ws.terminate(), 1_000)
    live.timers.add(cut)
  }, options.closeAfterMs ?? settings.disconnectCloseMs)
  live.timers.add(timer)
}

/** A connection gone silently dead: nothing is read or written, no close; pushes to it time out. */
export function zombie(connections: LiveConnections, connectionId: string): void {
  const live = connections.find(connectionId)
  live.record.state = 'zombie'
  live.ws.pause()
  for (const timer of live.timers) clearTimeout(timer)
  live.timers.clear()
}
