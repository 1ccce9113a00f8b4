import { DingTalkLimitError } from '../errors/limit'
import { DingTalkRateLimitError } from '../errors/request-errors'
import { DingTalkV1ApiError } from '../errors/v1-api'
import type { DingTalkV1Request } from '../http/v1'
import { randomId } from '../store/lease'
import type { Store } from '../store/types'
import { type AiCard, type AiCardInput, startAiCard } from './ai-card'
import type {
  CardCreateInput,
  CardData,
  CardDelivery,
  CardStreamingInput,
  CardsOptions,
  CardTarget,
  CardUpdateInput,
} from './card-types'
import { compact } from './context'
import { requireText } from './limits'
import { createSharedQpsLimiter } from './qps-limiter'

// Field names: §14.4 (the five AI-card steps) and the official Python Stream SDK's
// `card_replier.py`; where both are silent (createAndDeliver, cardUpdateOptions, the deliver result), the
// public DingTalk docs: open.dingtalk.com/document/orgapp/interface-for-creating-a-card-instance,
// …/delivery-card-interface, …/interactive-card-update-interface, …/create-and-deliver-cards,
// …/api-streamingupdate.

/**
 * Interactive cards (api.dingtalk.com v1.0, §14.4). Every call takes a slot of the app's
 * shared QPS budget first (see {@link CardsOptions}); a `QpsLimit` answer is retried after a backoff every
 * instance observes, and thrown as `DingTalkRateLimitError` only once the retries are spent. A
 * `"success": false` inside an HTTP 200 throws `DingTalkV1ApiError` with DingTalk's code and message.
 *
 * @example
 * ```ts
 * const { outTrackId } = await client.cards.createAndDeliver({
 *   cardTemplateId: 'e2a8…c1.schema',
 *   cardData: { title: '请假审批', status: '待审批' },
 *   callbackType: 'STREAM',
 *   to: { group: message.conversationId },
 * })
 * await client.cards.update({ outTrackId, cardData: { status: '已同意' } })
 * ```
 */
export interface CardsApi {
  /**
   * Creates a card instance (`POST /v1.0/card/instances`); it is nowhere until delivered.
   *
   * @example
   * ```ts
   * const { outTrackId } = await client.cards.create({ cardTemplateId, cardData: { title: '日报' } })
   * ```
   */
  create(input: CardCreateInput): Promise<{ outTrackId: string }>
  /**
   * Delivers a created card to a group or a robot chat (`POST /v1.0/card/instances/deliver`). A space DingTalk
   * reports as not delivered (`success: false` in its result) throws `DingTalkV1ApiError`.
   *
   * @example
   * ```ts
   * await client.cards.deliver({ outTrackId, to: { user: 'manager123' } })
   * ```
   */
  deliver(input: { outTrackId: string; to: CardTarget; userIdType?: 1 | 2 }): Promise<CardDelivery[]>
  /**
   * Creates and delivers in one call (`POST /v1.0/card/instances/createAndDeliver`).
   *
   * @example
   * ```ts
   * const { outTrackId } = await client.cards.createAndDeliver({ cardTemplateId, cardData, to: { group: cid } })
   * ```
   */
  createAndDeliver(
    input: CardCreateInput & { to: CardTarget },
  ): Promise<{ outTrackId: string; deliveries: CardDelivery[] }>
  /**
   * Updates a card's data (`PUT /v1.0/card/instances`, `cardUpdateOptions`).
   *
   * @example
   * ```ts
   * await client.cards.update({ outTrackId, cardData: { status: '已驳回' } })
   * ```
   */
  update(input: CardUpdateInput): Promise<void>
  /**
   * Sends one frame into a streaming variable (`PUT /v1.0/card/streaming`). §14.4 asks for
   * 500 ms between frames of one card: {@link CardsApi.stream} paces them for you.
   *
   * @example
   * ```ts
   * await client.cards.streamingUpdate({ outTrackId, key: 'msgContent', content: '第一段', isFull: true })
   * ```
   */
  streamingUpdate(input: CardStreamingInput): Promise<void>
  /**
   * The AI-card pattern (§14.4, five steps): creates the card with `flowStatus` PROCESSING,
   * delivers it, and returns an {@link AiCard} whose `append(text)` switches it to INPUTING and streams the
   * text (at most one frame per `intervalMs`), `finish()` finalises it (FINISHED) and `fail()` marks it FAILED.
   *
   * @example
   * ```ts
   * const card = await client.cards.stream({ cardTemplateId: AI_TEMPLATE, to: { user: message.senderStaffId } })
   * for await (const chunk of llm.stream(question)) card.append(chunk)
   * await card.finish()
   * ```
   */
  stream(input: AiCardInput): Promise<AiCard>
}

