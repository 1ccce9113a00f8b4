import type { ParsedEvent } from '../events/types'
import { type ReplyDeps, replyTo } from './reply'
import type { CardCallbackEvent, RobotMessageContent, RobotMessageEvent, RobotRichTextPart } from './types'

type Raw = Record<string, unknown>

function isObject(value: unknown): value is Raw {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined
}

function num(value: unknown): number | undefined {
  const n = typeof value === 'string' && value !== '' ? Number(value) : value
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined
}

function objectOf(value: unknown): Raw | undefined {
  if (typeof value === 'string') {
    try {
      const parsed: unknown = JSON.parse(value)
      return isObject(parsed) ? parsed : undefined
    } catch {
      return undefined
    }
  }
  return isObject(value) ? value : undefined
}

function asObject(data: unknown): Raw | string {
  if (typeof data !== 'string') return isObject(data) ? data : 'data is not a JSON object'
  try {
    const parsed: unknown = JSON.parse(data)
    return isObject(parsed) ? parsed : 'data is not a JSON object'
  } catch {
    return 'data is not JSON'
  }
}

function unknownEvent(raw: unknown, type: string, reason: string): ParsedEvent {
  return { event: { EventType: 'unknown', rawEventType: type, raw, reason }, raw }
}

// §13.6: media carry content.downloadCode; prefer it over pictureDownloadCode.
function downloadCodeOf(content: Raw): string {
  return str(content.downloadCode) ?? str(content.pictureDownloadCode) ?? ''
}

function richParts(content: Raw): RobotRichTextPart[] {
  const items = Array.isArray(content.richText) ? content.richText : []
  return items.filter(isObject).flatMap((item): RobotRichTextPart[] => {
    if (typeof item.text === 'string') return [{ type: 'text', text: item.text }]
    const code = downloadCodeOf(item)
    return code ? [{ type: 'picture', downloadCode: code }] : []
  })
}

function contentOf(data: Raw): RobotMessageContent {
  const msgtype = str(data.msgtype) ?? 'text'
  const content = objectOf(data.content) ?? {}
  switch (msgtype) {
    case 'text':
      return { type: 'text', text: String((objectOf(data.text) ?? content).content ?? '') }
    case 'markdown': {
      const md = objectOf(data.markdown) ?? content
      return { type: 'markdown', title: str(md.title), text: String(md.text ?? md.content ?? '') }
    }
    case 'picture':
      return { type: 'picture', downloadCode: downloadCodeOf(content) }
    case 'file':
      return { type: 'file', downloadCode: downloadCodeOf(content), fileName: str(content.fileName) }
    case 'audio':
      return {
        type: 'audio',
        downloadCode: downloadCodeOf(content),
        duration: num(content.duration),
        recognition: str(content.recognition),
      }
    case 'video':
      return {
        type: 'video',
        downloadCode: downloadCodeOf(content),
        duration: num(content.duration),
        videoType: str(content.videoType),
      }
    case 'richText':
      return { type: 'richText', parts: richParts(content) }
    default:
      return { type: 'unknown', msgtype }
  }
}

function textOf(content: RobotMessageContent): string {
  switch (content.type) {
    case 'text':
    case 'markdown':
      return content.text.trim()
    case 'audio':
      return content.recognition?.trim() ?? ''
    case 'richText':
      return content.parts
        .flatMap((p) => (p.type === 'text' ? [p.text] : []))
        .join('')
        .trim()
    default:
      return ''
  }
}

/**
 * Turns a robot message (the `data` of a `/v1.0/im/bot/messages/get` Stream frame, §13.6, or the body of an
 * HTTP-mode robot request, §14.1) into a typed `robot_message` event. Never throws: data without `msgId` or
 * `conversationId` becomes an `unknown` event. `deps.client` (usually the dispatcher's) lets `reply()` send
 * proactively once the session webhook expired.
 *
 * @example
 * ```ts
 * const { event } = parseRobotMessage({ msgId: 'm1', msgtype: 'text', text: { content: 'hi' }, conversationType: '1', conversationId: 'cid1', robotCode: 'ding1', senderId: 'x', senderStaffId: 'u1' })
 * if (event.EventType === 'robot_message') console.log(event.text, event.conversation.type) // 'hi' 'dm'
 * ```
 */
