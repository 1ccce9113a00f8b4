import { createHmac } from 'node:crypto'
import { randomId } from '../context'
import type { EmulatorState, OrgState, UserRecord } from '../state'
import type { StreamEmulator } from '../stream/types'
import type { CustomRobotRecord, RobotConversationRecord, RobotReplyRecord } from './state'

/** The robot message topic (§13.6). */
const TOPIC_ROBOT = '/v1.0/im/bot/messages/get'

/**
 * Options of {@link RobotController.say}.
 *
 * @example
 * ```ts
 * await emu.robot.say(group, 'help', { mode: 'http', url: `${app}/dingtalk/robot`, atRobot: true })
 * ```
 */
export interface RobotSayOptions {
  /** `stream` (default): a CALLBACK frame on the robot topic; `http`: a signed POST to the app's robot URL. */
  mode?: 'stream' | 'http'
  /** HTTP mode: where to post (default: the URL set with `setHttpUrl` for the robot). */
  url?: string
  /** Who writes (default: the DM's user, or the group's first member). */
  from?: string
  /** Group: whether the robot is @-mentioned (default true). DingTalk delivers group messages only then (§13.6). */
  atRobot?: boolean
  /** Extra users @-mentioned. */
  at?: string[]
}

/**
 * What {@link RobotController.say} did.
 *
 * @example
 * ```ts
 * const { delivered, status } = await emu.robot.say(dm, 'hi', { mode: 'http', url })
 * ```
 */
export interface RobotSayResult {
  /** `false` when DingTalk would not deliver it (a group message without @robot). */
  delivered: boolean
  msgId: string
  /** The message data as delivered. */
  data: Record<string, unknown>
  /** Stream: whether the ACK came; HTTP: whether the app answered 2xx. */
  ok: boolean
  /** HTTP mode: the app's status. */
  status?: number
  /** Stream: the ACK's `data`; HTTP: the answer's body text. */
  answer?: unknown
}

/**
 * The robot side of the emulator (`emu.robot`): conversations with the app's robot, messages said to it over
 * Stream or HTTP mode, and everything it said back (session webhooks, proactive sends, custom robots).
 *
 * @example
 * ```ts
 * const dm = emu.robot.dm('zhangsan')
 * await emu.robot.say(dm, 'ping')
 * await vi.waitFor(() => expect(emu.robot.replies(dm).map((r) => r.text)).toEqual(['pong']))
 * ```
 */
export interface RobotController {
  readonly conversations: readonly RobotConversationRecord[]
  /** Every accepted message to a custom robot's webhook, and the security settings it was checked against. */
  readonly webhooks: readonly CustomRobotRecord[]
  /** The one-to-one chat of a user with the robot (created on first use). */
  dm(userId: string, options?: { robotCode?: string }): RobotConversationRecord
  /** A group with the robot in it (a new one per call). */
  group(title: string, userIds: string[], options?: { robotCode?: string }): RobotConversationRecord
  /** Someone writes to the robot; resolves once the app acknowledged (or refused) it. */
  say(
    conversation: RobotConversationRecord | string,
    text: string,
    options?: RobotSayOptions,
  ): Promise<RobotSayResult>
  /** What the robot said, oldest first: in one conversation, or everywhere. */
  replies(conversation?: RobotConversationRecord | string): RobotReplyRecord[]
  /** Resolves with the first reply in the conversation after `since` replies were there (default: now). */
  waitForReply(
    conversation: RobotConversationRecord | string,
    options?: { since?: number; timeoutMs?: number },
  ): Promise<RobotReplyRecord>
  /** Expires every session webhook handed out so far (replies then fall back to proactive sends). */
  expireSessions(): number
  /** Where a robot in HTTP mode receives messages. */
  setHttpUrl(robotCode: string, url: string): void
  /** A custom (webhook) robot in a group, with DingTalk's security settings (§14.2). */
  addWebhook(options: {
    conversation: RobotConversationRecord | string
    secret?: string
    keywords?: string[]
    ipRanges?: string[]
  }): CustomRobotRecord & { url: string }
  /** A file a message can carry; returns its downloadCode. */
  addFile(bytes: Uint8Array, fileName: string): string
  /** Marks a proactive DM as read by a user (for `readStatus`). */
  markRead(processQueryKey: string, userId: string): void
}