/** What {@link createCardsApi} needs of its client. */
export interface CardsDeps {
  requestV1<T>(req: DingTalkV1Request): Promise<T>
  store: Store
  /** Store key prefix of this app's card budget. */
  limiterKey: string
  /** The default robotCode: the client's appKey. */
  appKey: string | undefined
  /** For the `request.api` of errors raised here. */
  apiBaseUrl: string
  /** The cached access_token: fetched before a slot is taken, so no slot waits for a token refresh. */
  getAccessToken?: () => Promise<string>
  /** The client's redactor: removes secrets from text DingTalk sent back. */
  redact?: (text: string) => string
  options?: CardsOptions | undefined
}

const API = '/v1.0/card/instances'

/** DingTalk wants every card variable as a string. */
export function toParamMap(data: CardData | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(data ?? {})) {
    if (value === undefined) continue
    out[key] = typeof value === 'string' ? value : JSON.stringify(value)
  }
  return out
}

function privateMap(data: Record<string, CardData> | undefined) {
  if (data === undefined) return undefined
  const out: Record<string, { cardParamMap: Record<string, string> }> = {}
  for (const [userId, values] of Object.entries(data)) out[userId] = { cardParamMap: toParamMap(values) }
  return out
}

function createBody(input: CardCreateInput, outTrackId: string): Record<string, unknown> {
  requireText(API, 'cardTemplateId', input.cardTemplateId)
  const forward = { supportForward: input.supportForward ?? false }
  return compact({
    cardTemplateId: input.cardTemplateId,
    outTrackId,
    cardData: { cardParamMap: toParamMap(input.cardData) },
    privateData: privateMap(input.privateData),
    callbackType: input.callbackType,
    callbackRouteKey: input.callbackRouteKey,
    userIdType: input.userIdType ?? 1,
    imGroupOpenSpaceModel: forward,
    imRobotOpenSpaceModel: forward,
  })
}

/** The `openSpaceId` and deliver model of a target (§14.4; `card_replier.py`). */
export function deliverFields(to: CardTarget, appKey: string | undefined): Record<string, unknown> {
  const robotCode = to.robotCode ?? appKey
  if ('group' in to) {
    requireText(`${API}/deliver`, 'to.group', to.group)
    if (robotCode === undefined) {
      throw new DingTalkLimitError('INVALID_ARGUMENT', `${API}/deliver: to.robotCode is required`, {
        api: `${API}/deliver`,
        parameter: 'to.robotCode',
      })
    }
    return {
      openSpaceId: `dtv1.card//IM_GROUP.${to.group}`,
      imGroupOpenDeliverModel: compact({ robotCode, atUserIds: to.atUserIds, recipients: to.recipients }),
    }
  }
  requireText(`${API}/deliver`, 'to.user', to.user)
  return {
    openSpaceId: `dtv1.card//IM_ROBOT.${to.user}`,
    imRobotOpenDeliverModel: compact({ spaceType: 'IM_ROBOT', robotCode }),
  }
}

function deliveriesOf(result: unknown): CardDelivery[] {
  const list = Array.isArray(result) ? result : []
  return list.map(
    (entry: Record<string, unknown>) =>
      compact({
        spaceType: String(entry.spaceType ?? ''),
        spaceId: String(entry.spaceId ?? ''),
        success: entry.success !== false,
        carrierId: typeof entry.carrierId === 'string' ? entry.carrierId : undefined,
        errorMsg: typeof entry.errorMsg === 'string' ? entry.errorMsg : undefined,
      }) as CardDelivery,
  )
}

// A space DingTalk did not deliver to, inside an HTTP 200 that says `success: true`.
function checkDelivered(path: string, deps: CardsDeps, deliveries: CardDelivery[]): CardDelivery[] {
  const failed = deliveries.find((d) => !d.success)
  if (failed === undefined) return deliveries
  const redact = deps.redact ?? ((text: string) => text)
  const apiBase = deps.apiBaseUrl
  throw new DingTalkV1ApiError({
    httpStatus: 200,
    apiCode: 'DeliveryFailed',
    apiMessage: redact(`${failed.spaceType}.${failed.spaceId}: ${failed.errorMsg ?? 'not delivered'}`),
    requestId: undefined,
    request: { method: 'POST', api: `${apiBase}${path}`, path, params: {}, time: new Date() },
    attempts: 1,
  })
}

