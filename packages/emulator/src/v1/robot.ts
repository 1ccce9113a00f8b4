import { randomId } from '../context'
import { templateText } from '../robot/state'
import { invalid, missing, text, tokenOrg, type V1Ctx, V1Error, type V1Routes } from './context'

function recipients(body: Record<string, unknown>): string[] {
  const userIds = body.userIds
  if (userIds === undefined || (Array.isArray(userIds) && userIds.length === 0)) throw missing('userIds')
  if (!Array.isArray(userIds) || userIds.some((id) => typeof id !== 'string' || id === '')) {
    throw invalid('userIds', 'must be an array of userid strings')
  }
  if (userIds.length > 20) throw invalid('userIds', 'at most 20 users per call')
  return userIds as string[]
}

// Stream reference §7: msgParam travels as a JSON string; an object is refused with HTTP 400.
export function messageParams(body: Record<string, unknown>): Record<string, unknown> {
  const raw = body.msgParam
  if (raw === undefined || raw === '') throw missing('msgParam')
  if (typeof raw !== 'string') throw invalid('msgParam', 'must be a JSON string, not a JSON object')
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch {
    throw invalid('msgParam', 'is not valid JSON')
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw invalid('msgParam', 'must be the JSON text of an object')
  }
  return parsed as Record<string, unknown>
}

/** The request's robotCode, which must be a robot of the token's organisation. */
export function robotOf(ctx: V1Ctx): string {
  const org = tokenOrg(ctx)
  const robotCode = text(ctx.body, 'robotCode')
  // A robot's robotCode is its app's key: an internal app's appKey, an ISV app's suiteKey.
  if (!org.apps.has(robotCode) && ctx.token?.suiteKey !== robotCode) {
    throw new V1Error(400, 'InvalidParameter', `robotCode ${robotCode} is not a robot of this organisation`)
  }
  return robotCode
}

function recordReply(
  ctx: V1Ctx,
  conversationId: string,
  via: 'batchSend' | 'groupSend',
  msgKey: string,
  msgParam: Record<string, unknown>,
  processQueryKey: string,
): void {
  ctx.emu.state.robot.replies.push({
    conversationId,
    via,
    msgtype: msgKey,
    text: templateText(msgParam),
    body: { msgKey, msgParam },
    processQueryKey,
    recalled: false,
    time: ctx.emu.now(),
  })
}

function batchSend(ctx: V1Ctx): Record<string, unknown> {
  const org = tokenOrg(ctx)
  const robotCode = robotOf(ctx)
  const userIds = recipients(ctx.body)
  const msgKey = text(ctx.body, 'msgKey')
  const msgParam = messageParams(ctx.body)
  const processQueryKey = randomId(16)
  const invalidUserIds = userIds.filter((id) => !org.users.has(id))
  ctx.emu.state.robotMessages.push({
    api: 'oToMessages/batchSend',
    corpId: org.corpId,
    robotCode,
    userIds,
    msgKey,
    msgParam,
    processQueryKey,
    invalidUserIds,
    time: ctx.emu.now(),
  })
  for (const conv of ctx.emu.state.robot.conversations.values()) {
    if (conv.type === 'dm' && conv.robotCode === robotCode && userIds.includes(conv.userIds[0] ?? '')) {
      recordReply(ctx, conv.id, 'batchSend', msgKey, msgParam, processQueryKey)
    }
  }
  return { processQueryKey, invalidStaffIdList: invalidUserIds, flowControlledStaffIdList: [] }
}

/** `groupMessages/send`: a message in a group the robot is in. */
function groupSend(ctx: V1Ctx): Record<string, unknown> {
  const robotCode = robotOf(ctx)
  const conversationId = text(ctx.body, 'openConversationId')
  const conv = ctx.emu.state.robot.conversations.get(conversationId)
  if (conv?.type !== 'group' || conv.robotCode !== robotCode) {
    throw new V1Error(400, 'InvalidParameter', `the robot is not in conversation ${conversationId}`)
  }
  const msgKey = text(ctx.body, 'msgKey')
  const msgParam = messageParams(ctx.body)
  const processQueryKey = randomId(16)
  recordReply(ctx, conv.id, 'groupSend', msgKey, msgParam, processQueryKey)
  return { processQueryKey }
}

/** Robots (Stream reference §7): proactive one-to-one messages. */
export const robotRoutes: V1Routes = {
  'POST /v1.0/robot/oToMessages/batchSend': { auth: 'access', handle: batchSend },
  'POST /v1.0/robot/groupMessages/send': { auth: 'access', handle: groupSend },
}
