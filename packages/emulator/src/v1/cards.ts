import type { CardDeliveryRecord, CardInstanceRecord, CardSecond } from '../cards'
import { randomId } from '../context'
import type { OrgState } from '../state'
import { tokenOrg, type V1Ctx, V1Error, type V1RouteDef, type V1Routes } from './context'

// Interactive cards (§14.4; field names from the official Python Stream SDK's
// card_replier.py). Error codes are the ones DingTalk's public docs list for the card APIs
// (`param.cardTemplateIdEmpty`, `param.outTrackIdEmpty`, `param.openSpaceModelInvalid`, `param.userIdNotExist`,
// `invalidParameter.cardTemplate.notFound`); `param.cardInstanceNotExist`, `param.openSpaceIdInvalid` and
// `param.outTrackIdDuplicated` are this emulator's names where the docs found were silent (unverified).

const MAX_SECONDS = 3600

const bad = (code: string, message: string): V1Error => new V1Error(400, code, message)

/** §14.4: a rate limit is HTTP 403 with `QpsLimit` in the body. */
const qpsLimit = (): V1Error =>
  new V1Error(
    403,
    'Forbidden.AccessDenied.QpsLimitForApi',
    'QpsLimit: the card API is called above its QPS limit',
  )

function appOf(ctx: V1Ctx): string {
  return ctx.token?.appKey ?? ctx.token?.suiteKey ?? ctx.token?.corpId ?? 'anonymous'
}

function countSecond(ctx: V1Ctx): CardSecond {
  const { seconds } = ctx.emu.state.cards
  const appId = appOf(ctx)
  const second = Math.floor(ctx.emu.now() / 1000)
  const key = `${appId}:${second}`
  let entry = seconds.get(key)
  if (entry === undefined) {
    entry = { appId, second, accepted: 0, refused: 0 }
    seconds.set(key, entry)
    if (seconds.size > MAX_SECONDS) seconds.delete(seconds.keys().next().value as string)
  }
  return entry
}

/**
 * The per-app card QPS limit and the failures armed by `emu.cards.failNext`, before the route runs;
 * `unsuccessful` answers HTTP 200 with `"success": false` (§14.4: deliver does this).
 */
function limited(handle: (ctx: V1Ctx) => Record<string, unknown>): V1RouteDef {
  return {
    auth: 'access',
    handle(ctx) {
      const cards = ctx.emu.state.cards
      const entry = countSecond(ctx)
      const armed = cards.armed[0]
      if (armed !== undefined) {
        if (--armed.remaining <= 0) cards.armed.shift()
        if (armed.kind === 'QpsLimit') {
          entry.refused++
          throw qpsLimit()
        }
        entry.accepted++
        return { success: false, errorCode: 'sendCardMessageFailed', errorMsg: '发送卡片失败' }
      }
      if (cards.qps > 0 && entry.accepted >= cards.qps) {
        entry.refused++
        throw qpsLimit()
      }
      entry.accepted++
      return handle(ctx)
    },
  }
}

const record = (value: unknown): Record<string, unknown> | undefined =>
  value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined

function paramMap(value: unknown, name: string): Record<string, string> {
  const map = record(record(value)?.cardParamMap) ?? {}
  for (const [key, v] of Object.entries(map)) {
    if (typeof v !== 'string') throw bad('param.invalid', `${name}.cardParamMap.${key} must be a string`)
  }
  return map as Record<string, string>
}

function privateMaps(value: unknown): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {}
  for (const [userId, data] of Object.entries(record(value) ?? {}))
    out[userId] = paramMap(data, 'privateData')
  return out
}

function outTrackIdOf(ctx: V1Ctx): string {
  const id = ctx.body.outTrackId
  if (typeof id !== 'string' || id === '') throw bad('param.outTrackIdEmpty', '业务标识 outTrackId 为空')
  return id
}

