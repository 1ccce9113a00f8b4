import type { StreamDeliveryRecord, StreamDeliveryResult } from './stream/types'

/**
 * One streaming variable of a card (`PUT /v1.0/card/streaming`).
 *
 * @example
 * ```ts
 * const stream: CardStreamState | undefined = emu.cards.get(outTrackId)?.streams.msgContent
 * expect(stream).toMatchObject({ content: '你好', finalized: true, error: false })
 * ```
 */
export interface CardStreamState {
  content: string
  /** Frames received for this key. */
  frames: number
  finalized: boolean
  error: boolean
}

/**
 * A delivery of a card to one space.
 *
 * @example
 * ```ts
 * const [first]: CardDeliveryRecord[] = emu.cards.get(outTrackId)!.deliveries
 * expect(first).toMatchObject({ spaceType: 'IM_GROUP', spaceId: 'cid123==' })
 * ```
 */
export interface CardDeliveryRecord {
  /** `IM_GROUP` or `IM_ROBOT`. */
  spaceType: string
  /** The openConversationId (group) or userId (robot chat). */
  spaceId: string
  robotCode: string | undefined
  carrierId: string
  time: number
}

/**
 * What happened to a card, in order.
 *
 * @example
 * ```ts
 * const ops = emu.cards.get(outTrackId)!.history.map((h: CardHistoryEntry) => h.op)
 * expect(ops).toEqual(['create', 'deliver', 'update', 'streaming', 'update'])
 * ```
 */
export interface CardHistoryEntry {
  op: 'create' | 'deliver' | 'update' | 'streaming' | 'callback'
  time: number
  /** The request body as received. */
  body: Record<string, unknown>
}

/**
 * A card instance as the emulator holds it.
 *
 * @example
 * ```ts
 * const card = emu.cards.get(outTrackId)!
 * expect(card.flowStatus).toBe('3')
 * expect(card.streams.msgContent?.content).toBe('你好')
 * ```
 */
export interface CardInstanceRecord {
  outTrackId: string
  corpId: string
  /** The app (appKey or suiteKey) that created it. */
  appId: string
  cardTemplateId: string
  callbackType: string | undefined
  callbackRouteKey: string | undefined
  /** `cardData.cardParamMap`, as last updated. */
  cardData: Record<string, string>
  /** `privateData[userId].cardParamMap`. */
  privateData: Record<string, Record<string, string>>
  /** `cardData.flowStatus` now (AI cards: 1 PROCESSING, 2 INPUTING, 3 FINISHED, 4 EXECUTING, 5 FAILED). */
  flowStatus: string | undefined
  /** Every `flowStatus` the card went through, in order. */
  flowStatusHistory: string[]
  deliveries: CardDeliveryRecord[]
  /** Streamed content by key. */
  streams: Record<string, CardStreamState>
  history: CardHistoryEntry[]
  createdAt: number
}

/**
 * A failure {@link CardsController.failNext} arms: `QpsLimit` (HTTP 403) or `unsuccessful` (HTTP 200, `success: false`).
 *
 * @example
 * ```ts
 * const kind: CardFailureKind = 'unsuccessful'
 * emu.cards.failNext(1, kind)
 * ```
 */
export type CardFailureKind = 'QpsLimit' | 'unsuccessful'

/**
 * Card requests of one app in one second of the emulator clock.
 *
 * @example
 * ```ts
 * const busiest = Math.max(...emu.cards.perSecond(appKey).map((s: CardSecond) => s.accepted + s.refused))
 * ```
 */
export interface CardSecond {
  appId: string
  /** Epoch second. */
  second: number
  /** Requests answered (successfully or with a validation error). */
  accepted: number
  /** Requests refused with `QpsLimit` (by the limit or by {@link CardsController.failNext}). */
  refused: number
}

/**
 * The cards part of the emulator's state (`emu.state.cards`), mutable like the rest of it.
 *
 * @example
 * ```ts
 * const cards: CardsState = emu.state.cards
 * cards.qps = 10
 * expect(cards.instances.size).toBe(1)
 * ```
 */
export interface CardsState {
  instances: Map<string, CardInstanceRecord>
  /** Card requests per app per second above which DingTalk answers `QpsLimit`; 0 = no limit. */
  qps: number
  /** Keyed by `${appId}:${second}`. */
  seconds: Map<string, CardSecond>
  armed: { kind: CardFailureKind; remaining: number }[]
}

export function buildCardsState(qps = 40): CardsState {
  return { instances: new Map(), qps, seconds: new Map(), armed: [] }
}

/**
 * `emu.cards`: inspect card instances, set the card QPS limit, inject failures.
 *
 * @example
 * ```ts
 * emu.cards.failNext(2, 'QpsLimit')
 * await client.cards.update({ outTrackId, cardData: { status: 'done' } })
 * expect(emu.cards.get(outTrackId)?.cardData.status).toBe('done')
 * expect(emu.cards.maxPerSecond().refused).toBe(2)
 * ```
 */
