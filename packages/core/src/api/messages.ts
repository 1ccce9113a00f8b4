import { DingTalkError } from '../errors/base'
import { type ApiContext, asArray, asNumber, asRecord, asString, compact, envelopeCalls } from './context'

/** One row of an OA message form. */
export interface OaFormRow {
  key: string
  value: string
}

/** A button of a multi-button action card. */
export interface ActionCardButton {
  title: string
  actionUrl: string
}

/**
 * The eight message types of §8.2, with camelCase fields; {@link toWireMessage} produces DingTalk's shape.
 * Build them by hand or with {@link message}.
 */
export type Message =
  | { type: 'text'; content: string }
  | { type: 'image'; mediaId: string }
  | { type: 'voice'; mediaId: string /** Seconds, an integer under 60. */; duration: number }
  | { type: 'file'; mediaId: string }
  | { type: 'link'; messageUrl: string; picUrl: string; title: string; text: string }
  | {
      type: 'oa'
      messageUrl: string
      pcMessageUrl?: string
      /** `bgcolor` is 8 hex digits ARGB without `0x`, e.g. `FFBBBBBB`. */
      head: { bgcolor: string; text?: string }
      body: {
        title?: string
        form?: OaFormRow[]
        rich?: { num: string; unit?: string }
        content?: string
        /** A media_id. */
        image?: string
        fileCount?: number | string
        author?: string
      }
    }
  | { type: 'markdown'; title: string; text: string }
  | {
      type: 'action_card'
      title: string
      markdown: string
      /** A single "read more" button… */
      singleTitle?: string
      singleUrl?: string
      /** …or several buttons. */
      buttons?: ActionCardButton[]
      /** `vertical` (0, default) or `horizontal` (1). */
      buttonOrientation?: 'vertical' | 'horizontal'
    }

/**
 * Builders for the eight message types of §8.2.
 *
 * @example
 * ```ts
 * await client.messages.sendWorkNotice({ userIds: ['zhangsan'], message: message.markdown('周报', '# 本周\n- 完成') })
 * await client.chats.send({ chatId, message: message.text('大家好') })
 * ```
 */
export const message: {
  text(content: string): Message
  image(mediaId: string): Message
  voice(mediaId: string, duration: number): Message
  file(mediaId: string): Message
  link(input: { messageUrl: string; picUrl: string; title: string; text: string }): Message
  oa(input: Omit<Extract<Message, { type: 'oa' }>, 'type'>): Message
  markdown(title: string, text: string): Message
  actionCard(input: Omit<Extract<Message, { type: 'action_card' }>, 'type'>): Message
} = {
  text: (content) => ({ type: 'text', content }),
  image: (mediaId) => ({ type: 'image', mediaId }),
  voice: (mediaId, duration) => ({ type: 'voice', mediaId, duration }),
  file: (mediaId) => ({ type: 'file', mediaId }),
  link: (input) => ({ type: 'link', ...input }),
  oa: (input) => ({ type: 'oa', ...input }),
  markdown: (title, text) => ({ type: 'markdown', title, text }),
  actionCard: (input) => ({ type: 'action_card', ...input }),
}

/**
 * DingTalk's wire shape of a message (§8.2): `{ msgtype, [msgtype]: {...} }` with DingTalk's own key
 * spelling (`messageUrl`/`picUrl` for links, snake_case for OA and action cards).
 *
 * @example
 * ```ts
 * toWireMessage(message.text('hi')) // { msgtype: 'text', text: { content: 'hi' } }
 * ```
 */