/**
 * Builds `client.cards`: the calls go through `deps.requestV1` (token, redaction, typed v1.0 errors) after
 * a slot of the shared limiter.
 */
export function createCardsApi(deps: CardsDeps): CardsApi {
  const options = deps.options ?? {}
  const qps = options.qps ?? 40
  const limiter =
    qps > 0 ? createSharedQpsLimiter({ store: deps.store, key: deps.limiterKey, limit: qps }) : undefined
  const maxRetries = options.maxRetries ?? 6
  const baseDelayMs = options.baseDelayMs ?? 200
  const maxDelayMs = options.maxDelayMs ?? 4000

  const call = async <T>(req: DingTalkV1Request): Promise<T> => {
    for (let retry = 0; ; retry++) {
      // A slot is spent when it is taken: a call that then waited for a token could land in the next second.
      if (limiter !== undefined) await deps.getAccessToken?.()
      await limiter?.acquire(req.signal)
      try {
        return await deps.requestV1<T>({ ...req, maxRetries: 0 })
      } catch (error) {
        if (!(error instanceof DingTalkRateLimitError) || error.punished) throw error
        if (retry >= maxRetries) {
          throw new DingTalkRateLimitError({
            request: error.request,
            attempts: retry + 1,
            httpStatus: error.httpStatus,
            apiCode: error.apiCode,
            errmsg: error.errmsg,
            requestId: error.requestId,
            punished: false,
          })
        }
        // Half jitter, as the client's own backoff (§10); the pause holds every instance on the store back.
        const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** retry)
        const delayMs = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2)
        await limiter?.pause(delayMs)
        await new Promise((resolve) => setTimeout(resolve, delayMs))
      }
    }
  }

  const api: CardsApi = {
    async create(input) {
      const outTrackId = input.outTrackId ?? randomId(16)
      await call({ method: 'POST', path: API, json: createBody(input, outTrackId) })
      return { outTrackId }
    },
    async deliver(input) {
      requireText(`${API}/deliver`, 'outTrackId', input.outTrackId)
      const json = {
        outTrackId: input.outTrackId,
        userIdType: input.userIdType ?? 1,
        ...deliverFields(input.to, deps.appKey),
      }
      const body = await call<{ result?: unknown }>({ method: 'POST', path: `${API}/deliver`, json })
      return checkDelivered(`${API}/deliver`, deps, deliveriesOf(body.result))
    },
    async createAndDeliver(input) {
      const outTrackId = input.outTrackId ?? randomId(16)
      const json = { ...createBody(input, outTrackId), ...deliverFields(input.to, deps.appKey) }
      const path = `${API}/createAndDeliver`
      const body = await call<{ result?: { deliverResults?: unknown } }>({ method: 'POST', path, json })
      return {
        outTrackId,
        deliveries: checkDelivered(path, deps, deliveriesOf(body.result?.deliverResults)),
      }
    },
    async update(input) {
      requireText(API, 'outTrackId', input.outTrackId)
      const byKey = input.updateByKey ?? true
      const json = compact({
        outTrackId: input.outTrackId,
        cardData: input.cardData === undefined ? undefined : { cardParamMap: toParamMap(input.cardData) },
        privateData: privateMap(input.privateData),
        cardUpdateOptions: { updateCardDataByKey: byKey, updatePrivateDataByKey: byKey },
        userIdType: input.userIdType ?? 1,
      })
      await call({ method: 'PUT', path: API, json })
    },
    async streamingUpdate(input) {
      requireText('/v1.0/card/streaming', 'outTrackId', input.outTrackId)
      requireText('/v1.0/card/streaming', 'key', input.key)
      const json = {
        outTrackId: input.outTrackId,
        guid: input.guid ?? randomId(16),
        key: input.key,
        content: input.content,
        isFull: input.isFull ?? false,
        isFinalize: input.isFinalize ?? false,
        isError: input.isError ?? false,
      }
      await call({ method: 'PUT', path: '/v1.0/card/streaming', json })
    },
    stream: (input) => startAiCard(api, input),
  }
  return api
}
