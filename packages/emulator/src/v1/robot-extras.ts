import { invalid, missing, text, type V1Ctx, V1Error, type V1Routes } from './context'
import { robotOf } from './robot'

function keys(body: Record<string, unknown>): string[] {
  const value = body.processQueryKeys
  if (!Array.isArray(value) || value.length === 0) throw missing('processQueryKeys')
  if (value.some((k) => typeof k !== 'string')) throw invalid('processQueryKeys', 'must be strings')
  return value as string[]
}

/** Recall: DM batches (`otoMessages/batchRecall`) or group messages (`groupMessages/recall`). */
function recall(ctx: V1Ctx, group: boolean): Record<string, unknown> {
  robotOf(ctx)
  const conversationId = group ? text(ctx.body, 'openConversationId') : undefined
  const successResult: string[] = []
  const failedResult: Record<string, string> = {}
  for (const key of keys(ctx.body)) {
    const sent = ctx.emu.state.robot.replies.filter(
      (r) =>
        r.processQueryKey === key && (conversationId === undefined || r.conversationId === conversationId),
    )
    const known = ctx.emu.state.robotMessages.some((m) => m.processQueryKey === key)
    if (sent.length === 0 && !(known && !group)) {
      failedResult[key] = 'message not found'
      continue
    }
    for (const r of sent) r.recalled = true
    successResult.push(key)
  }
  return { successResult, failedResult }
}

/** `oToMessages/readStatus?processQueryKey=&robotCode=`: who read a DM batch. */
function readStatus(ctx: V1Ctx): Record<string, unknown> {
  const key = ctx.query.get('processQueryKey') ?? ''
  if (!key) throw missing('processQueryKey')
  const batch = ctx.emu.state.robotMessages.find((m) => m.processQueryKey === key)
  if (!batch) throw new V1Error(400, 'InvalidParameter', `processQueryKey ${key} is unknown`)
  const org = ctx.emu.state.orgs.get(batch.corpId)
  const read = ctx.emu.state.robot.reads.get(key) ?? new Set<string>()
  return {
    sendStatus: 'SUCCESS',
    messageReadInfoList: batch.userIds
      .filter((id) => !batch.invalidUserIds.includes(id))
      .map((userId) => ({
        userId,
        name: org?.users.get(userId)?.name ?? userId,
        readStatus: read.has(userId) ? 'READ' : 'UNREAD',
        ...(read.has(userId) ? { readTimestamp: batch.time } : {}),
      })),
  }
}

/** `messageFiles/download {downloadCode, robotCode}` → a temporary `downloadUrl` (§13.6). */
function download(ctx: V1Ctx): Record<string, unknown> {
  robotOf(ctx)
  const code = text(ctx.body, 'downloadCode')
  if (!ctx.emu.state.robot.files.has(code))
    throw new V1Error(400, 'InvalidParameter', 'downloadCode is invalid')
  const host = ctx.headers.host ?? '127.0.0.1'
  return { downloadUrl: `http://${host}/robot/files/${encodeURIComponent(code)}` }
}

/** Robots: recall, read status and message files. */
export const robotExtraRoutes: V1Routes = {
  'POST /v1.0/robot/otoMessages/batchRecall': { auth: 'access', handle: (ctx) => recall(ctx, false) },
  'POST /v1.0/robot/groupMessages/recall': { auth: 'access', handle: (ctx) => recall(ctx, true) },
  'GET /v1.0/robot/oToMessages/readStatus': { auth: 'access', handle: readStatus },
  'POST /v1.0/robot/messageFiles/download': { auth: 'access', handle: download },
}
