import { randomId } from '../context'
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
function messageParams(body: Record<string, unknown>): Record<string, unknown> {
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

function batchSend(ctx: V1Ctx): Record<string, unknown> {
  const org = tokenOrg(ctx)
  const robotCode = text(ctx.body, 'robotCode')
  // A robot's robotCode is its app's key: an internal app's appKey, an ISV app's suiteKey.
  if (!org.apps.has(robotCode) && ctx.token?.suiteKey !== robotCode) {
    throw new V1Error(400, 'InvalidParameter', `robotCode ${robotCode} is not a robot of this organisation`)
  }
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
  return { processQueryKey, invalidStaffIdList: invalidUserIds, flowControlledStaffIdList: [] }
}

/** Robots (Stream reference §7): proactive one-to-one messages. */
export const robotRoutes: V1Routes = {
  'POST /v1.0/robot/oToMessages/batchSend': { auth: 'access', handle: batchSend },
}