export interface RobotDeps {
  state: EmulatorState
  now: () => number
  stream: StreamEmulator
  url: () => string
  /** How long a session webhook lives (default 90 minutes). */
  sessionTtlMs: number
}

function defaultRobot(state: EmulatorState): { org: OrgState; robotCode: string } {
  for (const org of state.orgs.values()) {
    const [app] = org.apps.values()
    if (app) return { org, robotCode: app.appKey }
  }
  throw new Error('the fixture has no app to be the robot')
}

function orgOfRobot(state: EmulatorState, robotCode: string): OrgState {
  for (const org of state.orgs.values()) if (org.apps.has(robotCode)) return org
  throw new Error(`no app ${robotCode} in the fixture`)
}

function senderOf(org: OrgState, userId: string): UserRecord {
  const user = org.users.get(userId)
  if (!user) throw new Error(`no user ${userId} in ${org.corpId}`)
  return user
}

function staffIdOf(userId: string): string {
  return `$:LWCP_v1:$${createHmac('sha256', 'emu').update(userId).digest('base64').slice(0, 22)}`
}

/** The robot message of §13.6, as DingTalk sends it. */
function messageData(
  deps: RobotDeps,
  conv: RobotConversationRecord,
  text: string,
  from: UserRecord,
  options: RobotSayOptions,
) {
  const org = orgOfRobot(deps.state, conv.robotCode)
  const session = randomId(16)
  const expiresAt = deps.now() + deps.sessionTtlMs
  deps.state.robot.sessions.set(session, {
    session,
    conversationId: conv.id,
    robotCode: conv.robotCode,
    expiresAt,
  })
  const atRobot = conv.type === 'dm' || options.atRobot !== false
  const atUsers = [
    ...(atRobot && conv.type === 'group' ? [{ dingtalkId: staffIdOf(`robot:${conv.robotCode}`) }] : []),
    ...(options.at ?? []).map((u) => ({ dingtalkId: staffIdOf(u), staffId: u })),
  ]
  return {
    conversationId: conv.id,
    conversationType: conv.type === 'dm' ? '1' : '2',
    ...(conv.title ? { conversationTitle: conv.title } : {}),
    atUsers,
    isInAtList: atRobot,
    chatbotCorpId: org.corpId,
    chatbotUserId: staffIdOf(`robot:${conv.robotCode}`),
    robotCode: conv.robotCode,
    msgId: `msg${randomId(12)}`,
    msgtype: 'text',
    text: { content: conv.type === 'group' && atRobot ? ` ${text}` : text },
    senderId: staffIdOf(from.userid),
    senderStaffId: from.userid,
    senderNick: from.name,
    senderCorpId: org.corpId,
    isAdmin: from.isAdmin === true,
    sessionWebhook: `${deps.url()}/robot/sendBySession?session=${session}`,
    sessionWebhookExpiredTime: expiresAt,
    createAt: deps.now(),
  }
}

async function postSigned(url: string, appSecret: string, data: unknown, now: number) {
  // §14.1: sign = Base64(HMAC-SHA256(appSecret, timestamp + "\n" + appSecret)).
  const timestamp = String(now)
  const sign = createHmac('sha256', appSecret).update(`${timestamp}\n${appSecret}`).digest('base64')
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', timestamp, sign },
    body: JSON.stringify(data),
  })
  return { status: response.status, text: await response.text() }
}