function cardOf(ctx: V1Ctx): CardInstanceRecord {
  const id = outTrackIdOf(ctx)
  const card = ctx.emu.state.cards.instances.get(id)
  if (card === undefined || card.corpId !== tokenOrg(ctx).corpId) {
    throw bad('param.cardInstanceNotExist', `卡片实例不存在: outTrackId ${id}`)
  }
  return card
}

function trackFlow(card: CardInstanceRecord): void {
  const status = card.cardData.flowStatus
  if (status !== undefined && status !== card.flowStatus) card.flowStatusHistory.push(status)
  card.flowStatus = status
}

function history(ctx: V1Ctx, card: CardInstanceRecord, op: CardInstanceRecord['history'][number]['op']) {
  card.history.push({ op, time: ctx.emu.now(), body: structuredClone(ctx.body) })
}

function createCard(ctx: V1Ctx): CardInstanceRecord {
  const org = tokenOrg(ctx)
  const template = ctx.body.cardTemplateId
  if (typeof template !== 'string' || template === '') {
    throw bad('param.cardTemplateIdEmpty', '卡片模版 Id 为空')
  }
  // A published template's id ends in `.schema`; the emulator takes any such id as published.
  if (!template.endsWith('.schema')) {
    throw bad('invalidParameter.cardTemplate.notFound', `不存在的卡片模板: ${template}`)
  }
  const outTrackId = outTrackIdOf(ctx)
  if (ctx.emu.state.cards.instances.has(outTrackId)) {
    throw bad('param.outTrackIdDuplicated', `outTrackId ${outTrackId} is already used`)
  }
  const card: CardInstanceRecord = {
    outTrackId,
    corpId: org.corpId,
    appId: appOf(ctx),
    cardTemplateId: template,
    callbackType: typeof ctx.body.callbackType === 'string' ? ctx.body.callbackType : undefined,
    callbackRouteKey: typeof ctx.body.callbackRouteKey === 'string' ? ctx.body.callbackRouteKey : undefined,
    cardData: paramMap(ctx.body.cardData, 'cardData'),
    privateData: privateMaps(ctx.body.privateData),
    flowStatus: undefined,
    flowStatusHistory: [],
    deliveries: [],
    streams: {},
    history: [],
    createdAt: ctx.emu.now(),
  }
  trackFlow(card)
  history(ctx, card, 'create')
  ctx.emu.state.cards.instances.set(outTrackId, card)
  return card
}

type SpaceResult = {
  spaceType: string
  spaceId: string
  success: boolean
  carrierId?: string
  errorMsg?: string
}

function spacesOf(ctx: V1Ctx): { spaceType: string; spaceId: string }[] {
  const id = ctx.body.openSpaceId
  if (typeof id !== 'string' || id === '') throw bad('param.openSpaceIdEmpty', 'openSpaceId 为空')
  const match = /^dtv1\.card\/\/(.+)$/.exec(id)
  const spaces = (match?.[1] ?? '').split(';').map((part) => {
    const dot = part.indexOf('.')
    return { spaceType: part.slice(0, dot), spaceId: part.slice(dot + 1) }
  })
  if (match === null || spaces.some((s) => !/^(IM_GROUP|IM_ROBOT)$/.test(s.spaceType) || s.spaceId === '')) {
    throw bad(
      'param.openSpaceIdInvalid',
      `openSpaceId ${id} is not dtv1.card//IM_GROUP.<cid> or dtv1.card//IM_ROBOT.<userId>`,
    )
  }
  return spaces
}