export function parseRobotMessage(data: unknown, deps: ReplyDeps = {}): ParsedEvent {
  const raw = asObject(data)
  if (typeof raw === 'string') return unknownEvent(data, 'robot_message', raw)
  const msgId = str(raw.msgId)
  const conversationId = str(raw.conversationId)
  if (!msgId || !conversationId) return unknownEvent(raw, 'robot_message', 'no msgId or conversationId')
  const content = contentOf(raw)
  const atUsers = (Array.isArray(raw.atUsers) ? raw.atUsers : []).filter(isObject).map((u) => ({
    dingtalkId: String(u.dingtalkId ?? ''),
    staffId: str(u.staffId),
  }))
  const event: Omit<RobotMessageEvent, 'reply'> = {
    EventType: 'robot_message',
    msgId,
    robotCode: str(raw.robotCode) ?? '',
    content,
    text: textOf(content),
    sender: {
      userId: str(raw.senderStaffId),
      dingtalkId: String(raw.senderId ?? ''),
      nick: String(raw.senderNick ?? ''),
      corpId: str(raw.senderCorpId),
      isAdmin: raw.isAdmin === true,
    },
    // §13.6: conversationType "1" is a single chat, "2" a group.
    conversation: {
      type: String(raw.conversationType) === '2' ? 'group' : 'dm',
      id: conversationId,
      title: str(raw.conversationTitle),
    },
    atUsers,
    isInAtList: raw.isInAtList === true,
    sessionWebhook: str(raw.sessionWebhook),
    sessionWebhookExpiredTime: num(raw.sessionWebhookExpiredTime),
    createAt: num(raw.createAt),
    chatbotCorpId: str(raw.chatbotCorpId),
    chatbotUserId: str(raw.chatbotUserId),
  }
  // Not enumerable: the event stays plain data for JSON, logs and snapshots.
  Object.defineProperty(event, 'reply', {
    value: (message: Parameters<RobotMessageEvent['reply']>[0]) =>
      replyTo(event as RobotMessageEvent, message, deps),
    enumerable: false,
  })
  return { event: event as RobotMessageEvent, raw }
}

/**
 * Turns an interactive card's callback (`/v1.0/card/instances/callback`, §13.6) into a typed
 * `card_callback` event: `content` and `extension` are parsed from their JSON text, the action's ids and
 * params taken from `cardPrivateData`. Never throws: data without `outTrackId` becomes an `unknown` event.
 *
 * @example
 * ```ts
 * const { event } = parseCardCallback({ outTrackId: 'card1', userId: 'u1', content: '{"cardPrivateData":{"actionIds":["approve"],"params":{"id":7}}}' })
 * if (event.EventType === 'card_callback') console.log(event.action, event.params) // 'approve' { id: 7 }
 * ```
 */
export function parseCardCallback(data: unknown): ParsedEvent {
  const raw = asObject(data)
  if (typeof raw === 'string') return unknownEvent(data, 'card_callback', raw)
  const outTrackId = str(raw.outTrackId)
  if (!outTrackId) return unknownEvent(raw, 'card_callback', 'no outTrackId')
  const content = objectOf(raw.content)
  const privateData = objectOf(content?.cardPrivateData) ?? {}
  const actionIds = (Array.isArray(privateData.actionIds) ? privateData.actionIds : []).filter(
    (id): id is string => typeof id === 'string',
  )
  const event: CardCallbackEvent = {
    EventType: 'card_callback',
    outTrackId,
    action: actionIds[0],
    actionIds,
    params: objectOf(privateData.params) ?? {},
    userId: String(raw.userId ?? ''),
    corpId: str(raw.corpId),
    spaceId: str(raw.spaceId),
    spaceType: str(raw.spaceType),
    extension: objectOf(raw.extension),
    content: content ?? raw.content,
  }
  return { event, raw }
}

/**
 * The business id a robot message or card callback is de-duplicated on, across redeliveries (which carry a
 * new Stream `messageId`, §13.4) and transports.
 *
 * @example
 * ```ts
 * robotDeliveryId(parseRobotMessage(data)) // 'robot:m1'
 * ```
 */
export function robotDeliveryId(parsed: ParsedEvent): string | undefined {
  const { event, raw } = parsed
  if (event.EventType === 'robot_message') return `robot:${event.msgId}`
  if (event.EventType === 'card_callback') {
    const content = isObject(raw) ? raw.content : undefined
    const text = typeof content === 'string' ? content : JSON.stringify(content ?? null)
    return `card:${event.outTrackId}:${event.userId}:${text}`
  }
  return undefined
}
