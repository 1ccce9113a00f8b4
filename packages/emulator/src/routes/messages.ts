import { ApiError, type Ctx, invalidParam, num, type Routes, randomId, str, strList } from '../context'
import type { ChatRecord, MessageRecord, OrgState } from '../state'
import { orgOf } from './contacts'

// §8.2: the message object sits under the key named by msgtype.
const REQUIRED: Record<string, string[]> = {
  text: ['content'],
  image: ['media_id'],
  voice: ['media_id', 'duration'],
  file: ['media_id'],
  link: ['messageUrl', 'title', 'text'],
  oa: ['message_url', 'head', 'body'],
  markdown: ['title', 'text'],
  action_card: ['title', 'markdown'],
}
const MAX_MESSAGE_BYTES = 2048

function parseMessage(source: Record<string, unknown>): { msgtype: string; msg: Record<string, unknown> } {
  const msgtype = str(source, 'msgtype')
  if (!msgtype || !REQUIRED[msgtype]) throw new ApiError(40008, `不合法的消息类型: ${msgtype ?? 'missing'}`)
  const content = source[msgtype]
  if (!content || typeof content !== 'object' || Array.isArray(content)) {
    throw invalidParam(`a "${msgtype}" object is required for msgtype ${msgtype}`)
  }
  for (const field of REQUIRED[msgtype]!) {
    const alt = field === 'messageUrl' ? 'message_url' : field
    if (
      (content as Record<string, unknown>)[field] === undefined &&
      (content as Record<string, unknown>)[alt] === undefined
    ) {
      throw invalidParam(`${msgtype}.${field} is required`)
    }
  }
  if (Buffer.byteLength(JSON.stringify(content)) > MAX_MESSAGE_BYTES) {
    throw new ApiError(45002, `消息内容超过限制: more than ${MAX_MESSAGE_BYTES} bytes`)
  }
  return { msgtype, msg: { msgtype, [msgtype]: content } }
}

function agentIds(ctx: Ctx, org: OrgState): number[] {
  const ids = [...org.apps.values()].map((a) => a.agentId)
  for (const auth of ctx.emu.state.authorizations.values())
    if (auth.corpId === org.corpId) ids.push(auth.agentId)
  return ids
}

function checkAgent(ctx: Ctx, org: OrgState, agentId: number | undefined): number {
  if (agentId === undefined) throw new ApiError(41011, '缺少agentid参数')
  if (!agentIds(ctx, org).includes(agentId)) throw new ApiError(40056, `不合法的agentid: ${agentId}`)
  return agentId
}

function deptMembers(org: OrgState, deptIds: number[]): string[] {
  const all = new Set<number>()
  const walk = (id: number): void => {
    all.add(id)
    for (const d of org.departments.values()) if (d.parentid === id && !all.has(d.id)) walk(d.id)
  }
  for (const id of deptIds) walk(id)
  return [...org.users.values()].filter((u) => u.department.some((d) => all.has(d))).map((u) => u.userid)
}

function record(ctx: Ctx, fields: Omit<MessageRecord, 'time' | 'corpId' | 'body'>): MessageRecord {
  const message: MessageRecord = {
    ...fields,
    corpId: orgOf(ctx).corpId,
    body: ctx.input,
    time: ctx.emu.now(),
  }
  ctx.emu.state.messages.push(message)
  return message
}

function sendToConversation(ctx: Ctx): Record<string, unknown> {
  const org = orgOf(ctx)
  const sender = str(ctx.input, 'sender')
  if (!sender || !org.users.has(sender))
    throw new ApiError(40003, `不合法的UserID: sender ${sender ?? 'missing'}`)
  const cid = str(ctx.input, 'cid')
  if (!cid) throw invalidParam('cid is required')
  const { msgtype, msg } = parseMessage(ctx.input)
  const chat = [...ctx.emu.state.chats.values()].find((c) => c.chatid === cid || c.openConversationId === cid)
  const recipients = chat ? chat.useridlist.filter((u) => u !== sender) : []
  record(ctx, {
    api: 'send_to_conversation',
    msgtype,
    msg,
    recipients,
    ...(chat ? { chatid: chat.chatid } : {}),
  })
  return { receiver: recipients.join('|') }
}

