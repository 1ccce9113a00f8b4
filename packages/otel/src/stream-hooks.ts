import type { Instruments } from './instruments'
import { ATTRIBUTES as A } from './names'

/**
 * The hooks a Stream client takes (`createStreamClient({ hooks })` of `@dingtalk-kit/stream`), as metrics:
 * reconnects, lost connections, ACKs and redeliveries. Declared here so that this package needs no
 * dependency on the Stream package; it is the same shape as its `StreamHooks`.
 *
 * @example
 * ```ts
 * const stream = createStreamClient({ clientId, clientSecret, dispatcher: routes.dispatcher, hooks: telemetry.streamHooks })
 * ```
 */
export interface StreamTelemetryHooks {
  connect(info: { connectionId: number; host: string; reconnect: boolean }): void
  disconnect(info: { connectionId: number; reason: string; byServer: boolean }): void
  reconnect(info: { attempt: number; delayMs: number; reason: string }): void
  ack(info: {
    messageId: string
    type: 'EVENT' | 'CALLBACK'
    topic: string
    status: 'SUCCESS' | 'LATER' | 'NOT_FOUND'
    sent: boolean
  }): void
  redelivery(info: { messageId: string; type: 'EVENT' | 'CALLBACK'; topic: string; id: string }): void
}

export function streamHooks(m: Instruments, active: () => boolean): StreamTelemetryHooks {
  // Reasons and message ids are free text or per frame: only low-cardinality values become attributes.
  return {
    connect() {},
    disconnect(info) {
      if (active()) m.streamDisconnects.add(1, { [A.byServer]: info.byServer })
    },
    reconnect() {
      if (active()) m.streamReconnects.add(1)
    },
    ack(info) {
      if (!active()) return
      m.streamAcks.add(1, {
        [A.streamType]: info.type,
        [A.streamStatus]: info.status,
        [A.streamSent]: info.sent,
      })
    },
    redelivery(info) {
      if (active()) m.streamRedeliveries.add(1, { [A.streamType]: info.type })
    },
  }
}
