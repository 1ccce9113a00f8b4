import type { Api, Exchange } from '../exchange'
import { send } from '../server'
import type { EmulatorState } from '../state'
import type { RobotController } from './controller'
import type { RobotConversationRecord } from './state'
import { answerJson, customRobotPost, sessionPost, WebhookRefusal } from './webhooks'

/** Paths this API serves: webhooks, message files and the CLI's control endpoint. */
export function isRobotPath(path: string): boolean {
  return path.startsWith('/robot/') || path.startsWith('/_emulator/robot/')
}

function conversationFor(robot: RobotController, state: EmulatorState, to: string): RobotConversationRecord {
  if (!to.startsWith('group:')) return robot.dm(to)
  const title = to.slice('group:'.length)
  const existing = robot.conversations.find(
    (c) => c.type === 'group' && (c.title === title || c.id === title),
  )
  if (existing) return existing
  const [org] = state.orgs.values()
  return robot.group(title, [...(org?.users.keys() ?? [])])
}

/**
 * `POST /_emulator/robot/say` (for `dingtalk-kit robot say`): says `text` to the robot and waits up to
 * `waitMs` for its reply. Body: `{ text, to?, mode?, url?, atRobot?, from?, waitMs? }`.
 */
async function say(robot: RobotController, state: EmulatorState, exchange: Exchange): Promise<void> {
  let input: Record<string, unknown>
  try {
    input = JSON.parse(exchange.body.bytes.toString('utf8')) as Record<string, unknown>
  } catch {
    return answerJson(exchange, 400, { error: 'the body must be JSON' })
  }
  if (typeof input.text !== 'string' || input.text === '')
    return answerJson(exchange, 400, { error: 'text is required' })
  try {
    const [org] = state.orgs.values()
    const to = typeof input.to === 'string' ? input.to : ([...(org?.users.keys() ?? [])][0] ?? '')
    const conv = conversationFor(robot, state, to)
    const since = robot.replies(conv).length
    const result = await robot.say(conv, input.text, {
      mode: input.mode === 'http' ? 'http' : 'stream',
      ...(typeof input.url === 'string' ? { url: input.url } : {}),
      ...(typeof input.from === 'string' ? { from: input.from } : {}),
      ...(input.atRobot === false ? { atRobot: false } : {}),
    })
    const waitMs = typeof input.waitMs === 'number' ? input.waitMs : 3000
    const reply =
      result.delivered && waitMs > 0
        ? await robot.waitForReply(conv, { since, timeoutMs: waitMs }).catch(() => undefined)
        : undefined
    answerJson(exchange, 200, {
      conversationId: conv.id,
      msgId: result.msgId,
      delivered: result.delivered,
      ok: result.ok,
      ...(result.status === undefined ? {} : { status: result.status }),
      reply: reply ? { via: reply.via, msgtype: reply.msgtype, text: reply.text } : null,
    })
  } catch (error) {
    answerJson(exchange, 400, { error: (error as Error).message })
  }
}

/**
 * Robot endpoints on oapi's host: custom robots' `/robot/send`, session webhooks' `/robot/sendBySession`,
 * the temporary download URLs of message files, and the CLI's control endpoint.
 */
export function robotApi(deps: {
  state: EmulatorState
  now: () => number
  robot: () => RobotController
}): Api {
  const { state, now } = deps
  return {
    bodyLimit: () => 1024 * 1024,
    async dispatch(exchange) {
      const { path, method } = exchange
      if (path.startsWith('/robot/files/') && method === 'GET') {
        const file = state.robot.files.get(decodeURIComponent(path.slice('/robot/files/'.length)))
        if (!file) return answerJson(exchange, 404, { error: 'no such file' })
        return send(
          exchange.res,
          exchange.entry,
          200,
          { 'Content-Type': 'application/octet-stream' },
          file.bytes,
        )
      }
      if (method !== 'POST') return answerJson(exchange, 405, { errcode: 43002, errmsg: '需要POST请求' })
      if (path === '/_emulator/robot/say') return say(deps.robot(), state, exchange)
      try {
        if (path === '/robot/send')
          return answerJson(exchange, 200, customRobotPost(state.robot, exchange, now()))
        if (path === '/robot/sendBySession')
          return answerJson(exchange, 200, sessionPost(state.robot, exchange, now()))
        return answerJson(exchange, 404, { errcode: 404, errmsg: '请求的URI地址不存在' })
      } catch (error) {
        if (!(error instanceof WebhookRefusal)) throw error
        exchange.entry.code = String(error.answer.errcode)
        // DingTalk answers webhook refusals with HTTP 200 and the errcode in the body.
        return answerJson(exchange, 200, error.answer)
      }
    },
  }
}