function sendLegacy(ctx: Ctx): Record<string, unknown> {
  const org = orgOf(ctx)
  const agentId = checkAgent(ctx, org, num(ctx.input, 'agentid'))
  const touser = str(ctx.input, 'touser') ?? ''
  const toparty = str(ctx.input, 'toparty') ?? ''
  if (!touser && !toparty) throw invalidParam('touser or toparty is required')
  const { msgtype, msg } = parseMessage(ctx.input)
  const invalidUsers: string[] = []
  const invalidParties: string[] = []
  const recipients = new Set<string>()
  if (touser === '@all') {
    for (const u of org.users.keys()) recipients.add(u)
  } else {
    for (const u of touser.split('|').filter(Boolean))
      org.users.has(u) ? recipients.add(u) : invalidUsers.push(u)
    const parties = toparty.split('|').filter(Boolean)
    for (const p of parties) if (!org.departments.has(Number(p))) invalidParties.push(p)
    const valid = parties.filter((p) => org.departments.has(Number(p))).map(Number)
    for (const u of deptMembers(org, valid)) recipients.add(u)
  }
  record(ctx, { api: 'send', msgtype, msg, recipients: [...recipients], agentId })
  return { invaliduser: invalidUsers.join('|'), invalidparty: invalidParties.join('|') }
}

function asyncSend(ctx: Ctx): Record<string, unknown> {
  const org = orgOf(ctx)
  const agentId = checkAgent(ctx, org, num(ctx.input, 'agent_id'))
  const userids = strList(ctx.input, 'userid_list') ?? []
  const deptIds = strList(ctx.input, 'dept_id_list') ?? []
  const toAll = ctx.input.to_all_user === true || ctx.input.to_all_user === 'true'
  if (!toAll && userids.length === 0 && deptIds.length === 0) {
    throw invalidParam('one of userid_list, dept_id_list, to_all_user is required')
  }
  if (userids.length > 5000 || deptIds.length > 500) throw invalidParam('too many recipients in one call')
  let rawMsg = ctx.input.msg
  if (typeof rawMsg === 'string') {
    try {
      rawMsg = JSON.parse(rawMsg)
    } catch {
      throw invalidParam('msg is not JSON')
    }
  }
  if (!rawMsg || typeof rawMsg !== 'object') throw invalidParam('msg is required')
  const { msgtype, msg } = parseMessage(rawMsg as Record<string, unknown>)
  const invalidUsers = userids.filter((u) => !org.users.has(u))
  const invalidDepts = deptIds.map(Number).filter((d) => !org.departments.has(d))
  const recipients = toAll
    ? [...org.users.keys()]
    : [
        ...new Set([
          ...userids.filter((u) => org.users.has(u)),
          ...deptMembers(
            org,
            deptIds.map(Number).filter((d) => org.departments.has(d)),
          ),
        ]),
      ]
  const taskId = 100001 + ctx.emu.state.messages.filter((m) => m.taskId !== undefined).length
  const invalid = { users: invalidUsers, depts: invalidDepts }
  record(ctx, { api: 'asyncsend_v2', msgtype, msg, recipients, taskId, agentId, invalid })
  return { task_id: taskId }
}

function findTask(ctx: Ctx, key: 'task_id' | 'msg_task_id'): MessageRecord {
  const org = orgOf(ctx)
  const agentId = checkAgent(ctx, org, num(ctx.input, 'agent_id'))
  const taskId = num(ctx.input, key)
  const task = ctx.emu.state.messages.find((m) => m.taskId !== undefined && m.taskId === taskId)
  if (!task || task.corpId !== org.corpId || task.agentId !== agentId) {
    throw invalidParam(`${key} ${taskId ?? 'missing'} does not exist for this agent`)
  }
  return task
}

function chatOf(ctx: Ctx, chatid: string | undefined): ChatRecord {
  if (!chatid) throw new ApiError(49000, '缺少chatid参数')
  const chat = ctx.emu.state.chats.get(chatid)
  if (!chat || chat.corpId !== orgOf(ctx).corpId) throw new ApiError(49000, `不合法的chatid: ${chatid}`)
  return chat
}

function checkUsers(org: OrgState, userids: string[]): void {
  for (const u of userids) if (!org.users.has(u)) throw new ApiError(40003, `不合法的UserID: ${u}`)
}

// §8.3: group chats; errcode choices within 49000–49007 are the emulator's reading of the 2016 table.
function createChat(ctx: Ctx): Record<string, unknown> {
  const org = orgOf(ctx)
  const name = str(ctx.input, 'name')
  if (!name || name.length > 20) throw invalidParam('name must be 1–20 characters')
  const owner = str(ctx.input, 'owner')
  if (!owner) throw new ApiError(49002, '群主不能为空: owner is required')
  const useridlist = strList(ctx.input, 'useridlist') ?? []
  if (useridlist.length > 40) throw new ApiError(49005, '一次最多添加40个成员')
  if (!useridlist.includes(owner)) throw new ApiError(49006, '群主必须为群成员: owner must be in useridlist')
  checkUsers(org, useridlist)
  const chatid = `chat${randomId(16)}`
  const chat: ChatRecord = {
    chatid,
    openConversationId: `cid${randomId(12)}==`,
    corpId: org.corpId,
    name,
    owner,
    useridlist: [...new Set(useridlist)],
    readBy: new Map(),
  }
  ctx.emu.state.chats.set(chatid, chat)
  return { chatid, openConversationId: chat.openConversationId, conversationTag: 2 }
}

