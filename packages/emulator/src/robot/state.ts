/**
 * A conversation with a robot: a one-to-one chat (`dm`) or a group it is in. `id` is the
 * `openConversationId` DingTalk puts in robot messages (§13.6).
 *
 * @example
 * ```ts
 * const group: RobotConversationRecord = emu.robot.group('Team', ['zhangsan', 'lisi'])
 * ```
 */
export interface RobotConversationRecord {
  id: string
  type: 'dm' | 'group'
  title: string | undefined
  corpId: string
  /** The robot in it (an internal app's appKey). */
  robotCode: string
  /** DM: the one user; group: its members. */
  userIds: string[]
}

/**
 * Something the robot said in a conversation, however it was sent: through a message's session webhook, a
 * proactive send (`batchSend`, `groupSend`), or a custom robot's webhook.
 *
 * @example
 * ```ts
 * const [reply] = emu.robot.replies(dm)
 * expect(reply?.text).toBe('echo: hi')
 * ```
 */
export interface RobotReplyRecord {
  conversationId: string
  via: 'sessionWebhook' | 'batchSend' | 'groupSend' | 'webhook'
  /** `text`, `markdown`, … (webhook shapes) or the template key (`sampleText`, … for proactive sends). */
  msgtype: string
  /** The readable text of the message (content, markdown text, card text). */
  text: string
  /** The body as posted (webhooks) or `{ msgKey, msgParam }` with `msgParam` parsed (proactive sends). */
  body: unknown
  /** Proactive sends: the key for recall and read status. */
  processQueryKey?: string
  recalled: boolean
  time: number
}

/**
 * A session webhook handed out with a robot message: valid until `expiresAt`.
 *
 * @example
 * ```ts
 * const open = [...emu.state.robot.sessions.values()].filter((s) => s.expiresAt > Date.now())
 * ```
 */
export interface RobotSessionRecord {
  session: string
  conversationId: string
  robotCode: string
  expiresAt: number
}

/**
 * A custom (webhook) robot of a group with its security settings (§14.2) and what was posted to it.
 *
 * @example
 * ```ts
 * const hook = emu.robot.addWebhook({ conversation: group, secret: 'SECx', keywords: ['deploy'] })
 * ```
 */
export interface CustomRobotRecord {
  accessToken: string
  conversationId: string
  secret: string | undefined
  keywords: string[] | undefined
  /** Allowed caller IPs (exact addresses, or a prefix ending in `.` / `*`). */
  ipRanges: string[] | undefined
  /** Accepted posts' bodies. */
  posts: unknown[]
  /** Refused posts: the errcode and errmsg answered. */
  refused: { errcode: number; errmsg: string }[]
  /** Send times in the last minute (rate limit). */
  recent: number[]
}

/**
 * A file a robot message carries, for `messageFiles/download`.
 *
 * @example
 * ```ts
 * const code = emu.robot.addFile(new TextEncoder().encode('hello'), 'hello.txt')
 * emu.state.robot.files.get(code)?.fileName // 'hello.txt'
 * ```
 */
export interface RobotFileRecord {
  downloadCode: string
  fileName: string
  bytes: Uint8Array
}

/**
 * Everything the emulator knows about robots (`emu.state.robot`).
 *
 * @example
 * ```ts
 * const refused = [...emu.state.robot.webhooks.values()].flatMap((w) => w.refused)
 * ```
 */
export interface RobotState {
  conversations: Map<string, RobotConversationRecord>
  sessions: Map<string, RobotSessionRecord>
  replies: RobotReplyRecord[]
  webhooks: Map<string, CustomRobotRecord>
  /** HTTP-mode robots: where each robotCode's messages are posted. */
  httpUrls: Map<string, string>
  files: Map<string, RobotFileRecord>
  /** Who read which proactive DM (`processQueryKey` → userIds). */
  reads: Map<string, Set<string>>
}

export function buildRobotState(): RobotState {
  return {
    conversations: new Map(),
    sessions: new Map(),
    replies: [],
    webhooks: new Map(),
    httpUrls: new Map(),
    files: new Map(),
    reads: new Map(),
  }
}

type Raw = Record<string, unknown>

function field(value: unknown, ...path: string[]): string | undefined {
  let at: unknown = value
  for (const key of path) at = at && typeof at === 'object' ? (at as Raw)[key] : undefined
  return typeof at === 'string' ? at : undefined
}

/** The readable text of a webhook body (text, markdown, actionCard, link, feedCard). */
export function webhookText(body: Raw): string {
  const type = String(body.msgtype)
  if (type === 'feedCard') {
    const links = (body.feedCard as { links?: { title?: string }[] } | undefined)?.links ?? []
    return links.map((l) => l.title ?? '').join('\n')
  }
  return field(body, 'text', 'content') ?? field(body, type, 'text') ?? field(body, type, 'content') ?? ''
}

/** The readable text of a template's parameters (`content`, `text`, `title`). */
export function templateText(msgParam: Raw): string {
  return field(msgParam, 'content') ?? field(msgParam, 'text') ?? field(msgParam, 'title') ?? ''
}