export function createRobotController(deps: RobotDeps): RobotController {
  const { state } = deps
  const robot = state.robot
  const resolve = (c: RobotConversationRecord | string): RobotConversationRecord => {
    const found = robot.conversations.get(typeof c === 'string' ? c : c.id)
    if (!found) throw new Error(`no robot conversation ${typeof c === 'string' ? c : c.id}`)
    return found
  }
  const add = (conv: RobotConversationRecord) => {
    robot.conversations.set(conv.id, conv)
    return conv
  }
  return {
    get conversations() {
      return [...robot.conversations.values()]
    },
    get webhooks() {
      return [...robot.webhooks.values()]
    },
    dm(userId, options) {
      const robotCode = options?.robotCode ?? defaultRobot(state).robotCode
      const org = orgOfRobot(state, robotCode)
      senderOf(org, userId)
      const id = `cidDM${createHmac('sha256', robotCode).update(userId).digest('hex').slice(0, 20)}`
      return (
        robot.conversations.get(id) ??
        add({ id, type: 'dm', title: undefined, corpId: org.corpId, robotCode, userIds: [userId] })
      )
    },
    group(title, userIds, options) {
      const robotCode = options?.robotCode ?? defaultRobot(state).robotCode
      const org = orgOfRobot(state, robotCode)
      for (const u of userIds) senderOf(org, u)
      return add({
        id: `cidGroup${randomId(10)}`,
        type: 'group',
        title,
        corpId: org.corpId,
        robotCode,
        userIds,
      })
    },
    async say(c, text, options = {}) {
      const conv = resolve(c)
      const org = orgOfRobot(state, conv.robotCode)
      const from = senderOf(org, options.from ?? conv.userIds[0] ?? '')
      const data = messageData(deps, conv, text, from, options)
      const base = { msgId: data.msgId, data: data as Record<string, unknown> }
      if (!data.isInAtList) return { ...base, delivered: false, ok: false }
      if (options.mode === 'http') {
        const url = options.url ?? robot.httpUrls.get(conv.robotCode)
        if (!url) throw new Error(`no HTTP URL for robot ${conv.robotCode}: pass url or call setHttpUrl`)
        const app = org.apps.get(conv.robotCode)!
        const answer = await postSigned(url, app.appSecret, data, deps.now())
        return {
          ...base,
          delivered: true,
          ok: answer.status < 300,
          status: answer.status,
          answer: answer.text,
        }
      }
      const result = await deps.stream.callback(conv.robotCode, TOPIC_ROBOT, data).done
      return { ...base, delivered: true, ok: result.ok, answer: result.ack }
    },
    replies(c) {
      const id = c === undefined ? undefined : resolve(c).id
      return robot.replies.filter((r) => id === undefined || r.conversationId === id)
    },
    async waitForReply(c, options = {}) {
      const conv = resolve(c)
      const since = options.since ?? this.replies(conv).length
      const until = Date.now() + (options.timeoutMs ?? 5000)
      for (;;) {
        const reply = this.replies(conv)[since]
        if (reply) return reply
        if (Date.now() > until) throw new Error(`no reply in ${conv.id} within the timeout`)
        await new Promise((r) => setTimeout(r, 10))
      }
    },
    expireSessions() {
      const t = deps.now()
      let n = 0
      for (const s of robot.sessions.values()) {
        if (s.expiresAt > t) n++
        s.expiresAt = Math.min(s.expiresAt, t)
      }
      return n
    },
    setHttpUrl(robotCode, url) {
      robot.httpUrls.set(robotCode, url)
    },
    addWebhook(options) {
      const conv = resolve(options.conversation)
      const record: CustomRobotRecord = {
        accessToken: randomId(32),
        conversationId: conv.id,
        secret: options.secret,
        keywords: options.keywords,
        ipRanges: options.ipRanges,
        posts: [],
        refused: [],
        recent: [],
      }
      robot.webhooks.set(record.accessToken, record)
      return Object.assign(record, { url: `${deps.url()}/robot/send?access_token=${record.accessToken}` })
    },
    addFile(bytes, fileName) {
      const downloadCode = `dl${randomId(16)}`
      robot.files.set(downloadCode, { downloadCode, fileName, bytes })
      return downloadCode
    },
    markRead(processQueryKey, userId) {
      const set = robot.reads.get(processQueryKey) ?? new Set()
      set.add(userId)
      robot.reads.set(processQueryKey, set)
    },
  }
}
