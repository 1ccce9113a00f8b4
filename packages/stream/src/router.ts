import {
  type EventDispatcher,
  type ParsedEvent,
  parseCardCallback,
  parseRobotMessage,
  parseStreamEvent,
  robotDeliveryId,
  type SuiteCallbackClient,
} from '@dingtalk-kit/core'
import { type CallbackRunner, type FrameOutcome, isRobotTopic, TOPIC_CARD } from './callbacks'
import type { Connection } from './connection'
import { ackFor, ackFrame, type DownFrame, disconnectReason, parseFrame } from './frames'
import type { ConcurrencyGate } from './gate'
import type { ConnectionLifecycle } from './lifecycle'
import type { StreamCounters, StreamReporter } from './report'

export interface FrameRouterOptions<S extends SuiteCallbackClient> {
  clientId: string
  dispatcher: EventDispatcher<S>
  callbacks: CallbackRunner
  gate: ConcurrencyGate
  lifecycle: ConnectionLifecycle
  reporter: StreamReporter
  counters: StreamCounters
}

type Handled = 'EVENT' | 'CALLBACK'

/** How long a robot message's handlers may run before the frame is ACKed (DingTalk waits ~2 s, §13.4). */
const ROBOT_ACK_MS = 1500

function typedTopic(topic: string): boolean {
  return topic === TOPIC_CARD || isRobotTopic(topic)
}

/**
 * Takes each frame of every connection: SYSTEM frames answered at once (§13.5), EVENTs through the
 * dispatcher, CALLBACKs through their handler, each ACKed once on its own connection after its handler
 * (§13.3), within the concurrency gate.
 */
export class FrameRouter<S extends SuiteCallbackClient> {
  // Frames being handled or waiting for a slot, and who waits for there to be none.
  private running = 0
  private idlers: (() => void)[] = []

  constructor(private readonly options: FrameRouterOptions<S>) {}

  frame(connection: Connection, text: string): void {
    const { lifecycle, callbacks } = this.options
    this.options.counters.framesReceived++
    lifecycle.markHealthy(connection)
    const frame = parseFrame(text)
    if (typeof frame === 'string') {
      this.invalid(connection, frame)
      return
    }
    if (frame.type === 'SYSTEM') {
      this.system(connection, frame)
      return
    }
    if (frame.type !== 'EVENT' && frame.type !== 'CALLBACK') {
      this.invalid(connection, `unknown frame type ${JSON.stringify(frame.type).slice(0, 40)}`)
      return
    }
    // Closing: frames are no longer taken; unanswered, DingTalk redelivers them to another connection.
    if (lifecycle.closing) return
    if (frame.type === 'CALLBACK' && !callbacks.handlers.has(frame.topic) && !typedTopic(frame.topic)) {
      this.notFound(connection, frame)
      return
    }
    this.take(connection, frame, frame.type)
  }

  invalid(_connection: Connection, why: string): void {
    this.options.counters.invalidFrames++
    this.options.reporter.warn('Malformed Stream frame ignored', { why })
  }

  /** Resolves when no frame is being handled or waiting. */
  idle(): Promise<void> {
    if (this.running === 0) return Promise.resolve()
    return new Promise((resolve) => this.idlers.push(resolve))
  }

  private system(connection: Connection, frame: DownFrame): void {
    if (frame.topic === 'ping') {
      // §13.5: answered at once, the opaque echoed.
      this.send(connection, frame.messageId, ackFrame(frame.messageId, frame.data))
    } else if (frame.topic === 'disconnect') {
      this.options.lifecycle.handover(connection, disconnectReason(frame.data))
    } else {
      this.options.reporter.debug('SYSTEM frame ignored', { topic: frame.topic })
    }
  }

  // §13.3: 404 = topic not supported.
  private notFound(connection: Connection, frame: DownFrame): void {
    const { reporter } = this.options
    this.send(
      connection,
      frame.messageId,
      ackFrame(frame.messageId, { response: null }, 404, 'topic not supported'),
    )
    reporter.warn('CALLBACK for a topic without a handler answered 404', { topic: frame.topic })
    reporter.hook('ack', {
      messageId: frame.messageId,
      type: 'CALLBACK',
      topic: frame.topic,
      status: 'NOT_FOUND',
      sent: true,
    })
  }

  private take(connection: Connection, frame: DownFrame, type: Handled): void {
    connection.inFlight++
    this.running++
    this.handle(connection, frame, type).then(this.settled, this.failed)
  }

  private readonly settled = (): void => {
    if (--this.running > 0 || this.idlers.length === 0) return
    const idlers = this.idlers
    this.idlers = []
    for (const resolve of idlers) resolve()
  }