export interface CardsController {
  /** A copy of a card instance, or `undefined`. */
  get(outTrackId: string): CardInstanceRecord | undefined
  /** Copies of every card instance, oldest first. */
  list(): CardInstanceRecord[]
  /** The next `n` card requests fail as `kind` (default `QpsLimit`), before any other check. */
  failNext(n: number, kind?: CardFailureKind): void
  /** Changes the per-app card QPS limit (0: none). */
  setQps(qps: number): void
  /** Card requests per second, oldest first (one app, or every app). */
  perSecond(appId?: string): CardSecond[]
  /** The busiest second's accepted count and the refused total (one app, or every app). */
  maxPerSecond(appId?: string): { accepted: number; attempted: number; refused: number }
  /** Forgets the per-second counts (between measured rounds). */
  resetCounts(): void
  /**
   * A user presses a button of a delivered card: the `/v1.0/card/instances/callback` CALLBACK (§13.6) goes over
   * Stream to the app that created the card. Card data in the ACK's `response.cardData.cardParamMap` is applied
   * to the card, by key when `response.cardUpdateOptions.updateCardDataByKey` is true, else as the whole card
   * data, as `PUT /v1.0/card/instances` does (the reply shape is unverified; the official SDKs answer a card
   * update there).
   */
  press(outTrackId: string, action: CardAction): Promise<StreamDeliveryResult>
}

/**
 * A button press for {@link CardsController.press}.
 *
 * @example
 * ```ts
 * const action: CardAction = { userId: 'zhangsan', actionIds: ['agree'], params: { reason: 'ok' } }
 * ```
 */
export interface CardAction {
  userId: string
  actionIds?: string[]
  params?: Record<string, unknown>
}

type StreamCallback = (clientId: string, topic: string, data: unknown) => StreamDeliveryRecord

// §13.6: the card callback's `data`; `content` and `extension` are JSON text.
function callbackData(card: CardInstanceRecord, action: CardAction): Record<string, unknown> {
  const space = card.deliveries.at(-1)
  return {
    corpId: card.corpId,
    userId: action.userId,
    userIdType: 1,
    outTrackId: card.outTrackId,
    spaceId: space?.spaceId ?? '',
    spaceType: space?.spaceType ?? '',
    type: 'actionCallback',
    extension: '{}',
    content: JSON.stringify({
      cardPrivateData: { actionIds: action.actionIds ?? [], params: action.params ?? {} },
    }),
  }
}

function applyReply(card: CardInstanceRecord, ack: unknown, time: number): void {
  const response = (ack as { response?: unknown } | undefined)?.response as
    | { cardData?: { cardParamMap?: unknown }; cardUpdateOptions?: { updateCardDataByKey?: unknown } }
    | undefined
  const map = response?.cardData?.cardParamMap
  if (map === null || typeof map !== 'object') return
  // As `PUT /v1.0/card/instances`: by key only when `cardUpdateOptions.updateCardDataByKey` says so.
  const byKey = response?.cardUpdateOptions?.updateCardDataByKey === true
  const values = Object.fromEntries(Object.entries(map).map(([key, value]) => [key, String(value)]))
  card.cardData = byKey ? { ...card.cardData, ...values } : values
  card.history.push({ op: 'callback', time, body: { response } as Record<string, unknown> })
}

const copy = <T>(value: T): T => structuredClone(value)

export function createCardsController(
  state: CardsState,
  callback: StreamCallback,
  now: () => number,
): CardsController {
  const seconds = (appId?: string) =>
    [...state.seconds.values()]
      .filter((s) => appId === undefined || s.appId === appId)
      .sort((a, b) => a.second - b.second)
  return {
    get: (outTrackId) => {
      const card = state.instances.get(outTrackId)
      return card === undefined ? undefined : copy(card)
    },
    list: () => [...state.instances.values()].map(copy),
    failNext(n, kind = 'QpsLimit') {
      if (n > 0) state.armed.push({ kind, remaining: n })
    },
    setQps(qps) {
      state.qps = qps
    },
    perSecond: (appId) => seconds(appId).map((s) => ({ ...s })),
    maxPerSecond(appId) {
      let accepted = 0
      let attempted = 0
      let refused = 0
      for (const s of seconds(appId)) {
        accepted = Math.max(accepted, s.accepted)
        attempted = Math.max(attempted, s.accepted + s.refused)
        refused += s.refused
      }
      return { accepted, attempted, refused }
    },
    resetCounts() {
      state.seconds.clear()
    },
    async press(outTrackId, action) {
      const card = state.instances.get(outTrackId)
      if (card === undefined) throw new Error(`no card instance ${outTrackId}`)
      const delivery = callback(card.appId, '/v1.0/card/instances/callback', callbackData(card, action))
      const result = await delivery.done
      if (result.ok) applyReply(card, result.ack, now())
      return result
    },
  }
}
