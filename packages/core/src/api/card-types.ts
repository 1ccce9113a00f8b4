// The inputs and results of `client.cards` (§14.4); the calls are in cards.ts.

/**
 * Card variables: the template's placeholders. DingTalk takes strings only (`cardParamMap`), so numbers
 * and booleans are sent as their text and objects/arrays as JSON text.
 *
 * @example
 * ```ts
 * const data: CardData = { title: '周报', progress: 80, items: [{ name: 'a' }] }
 * ```
 */
export type CardData = Record<string, unknown>

/**
 * Where a card goes: a group the robot is in (`openSpaceId` `dtv1.card//IM_GROUP.<openConversationId>`), or
 * a user's one-to-one chat with the robot (`dtv1.card//IM_ROBOT.<userId>`).
 *
 * @example
 * ```ts
 * const toGroup: CardTarget = { group: 'cidAbC123==', atUserIds: { manager123: '张三' } }
 * const toUser: CardTarget = { user: 'manager123' }
 * ```
 */
export type CardTarget =
  | {
      /** The group's `openConversationId` (a robot message's `conversationId`). */
      group: string
      /** Default: the client's appKey (an internal app's robot). */
      robotCode?: string
      /** `{ userId: nick }` to @-mention; `{ '@ALL': '@ALL' }` for everybody. */
      atUserIds?: Record<string, string>
      /** Only these users see the card; everybody in the group when absent. */
      recipients?: string[]
    }
  | {
      /** The user's userId: the card appears in their chat with the robot. */
      user: string
      robotCode?: string
    }

/**
 * A card instance to create.
 *
 * @example
 * ```ts
 * const input: CardCreateInput = { cardTemplateId: 'e2a8…c1.schema', cardData: { title: '审批' }, callbackType: 'STREAM' }
 * ```
 */
export interface CardCreateInput {
  /** The template from the card builder (`….schema`). */
  cardTemplateId: string
  /** Your id of the instance (≤ 64 chars), used by every later call; a random one when absent. */
  outTrackId?: string
  cardData?: CardData
  /** Per-user variables: `{ userId: { key: value } }`. */
  privateData?: Record<string, CardData>
  /** How button presses reach you: `STREAM` (the `card_callback` event) or `HTTP` (to `callbackRouteKey`). */
  callbackType?: 'STREAM' | 'HTTP'
  callbackRouteKey?: string
  /** Whether the card may be forwarded (default false). */
  supportForward?: boolean
  /** `1` userId (default), `2` unionId. */
  userIdType?: 1 | 2
}

/**
 * One space of a delivery and how it went.
 *
 * @example
 * ```ts
 * const delivery: CardDelivery = { spaceType: 'IM_GROUP', spaceId: 'cidAbC123==', success: true }
 * ```
 */
export interface CardDelivery {
  spaceType: string
  spaceId: string
  success: boolean
  /** The message carrying the card, when DingTalk says. */
  carrierId?: string
  errorMsg?: string
}

/**
 * A card update: whole values of the listed keys (`updateByKey`, the default) or the whole card data.
 *
 * @example
 * ```ts
 * const update: CardUpdateInput = { outTrackId, cardData: { status: '已同意' } }
 * ```
 */
export interface CardUpdateInput {
  outTrackId: string
  cardData?: CardData
  privateData?: Record<string, CardData>
  /** Change only the keys given (default `true`); `false` replaces the card data. */
  updateByKey?: boolean
  userIdType?: 1 | 2
}

/**
 * One frame into a streaming variable of a card (`PUT /v1.0/card/streaming`).
 *
 * @example
 * ```ts
 * const frame: CardStreamingInput = { outTrackId, key: 'msgContent', content: '正在思考…', isFull: true }
 * ```
 */
export interface CardStreamingInput {
  outTrackId: string
  /** The template's streaming variable. */
  key: string
  content: string
  /** `true`: `content` replaces the value; `false` (default): it is appended. */
  isFull?: boolean
  /** The last frame of this key. */
  isFinalize?: boolean
  /** The stream broke: the card shows its error state. */
  isError?: boolean
  /** Frame id for de-duplication (random when absent). */
  guid?: string
}

/**
 * The shared rate limit of `client.cards` (`cards` in the client options).
 *
 * @example
 * ```ts
 * createDingTalkClient(credentials, { store: redisStore({ client: redis }), cards: { qps: 40, maxRetries: 6 } })
 * ```
 */
export interface CardsOptions {
  /**
   * Card calls per second for this app across every instance on the client's store (default 40: §14.4,
   * "the card APIs allow about 40 QPS"). `0` turns the limiter off.
   */
  qps?: number
  /** How often a `QpsLimit` answer is retried before `DingTalkRateLimitError` is thrown (default 6). */
  maxRetries?: number
  /** First backoff after a `QpsLimit`, doubled per retry, shared by every instance (default 200 ms). */
  baseDelayMs?: number
  /** Longest backoff (default 4000 ms). */
  maxDelayMs?: number
}