  // Unreachable by design (deliver() turns a dispatcher's failure into a retry); never an unhandled rejection.
  private readonly failed = (cause: unknown): void => {
    this.options.reporter.warn('A Stream frame could not be handled', { cause })
    this.settled()
  }

  private async handle(connection: Connection, frame: DownFrame, type: Handled): Promise<void> {
    const { gate, reporter, counters } = this.options
    const slot = gate.acquire()
    if (slot !== undefined) await slot
    try {
      const { callbacks } = this.options
      const { outcome, id } =
        type === 'EVENT'
          ? await this.deliverEvent(frame)
          : callbacks.handlers.has(frame.topic)
            ? await callbacks.run(frame)
            : await this.deliverCallback(frame)
      if (outcome.kind === 'ack' && outcome.duplicate) {
        counters.redeliveries++
        reporter.debug('Redelivery acknowledged without running handlers', { type, topic: frame.topic })
        reporter.hook('redelivery', { messageId: frame.messageId, type, topic: frame.topic, id })
      }
      // One ACK per frame, after the handler.
      const sent = this.send(connection, frame.messageId, ackFor(type, frame.messageId, outcome))
      if (reporter.hooks.ack) {
        const status = outcome.kind === 'ack' ? 'SUCCESS' : 'LATER'
        reporter.hook('ack', { messageId: frame.messageId, type, topic: frame.topic, status, sent })
      }
    } finally {
      gate.release()
      connection.inFlight--
      if (connection.state === 'draining' && connection.inFlight === 0) this.options.lifecycle.settleDrained()
    }
  }

  private deliverEvent(frame: DownFrame): Promise<FrameOutcome> {
    const parsed = parseStreamEvent(frame.headers, frame.data)
    const eventId = frame.headers.eventId
    return this.deliver(frame, parsed, eventId ? `id:${eventId}` : `msg:${frame.messageId}`)
  }

  // Robot messages and card callbacks without a raw onCallback handler: typed events through the dispatcher,
  // de-duplicated on their business id (§13.4), the handler's answer sent back in the ACK (§13.3).
  private deliverCallback(frame: DownFrame): Promise<FrameOutcome> {
    const { dispatcher } = this.options
    const parsed =
      frame.topic === TOPIC_CARD
        ? parseCardCallback(frame.data)
        : parseRobotMessage(frame.data, { client: dispatcher.client })
    const id = robotDeliveryId(parsed) ?? `msg:${frame.topic}:${frame.messageId}`
    // §13.4: DingTalk waits about 2 s for a robot message's ACK, then redelivers: a slow handler (an AI
    // answer) finishes in the background. A card's answer is its ACK, so card handlers are awaited.
    if (frame.topic !== TOPIC_CARD) return this.deliver(frame, parsed, id, Date.now() + ROBOT_ACK_MS)
    return this.deliverCard(frame, parsed, id)
  }

  // A redelivered card callback is answered with the update its handler returned the first time.
  private async deliverCard(frame: DownFrame, parsed: ParsedEvent, id: string): Promise<FrameOutcome> {
    const { callbacks } = this.options
    const handled = await this.deliver(frame, parsed, id)
    const { outcome } = handled
    if (outcome.kind !== 'ack') return handled
    if (outcome.duplicate) return { id, outcome: { ...outcome, result: await callbacks.answerOf(id) } }
    await callbacks.rememberAnswer(id, outcome.result)
    return handled
  }

  private async deliver(
    frame: DownFrame,
    parsed: ParsedEvent,
    id: string,
    deadlineAt = Number.POSITIVE_INFINITY,
  ): Promise<FrameOutcome> {
    const { dispatcher, clientId } = this.options
    try {
      const outcome = await dispatcher.deliver([{ parsed, id }], {
        transport: 'stream',
        receiveId: clientId,
        deadlineAt,
        frame,
      })
      return { outcome, id }
    } catch (cause) {
      // A dispatcher given by the app could throw (core's never does).
      dispatcher.reporter.report(
        'CALLBACK_STORE_FAILED',
        'The event dispatcher failed; asking DingTalk to redeliver',
        { cause, transport: 'stream' },
      )
      return { outcome: { kind: 'retry' }, id }
    }
  }

  private send(connection: Connection, messageId: string, text: string): boolean {
    if (connection.send(text)) {
      this.options.counters.acksSent++
      return true
    }
    this.options.counters.acksUnsent++
    this.options.reporter.debug('ACK not sent: its connection closed; DingTalk redelivers the frame', {
      messageId,
    })
    return false
  }
}
