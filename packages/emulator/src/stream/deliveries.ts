import type { Live, LiveConnections, Waiter } from './connections'
import { messageId } from './frames'
import type {
  StreamAttempt,
  StreamDeliveryRecord,
  StreamDeliveryResult,
  StreamEmulator,
  StreamPushSpec,
} from './types'

/**
 * Pushes (§13.4): each to one randomly chosen connection of its client, again with a new `messageId`
 * after a timeout, a `LATER` or a closed connection, until ACKed or `maxAttempts` frames were sent.
 */
export class DeliveryQueue {
  /** Every push, oldest first. */
  readonly deliveries: StreamDeliveryRecord[] = []
  private readonly pending = new Set<Promise<unknown>>()
  /** Retry delays running, with what ends each early. */
  private readonly sleeps = new Map<NodeJS.Timeout, () => void>()
  private nextDelivery = 1
  /** Fault: pushes left to deliver once more, after their ACK or right after their first frame. */
  private readonly redeliveries = { ack: 0, send: 0 }

  constructor(
    private readonly connections: LiveConnections,
    private readonly now: () => number,
    private readonly settings: StreamEmulator['settings'],
  ) {}

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
    const again = this.redeliveries.send > 0 ? 'send' : this.redeliveries.ack > 0 ? 'ack' : undefined
    if (again) this.redeliveries[again]--
    const done = this.run(delivery, again).then((result) => {
      delivery.result = result
      return result
    })
    delivery.done = done
    this.pending.add(done)
    void done.finally(() => this.pending.delete(done))
    this.deliveries.push(delivery)
    return delivery
  }

  /** Fault: the next `times` pushes are each delivered once more with a new `messageId` (see `emu.stream.redeliver`). */
  redeliver(times: number, after: 'ack' | 'send'): void {
    this.redeliveries[after] += times
  }

  /** Resolves once no push is in flight. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending])
  }

  /** Ends the retry delays at once: a push waiting in one sees the emulator closed and ends. */
  stopTimers(): void {
    for (const [timer, wake] of this.sleeps) {
      clearTimeout(timer)
      wake()
    }
    this.sleeps.clear()
  }

  private async run(
    delivery: StreamDeliveryRecord,
    again: 'ack' | 'send' | undefined,
  ): Promise<StreamDeliveryResult> {
    const frameData = typeof delivery.data === 'string' ? delivery.data : JSON.stringify(delivery.data)
    let afterAck = again === 'ack'
    let inFlight: Promise<unknown> | undefined
    while (!this.connections.closed) {
      if (delivery.attempts.length >= this.settings.maxAttempts) {
        return {
          ok: false,
          attempts: delivery.attempts.length,
          reason: `gave up after ${delivery.attempts.length} attempts`,
        }
      }
      const live = this.taker(delivery)
      if (!live) {
        await this.connections.waitForTaker()
        continue
      }
      const sent = this.attempt(live, delivery, frameData)
      const record = delivery.attempts.at(-1)
      // The fault: the same push again at once, to a connection chosen again, while the first is in flight.
      if (again === 'send' && !inFlight) {
        const second = this.taker(delivery)
        inFlight = second ? this.attempt(second, delivery, frameData) : Promise.resolve()
      }
      const outcome = await sent
      if (outcome === 'ack' && afterAck) {
        afterAck = false // The fault: once more after a correct ACK (§13.4).
        continue
      }
      if (outcome === 'ack') {
        await inFlight
        return {
          ok: true,
          attempts: delivery.attempts.length,
          ...(record?.ackData === undefined ? {} : { ack: record.ackData }),
        }
      }
      // A timeout already waited; LATER and a closed connection wait the retry delay.
      if (outcome !== 'timeout' && !this.connections.closed) await this.sleep(this.settings.retryDelayMs)
    }
    return { ok: false, attempts: delivery.attempts.length, reason: 'emulator closed' }
  }

  // §13.4: each push goes to one randomly chosen connection of the client.
  private taker(delivery: StreamDeliveryRecord): Live | undefined {
    const takers = this.connections.takers(delivery.clientId, delivery.type, delivery.topic)
    return takers[Math.floor(this.settings.random() * takers.length) % Math.max(1, takers.length)]
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
      this.connections.send(live, {
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

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.sleeps.delete(timer)
        resolve()
      }, ms)
      this.sleeps.set(timer, resolve)
    })
  }
}