function deliverTo(ctx: V1Ctx, org: OrgState, card: CardInstanceRecord): SpaceResult[] {
  const spaces = spacesOf(ctx)
  const group = record(ctx.body.imGroupOpenDeliverModel)
  const robot = record(ctx.body.imRobotOpenDeliverModel)
  return spaces.map(({ spaceType, spaceId }) => {
    const model = spaceType === 'IM_GROUP' ? group : robot
    if (model === undefined) {
      throw bad(
        'param.openSpaceModelInvalid',
        `${spaceType} needs ${spaceType === 'IM_GROUP' ? 'imGroupOpenDeliverModel' : 'imRobotOpenDeliverModel'}`,
      )
    }
    const robotCode = typeof model.robotCode === 'string' ? model.robotCode : undefined
    if (spaceType === 'IM_GROUP' && robotCode === undefined) {
      throw bad('param.openSpaceModelInvalid', 'imGroupOpenDeliverModel.robotCode is required')
    }
    if (robotCode !== undefined && !org.apps.has(robotCode) && ctx.token?.suiteKey !== robotCode) {
      throw bad('chatbot.notFound', `机器人不存在: ${robotCode}`)
    }
    if (spaceType === 'IM_ROBOT' && !org.users.has(spaceId)) {
      return { spaceType, spaceId, success: false, errorMsg: `param.userIdNotExist: ${spaceId}` }
    }
    const delivery: CardDeliveryRecord = {
      spaceType,
      spaceId,
      robotCode,
      carrierId: randomId(12),
      time: ctx.emu.now(),
    }
    card.deliveries.push(delivery)
    return { spaceType, spaceId, success: true, carrierId: delivery.carrierId }
  })
}

function deliver(ctx: V1Ctx): Record<string, unknown> {
  const card = cardOf(ctx)
  history(ctx, card, 'deliver')
  return { success: true, result: deliverTo(ctx, tokenOrg(ctx), card) }
}

function createAndDeliver(ctx: V1Ctx): Record<string, unknown> {
  spacesOf(ctx) // a bad openSpaceId creates nothing
  const card = createCard(ctx)
  const deliverResults = deliverTo(ctx, tokenOrg(ctx), card)
  return { success: true, result: { outTrackId: card.outTrackId, deliverResults } }
}

function update(ctx: V1Ctx): Record<string, unknown> {
  const card = cardOf(ctx)
  const options = record(ctx.body.cardUpdateOptions) ?? {}
  if (ctx.body.cardData !== undefined) {
    const data = paramMap(ctx.body.cardData, 'cardData')
    card.cardData = options.updateCardDataByKey === true ? { ...card.cardData, ...data } : data
  }
  if (ctx.body.privateData !== undefined) {
    const data = privateMaps(ctx.body.privateData)
    card.privateData = options.updatePrivateDataByKey === true ? { ...card.privateData, ...data } : data
  }
  trackFlow(card)
  history(ctx, card, 'update')
  return { success: true, result: true }
}

function streaming(ctx: V1Ctx): Record<string, unknown> {
  const card = cardOf(ctx)
  const { key, content, guid } = ctx.body
  if (typeof key !== 'string' || key === '') throw bad('param.keyEmpty', 'key 为空')
  if (typeof guid !== 'string' || guid === '') throw bad('param.guidEmpty', 'guid 为空')
  if (typeof content !== 'string') throw bad('param.invalid', 'content must be a string')
  // The same frame twice (a retried request) is applied once.
  if (!card.history.some((h) => h.op === 'streaming' && h.body.guid === guid)) {
    const stream = card.streams[key] ?? { content: '', frames: 0, finalized: false, error: false }
    card.streams[key] = stream
    stream.content = ctx.body.isFull === true ? content : stream.content + content
    stream.frames++
    stream.finalized ||= ctx.body.isFinalize === true
    stream.error ||= ctx.body.isError === true
  }
  history(ctx, card, 'streaming')
  return { success: true, result: true }
}

/** `POST|PUT /v1.0/card/…` (§14.4, the AI card's five steps). */
export const cardRoutes: V1Routes = {
  'POST /v1.0/card/instances': limited((ctx) => ({ success: true, result: createCard(ctx).outTrackId })),
  'POST /v1.0/card/instances/deliver': limited(deliver),
  'POST /v1.0/card/instances/createAndDeliver': limited(createAndDeliver),
  'PUT /v1.0/card/instances': limited(update),
  'PUT /v1.0/card/streaming': limited(streaming),
}
