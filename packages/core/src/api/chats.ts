import type { DingTalkResponse } from '../http/request'
import {
  type ApiContext,
  asArray,
  asNumber,
  asRecord,
  asString,
  compact,
  envelopeCalls,
  paginate,
} from './context'
import { type Message, toWireMessage } from './messages'

/** Input of {@link ChatsApi.create} (§8.3). */
export interface ChatCreateInput {
  /** 1–20 characters. */
  name: string
  /** Must be one of `userIds`. */
  owner: string
  /** At most 40 per call. */
  userIds: string[]
  /** 1: new members see the history. */
  showHistoryType?: 0 | 1
  searchable?: 0 | 1
  validationType?: 0 | 1
  mentionAllAuthority?: 0 | 1
  chatBannedType?: 0 | 1
  managementType?: 0 | 1
  icon?: string
}

/** Input of {@link ChatsApi.update}: only what is given changes. */
export interface ChatUpdateInput {
  chatId: string
  name?: string
  owner?: string
  /** At most 40 each; the two lists must not overlap (49004). */
  addUserIds?: string[]
  delUserIds?: string[]
  icon?: string
  chatBannedType?: 0 | 1
  searchable?: 0 | 1
  validationType?: 0 | 1
  mentionAllAuthority?: 0 | 1
  managementType?: 0 | 1
  showHistoryType?: 0 | 1
}

/** `chat/get`'s `chat_info`. */
export interface ChatInfo {
  chatId: string
  openConversationId: string
  name: string
  owner: string
  userIds: string[]
  agentIds: string[]
  conversationTag: number | undefined
}

/** One page of `chat/getReadList`. */
export interface ChatReadPage {
  readUserIds: string[]
  /** `undefined` on the last page. */
  nextCursor: number | undefined
}

/**
 * Group chats (§8.3).
 *
 * @example
 * ```ts
 * const { chatId } = await client.chats.create({ name: '项目群', owner: 'zhangsan', userIds: ['zhangsan', 'lisi'] })
 * await client.chats.send({ chatId, message: message.text('欢迎') })
 * ```
 */
export interface ChatsApi {
  /** @example const { chatId, openConversationId } = await client.chats.create({ name: '项目群', owner: 'zhangsan', userIds: ['zhangsan'] }) */
  create(
    input: ChatCreateInput,
  ): Promise<{ chatId: string; openConversationId: string; conversationTag: number | undefined }>
  /** @example await client.chats.update({ chatId, addUserIds: ['wangwu'] }) */
  update(input: ChatUpdateInput): Promise<void>
  /** @example const { name, userIds } = await client.chats.get(chatId) */
  get(chatId: string): Promise<ChatInfo>
  /** @example const { messageId } = await client.chats.send({ chatId, message: message.text('hi') }) */
  send(input: { chatId: string; message: Message }): Promise<{ messageId: string }>
  /** One page of who read a group message. @example const page = await client.chats.getReadList({ messageId }) */
  getReadList(input: { messageId: string; cursor?: number; size?: number }): Promise<ChatReadPage>
  /**
   * Every reader of a group message, page by page.
   *
   * @example
   * ```ts
   * for await (const userId of client.chats.iterateReadList(messageId)) console.log(userId)
   * ```
   */
  iterateReadList(messageId: string, options?: { size?: number }): AsyncGenerator<string, void, undefined>
}

export function createChatsApi(ctx: ApiContext): ChatsApi {
  const { post } = envelopeCalls(ctx)

  const chats: ChatsApi = {
    async create(input) {
      const body = await post(
        '/chat/create',
        compact({
          name: input.name,
          owner: input.owner,
          useridlist: input.userIds,
          showHistoryType: input.showHistoryType,
          searchable: input.searchable,
          validationType: input.validationType,
          mentionAllAuthority: input.mentionAllAuthority,
          chatBannedType: input.chatBannedType,
          managementType: input.managementType,
          icon: input.icon,
        }),
      )
      return {
        chatId: asString(body.chatid),
        openConversationId: asString(body.openConversationId),
        conversationTag: asNumber(body.conversationTag),
      }
    },
    async update(input) {
      await post(
        '/chat/update',
        compact({
          chatid: input.chatId,
          name: input.name,
          owner: input.owner,
          add_useridlist: input.addUserIds,
          del_useridlist: input.delUserIds,
          icon: input.icon,
          chatBannedType: input.chatBannedType,
          searchable: input.searchable,
          validationType: input.validationType,
          mentionAllAuthority: input.mentionAllAuthority,
          managementType: input.managementType,
          showHistoryType: input.showHistoryType,
        }),
      )
    },
    async get(chatId) {
      const body = await ctx.request<DingTalkResponse>({ path: '/chat/get', query: { chatid: chatId } })
      const info = asRecord(body.chat_info)
      return {
        chatId: asString(info.chatid) || chatId,
        openConversationId: asString(info.openConversationId),
        name: asString(info.name),
        owner: asString(info.owner),
        userIds: asArray(info.useridlist).map(String),
        agentIds: asArray(info.agentidlist).map(String),
        conversationTag: asNumber(info.conversationTag),
      }
    },
    async send(input) {
      const body = await post('/chat/send', { chatid: input.chatId, ...toWireMessage(input.message) })
      return { messageId: asString(body.messageId) }
    },
    async getReadList(input) {
      const body = await ctx.request<DingTalkResponse>({
        path: '/chat/getReadList',
        query: { messageId: input.messageId, cursor: input.cursor ?? 0, size: input.size ?? 100 },
      })
      return {
        readUserIds: asArray(body.readUserIdList).map(String),
        nextCursor: asNumber(body.next_cursor),
      }
    },
    iterateReadList: (messageId, options = {}) =>
      paginate(0, async (cursor) => {
        const page = await chats.getReadList({
          messageId,
          cursor,
          ...(options.size ? { size: options.size } : {}),
        })
        return { items: page.readUserIds, hasMore: page.nextCursor !== undefined, next: page.nextCursor }
      }),
  }
  return chats
}
