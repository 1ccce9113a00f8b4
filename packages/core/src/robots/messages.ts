import { DingTalkError } from '../errors/base'
import type { RobotMessage, RobotTemplate } from './types'

/** A webhook message in its body shape (a string becomes a text message). */
type WebhookBody = Exclude<RobotMessage, string>

/**
 * The JSON body of a webhook post (session webhook or custom robot): a string becomes a text message.
 *
 * @example
 * ```ts
 * toWebhookBody('hi') // { msgtype: 'text', text: { content: 'hi' } }
 * ```
 */
export function toWebhookBody(message: RobotMessage): Exclude<RobotMessage, string> {
  if (typeof message === 'string') return { msgtype: 'text', text: { content: message } }
  return message
}

function actionCardTemplate(
  card: Extract<WebhookBody, { msgtype: 'actionCard' }>['actionCard'],
): RobotTemplate {
  const btns = card.btns ?? []
  if (btns.length === 0) {
    return {
      msgKey: 'sampleActionCard',
      msgParam: {
        title: card.title,
        text: card.text,
        singleTitle: card.singleTitle ?? '',
        singleURL: card.singleURL ?? '',
      },
    }
  }
  // The numbered card templates carry actionTitleN/actionURLN pairs, 2 to 5 buttons; the references do not
  // list them (§14.3 is silent): the keys follow DingTalk's message-template documentation.
  if (btns.length < 2 || btns.length > 5) {
    throw new DingTalkError('ROBOT_MESSAGE_UNSUPPORTED', 'A proactive actionCard takes 1 to 5 buttons.')
  }
  const msgParam: Record<string, string> = { title: card.title, text: card.text }
  btns.forEach((b, i) => {
    msgParam[`actionTitle${i + 1}`] = b.title
    msgParam[`actionURL${i + 1}`] = b.actionURL
  })
  const msgKey = `sampleActionCard${btns.length}` as 'sampleActionCard2'
  return { msgKey, msgParam }
}

/**
 * The v1.0 template of a webhook-style message, for proactive sends (§13.7). `feedCard` has no template.
 *
 * @example
 * ```ts
 * toTemplate('hi') // { msgKey: 'sampleText', msgParam: { content: 'hi' } }
 * ```
 */
export function toTemplate(message: RobotMessage | RobotTemplate): RobotTemplate {
  if (typeof message === 'string') return { msgKey: 'sampleText', msgParam: { content: message } }
  if ('msgKey' in message) return message
  switch (message.msgtype) {
    case 'text':
      return { msgKey: 'sampleText', msgParam: { content: message.text.content } }
    case 'markdown':
      return { msgKey: 'sampleMarkdown', msgParam: message.markdown }
    case 'link':
      return { msgKey: 'sampleLink', msgParam: message.link }
    case 'actionCard':
      return actionCardTemplate(message.actionCard)
    default:
      throw new DingTalkError(
        'ROBOT_MESSAGE_UNSUPPORTED',
        `A ${message.msgtype} message cannot be sent proactively (no v1.0 template); use text, markdown, link or actionCard.`,
      )
  }
}

/**
 * The `msgKey` / `msgParam` pair on the wire: `msgParam` is JSON text, never an object (§14.3).
 *
 * @example
 * ```ts
 * encodeTemplate({ msgKey: 'sampleText', msgParam: { content: 'hi' } }) // { msgKey: 'sampleText', msgParam: '{"content":"hi"}' }
 * ```
 */
export function encodeTemplate(template: RobotTemplate): { msgKey: string; msgParam: string } {
  return { msgKey: template.msgKey, msgParam: JSON.stringify(template.msgParam) }
}
