import {
  createDedupeLedger,
  type DedupeLedger,
  type DeliveryOutcome,
  type EventDispatcher,
} from '@dingtalk-kit/core'
import type { DownFrame } from './frames'

/** The robot message topic (§13.6). */
export const TOPIC_ROBOT = '/v1.0/im/bot/messages/get'
/** The interactive card callback topic (§13.6). */
export const TOPIC_CARD = '/v1.0/card/instances/callback'

/**
 * What a CALLBACK handler receives besides the parsed `data`.
 *
 * @example
 * ```ts
 * stream.onCallback(TOPIC_ROBOT, (message, ctx) => console.log(ctx.topic, ctx.messageId))
 * ```
 */
export interface StreamCallbackContext {
  topic: string
  /** This delivery's `messageId` (a redelivery has a new one). */
  messageId: string
  /** The frame's headers (all strings, §13.2). */
  headers: Readonly<Record<string, string>>
  /** The business id the delivery was de-duplicated on (`robot:<msgId>`, `card:<outTrackId>:…`, `msg:<messageId>`). */
  id: string
}

/**
 * Handles one CALLBACK frame; what it returns (or resolves to) is sent back as the ACK's `{response}`
 * (a card callback's answer updates the card, §13.3). Throwing asks DingTalk to deliver it again.
 *
 * @example
 * ```ts
 * const onCard: StreamCallbackHandler = (data) => ({ cardData: { cardParamMap: { status: 'done' } } })
 * ```
 */
export type StreamCallbackHandler = (data: unknown, context: StreamCallbackContext) => unknown

/** What became of a frame's handlers, and the business id it was de-duplicated on. */
export interface FrameOutcome {
  outcome: DeliveryOutcome
  id: string
}

/** The robot message topics (§13.6). */
export function isRobotTopic(topic: string): boolean {
  return topic === TOPIC_ROBOT || topic === '/v1.0/im/bot/messages/delegate'
}

// §13.4: redeliveries carry a new messageId, so callbacks are de-duplicated on their business id.
function callbackId(topic: string, data: unknown, messageId: string): string {
  const record = data !== null && typeof data === 'object' ? (data as Record<string, unknown>) : {}
  if (isRobotTopic(topic) && typeof record.msgId === 'string' && record.msgId) return `robot:${record.msgId}`
  if (topic === TOPIC_CARD && typeof record.outTrackId === 'string' && record.outTrackId) {
    const content =
      typeof record.content === 'string' ? record.content : JSON.stringify(record.content ?? null)
    return `card:${record.outTrackId}:${String(record.userId ?? '')}:${content}`
  }
  return `msg:${topic}:${messageId}`
}

function safeJson(value: unknown): string | undefined {
  try {
    return JSON.stringify(value)
  } catch {
    return undefined
  }
}

function parseData(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return text // Not JSON: the handler gets the text.
  }
}

export interface CallbackRunnerOptions {
  dispatcher: Pick<EventDispatcher, 'store' | 'reporter'>
  namespace: string
  /** How long a handled id (and its answer) is remembered. */
  ttlMs: number
  inflightTtlMs: number | undefined
  handlers: Record<string, StreamCallbackHandler> | undefined
}

/**
 * Runs CALLBACK handlers at most once per business id across redeliveries and instances (the ledger in the
 * dispatcher's store), and answers a redelivery with the answer the handler gave the first time.
 */
export class CallbackRunner {
  readonly handlers: Map<string, StreamCallbackHandler>
  private readonly ledger: DedupeLedger

  constructor(private readonly options: CallbackRunnerOptions) {
    const { dispatcher, ttlMs, inflightTtlMs } = options
    this.handlers = new Map(Object.entries(options.handlers ?? {}))
    this.ledger = createDedupeLedger({
      store: dispatcher.store,
      doneTtlMs: ttlMs,
      ...(inflightTtlMs === undefined ? {} : { inflightTtlMs }),
      onStoreError: (message, cause) =>
        dispatcher.reporter.report('CALLBACK_STORE_FAILED', message, { cause, transport: 'stream' }),
    })
  }

  /** Remembers a card callback's answer, so a redelivery (handled by the dispatcher) gets the same update. */
  async rememberAnswer(id: string, result: unknown): Promise<void> {
    const json = result === undefined ? undefined : safeJson(result)
    if (json === undefined) return
    await this.options.dispatcher.store
      .set(`${this.ledger.keyFor(this.options.namespace, id)}:response`, json, this.options.ttlMs)
      .catch((cause: unknown) =>
        this.options.dispatcher.reporter.report('CALLBACK_STORE_FAILED', 'Could not remember a card answer', {
          cause,
          transport: 'stream',
        }),
      )
  }

  /** The answer remembered for a redelivered card callback, if any. */
  async answerOf(id: string): Promise<unknown> {
    const stored = await this.options.dispatcher.store
      .get(`${this.ledger.keyFor(this.options.namespace, id)}:response`)
      .catch(() => undefined)
    return stored === undefined ? undefined : (JSON.parse(stored) as unknown)
  }

  async run(frame: DownFrame): Promise<FrameOutcome> {
    const { store, reporter } = this.options.dispatcher
    const data = parseData(frame.data)
    const id = callbackId(frame.topic, data, frame.messageId)
    const key = this.ledger.keyFor(this.options.namespace, id)
    // The answer is kept beside the ledger's mark: a redelivered card callback gets the same card update.
    const responseKey = `${key}:response`
    try {
      const claim = await this.ledger.claim(key, Number.POSITIVE_INFINITY)
      if (claim === 'done') {
        const stored = await store.get(responseKey)
        const result: unknown = stored === undefined ? undefined : JSON.parse(stored)
        return { outcome: { kind: 'ack', result, duplicate: true }, id }
      }
      if (claim === 'busy') return { outcome: { kind: 'retry' }, id }
      let result: unknown
      try {
        const context = { topic: frame.topic, messageId: frame.messageId, headers: frame.headers, id }
        result = await this.handlers.get(frame.topic)?.(data, context)
      } catch (cause) {
        await claim.finish(false)
        reporter.report(
          'CALLBACK_HANDLER_FAILED',
          `A ${frame.topic} callback handler failed; asking DingTalk to redeliver`,
          { eventType: frame.topic, cause, transport: 'stream' },
        )
        return { outcome: { kind: 'retry' }, id }
      }
      const json = result === undefined ? undefined : safeJson(result)
      if (json !== undefined) await store.set(responseKey, json, this.options.ttlMs)
      await claim.finish(true)
      return { outcome: { kind: 'ack', result }, id }
    } catch (cause) {
      reporter.report('CALLBACK_STORE_FAILED', 'The store failed; asking DingTalk to redeliver', {
        eventType: frame.topic,
        cause,
        transport: 'stream',
      })
      return { outcome: { kind: 'retry' }, id }
    }
  }
}