export function toWireMessage(msg: Message): Record<string, unknown> {
  switch (msg.type) {
    case 'text':
      return { msgtype: 'text', text: { content: msg.content } }
    case 'image':
      return { msgtype: 'image', image: { media_id: msg.mediaId } }
    case 'voice':
      // §8.2: duration travels as a string.
      return { msgtype: 'voice', voice: { media_id: msg.mediaId, duration: String(msg.duration) } }
    case 'file':
      return { msgtype: 'file', file: { media_id: msg.mediaId } }
    case 'link':
      return {
        msgtype: 'link',
        link: { messageUrl: msg.messageUrl, picUrl: msg.picUrl, title: msg.title, text: msg.text },
      }
    case 'oa': {
      const b = msg.body
      return {
        msgtype: 'oa',
        oa: compact({
          message_url: msg.messageUrl,
          pc_message_url: msg.pcMessageUrl,
          head: compact({ bgcolor: msg.head.bgcolor, text: msg.head.text }),
          body: compact({
            title: b.title,
            form: b.form?.map((row) => ({ key: row.key, value: row.value })),
            rich: b.rich === undefined ? undefined : compact({ num: b.rich.num, unit: b.rich.unit }),
            content: b.content,
            image: b.image,
            file_count: b.fileCount === undefined ? undefined : String(b.fileCount),
            author: b.author,
          }),
        }),
      }
    }
    case 'markdown':
      return { msgtype: 'markdown', markdown: { title: msg.title, text: msg.text } }
    case 'action_card':
      return {
        msgtype: 'action_card',
        action_card: compact({
          title: msg.title,
          markdown: msg.markdown,
          single_title: msg.singleTitle,
          single_url: msg.singleUrl,
          btn_orientation:
            msg.buttonOrientation === undefined
              ? undefined
              : msg.buttonOrientation === 'horizontal'
                ? '1'
                : '0',
          btn_json_list: msg.buttons?.map((b) => ({ title: b.title, action_url: b.actionUrl })),
        }),
      }
    default:
      throw new DingTalkError(
        'MESSAGE_INVALID_TYPE',
        `Unknown message type ${(msg as { type: unknown }).type}`,
      )
  }
}

/** Input of {@link MessagesApi.sendWorkNotice} (工作通知, `asyncsend_v2`). One recipient field is required. */
export interface WorkNoticeInput {
  /** Default: the client's agentId. */
  agentId?: string | number
  userIds?: string[]
  deptIds?: number[]
  /** ISVs may not use it; at most 3 times a day. */
  toAllUsers?: boolean
  message: Message
}

/** A work notice task. */
export interface WorkNoticeTask {
  /** Default: the client's agentId. */
  agentId?: string | number
  taskId: number
}

/** `getsendresult`'s lists. */
export interface WorkNoticeResult {
  invalidUserIds: string[]
  forbiddenUserIds: string[]
  failedUserIds: string[]
  readUserIds: string[]
  unreadUserIds: string[]
  invalidDeptIds: number[]
}

/**
 * Messages (§8): conversation messages sent as a user, legacy corp messages, and work notices.
 *
 * @example
 * ```ts
 * const { taskId } = await client.messages.sendWorkNotice({ userIds: ['zhangsan'], message: message.text('你好') })
 * ```
 */
export interface MessagesApi {
  /**
   * `message/send_to_conversation` (普通会话消息): as user `sender` into conversation `cid` (from
   * `dd.biz.chat.pickConversation`). Returns who received it (members of the sender's corp).
   *
   * @example
   * ```ts
   * const { receivers } = await client.messages.sendToConversation({ sender: 'zhangsan', cid, message: message.text('hi') })
   * ```
   */
  sendToConversation(input: {
    sender: string
    cid: string
    message: Message
  }): Promise<{ receivers: string[] }>
  /**
   * The legacy `message/send` (企业会话消息). Invalid recipients are reported, the valid ones still get it.
   *
   * @example
   * ```ts
   * const { invalidUsers } = await client.messages.send({ toUsers: ['zhangsan'], message: message.text('hi') })
   * ```
   */
  send(input: {
    agentId?: string | number
    /** userids, or `'@all'`. */
    toUsers?: string[] | '@all'
    toParties?: number[]
    message: Message
  }): Promise<{ invalidUsers: string[]; invalidParties: string[] }>
  /**
   * `topapi/message/corpconversation/asyncsend_v2` (工作通知): asynchronous; returns the task id.
   *
   * @example
   * ```ts
   * const { taskId } = await client.messages.sendWorkNotice({ deptIds: [2], message: message.markdown('通知', '**明天**开会') })
   * ```
   */
  sendWorkNotice(input: WorkNoticeInput): Promise<{ taskId: number }>
  /**
   * @example
   * ```ts
   * const { progressInPercent, status } = await client.messages.getSendProgress({ taskId })
   * ```
   */
  getSendProgress(task: WorkNoticeTask): Promise<{ progressInPercent: number; status: number }>
  /**
   * @example
   * ```ts
   * const { readUserIds, unreadUserIds } = await client.messages.getSendResult({ taskId })
   * ```
   */
  getSendResult(task: WorkNoticeTask): Promise<WorkNoticeResult>
  /**
   * Recalls a work notice.
   *
   * @example
   * ```ts
   * await client.messages.recall({ taskId })
   * ```
   */
  recall(task: WorkNoticeTask): Promise<void>
}