function updateChat(ctx: Ctx): Record<string, unknown> {
  const org = orgOf(ctx)
  const chat = chatOf(ctx, str(ctx.input, 'chatid'))
  const add = strList(ctx.input, 'add_useridlist') ?? []
  const del = strList(ctx.input, 'del_useridlist') ?? []
  if (add.length > 40 || del.length > 40) throw new ApiError(49005, '一次最多添加/删除40个成员')
  if (add.some((u) => del.includes(u))) throw new ApiError(49004, '添加成员列表和删除成员列表不能有交集')
  checkUsers(org, add)
  const members = [...new Set([...chat.useridlist, ...add])].filter((u) => !del.includes(u))
  const owner = str(ctx.input, 'owner') ?? chat.owner
  if (!members.includes(owner)) throw new ApiError(49006, '群主必须为群成员')
  const name = str(ctx.input, 'name')
  if (name !== undefined && (name.length === 0 || name.length > 20))
    throw invalidParam('name must be 1–20 characters')
  chat.useridlist = members
  chat.owner = owner
  if (name !== undefined) chat.name = name
  return {}
}

export const messageRoutes: Routes = {
  '/message/send_to_conversation': {
    method: 'POST',
    auth: 'access',
    body: 'json',
    handle: sendToConversation,
  },
  '/message/send': { method: 'POST', auth: 'access', body: 'json', handle: sendLegacy },
  '/topapi/message/corpconversation/asyncsend_v2': {
    method: 'POST',
    auth: 'access',
    body: 'json',
    handle: asyncSend,
  },
  '/topapi/message/corpconversation/getsendprogress': {
    method: 'POST',
    auth: 'access',
    body: 'json',
    handle: (ctx) => {
      findTask(ctx, 'task_id')
      return { progress: { progress_in_percent: 100, status: 2 } }
    },
  },
  '/topapi/message/corpconversation/getsendresult': {
    method: 'POST',
    auth: 'access',
    body: 'json',
    handle: (ctx) => {
      const task = findTask(ctx, 'task_id')
      return {
        send_result: {
          invalid_user_id_list: task.invalid?.users ?? [],
          forbidden_user_id_list: [],
          failed_user_id_list: [],
          read_user_id_list: [],
          unread_user_id_list: task.recalled ? [] : task.recipients,
          invalid_dept_id_list: task.invalid?.depts ?? [],
        },
      }
    },
  },
  '/topapi/message/corpconversation/recall': {
    method: 'POST',
    auth: 'access',
    body: 'json',
    handle: (ctx) => {
      findTask(ctx, 'msg_task_id').recalled = true
      return {}
    },
  },
  '/chat/create': { method: 'POST', auth: 'access', body: 'json', handle: createChat },
  '/chat/update': { method: 'POST', auth: 'access', body: 'json', handle: updateChat },
  '/chat/get': {
    method: 'GET',
    auth: 'access',
    handle: (ctx) => {
      const chat = chatOf(ctx, str(ctx.input, 'chatid'))
      return {
        chat_info: {
          chatid: chat.chatid,
          openConversationId: chat.openConversationId,
          name: chat.name,
          owner: chat.owner,
          useridlist: chat.useridlist,
          agentidlist: [],
          conversationTag: 2,
        },
      }
    },
  },
  '/chat/send': {
    method: 'POST',
    auth: 'access',
    body: 'json',
    handle: (ctx) => {
      const chat = chatOf(ctx, str(ctx.input, 'chatid'))
      const { msgtype, msg } = parseMessage(ctx.input)
      const messageId = `msg${randomId(12)}`
      record(ctx, {
        api: 'chat/send',
        msgtype,
        msg,
        recipients: chat.useridlist,
        chatid: chat.chatid,
        messageId,
      })
      chat.readBy.set(messageId, [])
      return { messageId }
    },
  },
  '/chat/getReadList': {
    method: 'GET',
    auth: 'access',
    handle: (ctx) => {
      const messageId = str(ctx.input, 'messageId')
      if (!messageId) throw invalidParam('messageId is required')
      const chat = [...ctx.emu.state.chats.values()].find((c) => c.readBy.has(messageId))
      if (!chat || chat.corpId !== orgOf(ctx).corpId)
        throw invalidParam(`messageId ${messageId} does not exist`)
      const cursor = num(ctx.input, 'cursor') ?? 0
      const size = num(ctx.input, 'size') ?? 100
      if (size < 1 || size > 100) throw invalidParam('size must be 1–100')
      const read = chat.readBy.get(messageId) ?? []
      const slice = read.slice(cursor, cursor + size)
      return { next_cursor: cursor + size < read.length ? cursor + size : null, readUserIdList: slice }
    },
  },
}