const splitPipe = (value: unknown): string[] => {
  const text = asString(value)
  return text === '' ? [] : text.split('|')
}

export async function requireAgentId(ctx: ApiContext, given: string | number | undefined): Promise<number> {
  const agentId = given ?? (await ctx.agentId())
  const n = asNumber(agentId)
  if (n === undefined) {
    throw new DingTalkError(
      'MISSING_AGENT_ID',
      'This API needs the micro-app agentId: pass agentId, or create the client with { agentId }.',
    )
  }
  return n
}

export function createMessagesApi(ctx: ApiContext): MessagesApi {
  const { post, read } = envelopeCalls(ctx)

  return {
    async sendToConversation(input) {
      const body = await post('/message/send_to_conversation', {
        sender: input.sender,
        cid: input.cid,
        ...toWireMessage(input.message),
      })
      return { receivers: splitPipe(body.receiver) }
    },
    async send(input) {
      const agentid = await requireAgentId(ctx, input.agentId)
      const body = await post(
        '/message/send',
        compact({
          touser: input.toUsers === '@all' ? '@all' : input.toUsers?.join('|'),
          toparty: input.toParties?.join('|'),
          agentid,
          ...toWireMessage(input.message),
        }),
      )
      return { invalidUsers: splitPipe(body.invaliduser), invalidParties: splitPipe(body.invalidparty) }
    },
    async sendWorkNotice(input) {
      const agentId = await requireAgentId(ctx, input.agentId)
      const body = await post(
        '/topapi/message/corpconversation/asyncsend_v2',
        compact({
          agent_id: agentId,
          // §8.1: comma-separated strings.
          userid_list: input.userIds?.join(','),
          dept_id_list: input.deptIds?.join(','),
          to_all_user: input.toAllUsers,
          msg: toWireMessage(input.message),
        }),
      )
      return { taskId: asNumber(body.task_id) ?? 0 }
    },
    async getSendProgress(task) {
      const agentId = await requireAgentId(ctx, task.agentId)
      const body = await read('/topapi/message/corpconversation/getsendprogress', {
        agent_id: agentId,
        task_id: task.taskId,
      })
      const p = asRecord(body.progress)
      return { progressInPercent: asNumber(p.progress_in_percent) ?? 0, status: asNumber(p.status) ?? 0 }
    },
    async getSendResult(task) {
      const agentId = await requireAgentId(ctx, task.agentId)
      const body = await read('/topapi/message/corpconversation/getsendresult', {
        agent_id: agentId,
        task_id: task.taskId,
      })
      const r = asRecord(body.send_result)
      const ids = (key: string): string[] => asArray(r[key]).map(String)
      return {
        invalidUserIds: ids('invalid_user_id_list'),
        forbiddenUserIds: ids('forbidden_user_id_list'),
        failedUserIds: ids('failed_user_id_list'),
        readUserIds: ids('read_user_id_list'),
        unreadUserIds: ids('unread_user_id_list'),
        invalidDeptIds: asArray(r.invalid_dept_id_list).map(Number),
      }
    },
    async recall(task) {
      const agentId = await requireAgentId(ctx, task.agentId)
      await post('/topapi/message/corpconversation/recall', { agent_id: agentId, msg_task_id: task.taskId })
    },
  }
}
