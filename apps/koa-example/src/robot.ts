import type { DingTalkClient, DingTalkKoa, RobotMessage, RobotMessageEvent } from '@dingtalk-kit/koa'

/** The FAQ: a question's keyword → the answer (markdown). */
export const FAQ: Readonly<Record<string, string>> = {
  help: '**I can answer:** `vpn`, `wifi`, `leave`; `card` sends a card with a button, `ask <question>` streams the answer into an AI card. In a DM I echo everything else.',
  vpn: 'VPN: install the client from the portal, sign in with DingTalk.',
  wifi: 'Wi-Fi: network `Office`, password at the front desk.',
  leave: 'Leave: apply in DingTalk → Workbench → Approvals → 请假.',
}

/** What the bot answers to a message, or `undefined` to stay quiet. */
export function answerTo(message: RobotMessageEvent): RobotMessage | undefined {
  // §13.6: in a group DingTalk delivers only messages that @-mention the robot; check anyway.
  if (message.conversation.type === 'group' && !message.isInAtList) return undefined
  const key = message.text.toLowerCase()
  const faq = FAQ[key]
  if (faq !== undefined) return { msgtype: 'markdown', markdown: { title: key, text: faq } }
  if (message.conversation.type === 'group') return `@${message.sender.nick} try "help"`
  return message.text === '' ? `(a ${message.content.type} — thanks!)` : `echo: ${message.text}`
}

/** The card templates the bot sends (made in DingTalk's card builder). */
export const TEMPLATES = { feedback: 'faq-feedback.schema', answer: 'faq-ai-answer.schema' } as const

function cardTarget(message: RobotMessageEvent): { group: string } | { user: string } | undefined {
  if (message.conversation.type === 'group') return { group: message.conversation.id }
  return message.sender.userId ? { user: message.sender.userId } : undefined
}

/** `card`: an interactive card with a button whose press comes back as `card_callback` (§14.4). */
async function sendFeedbackCard(client: DingTalkClient, message: RobotMessageEvent): Promise<boolean> {
  const to = cardTarget(message)
  if (!to) return false
  await client.cards.createAndDeliver({
    cardTemplateId: TEMPLATES.feedback,
    cardData: { title: 'Was this helpful?', status: 'waiting' },
    callbackType: 'STREAM',
    to,
  })
  return true
}

/** `ask <question>`: the answer streamed into an AI card (create → deliver → INPUTING → frames → FINISHED). */
async function streamAnswer(
  client: DingTalkClient,
  message: RobotMessageEvent,
  question: string,
): Promise<boolean> {
  const to = cardTarget(message)
  if (!to) return false
  const card = await client.cards.stream({ cardTemplateId: TEMPLATES.answer, to })
  const answer = FAQ[question.toLowerCase()] ?? `No FAQ entry for "${question}"; try help.`
  try {
    for (const word of answer.split(' ')) void card.append(`${word} `)
    await card.finish(answer)
  } catch {
    await card.fail('Could not write the answer')
  }
  return true
}

/**
 * The echo/FAQ robot: answers in a group when @-mentioned, echoes in DMs, sends a card with a button
 * (`card`) and streams answers into an AI card (`ask <question>`). The same handler takes messages over
 * Stream and over HTTP mode (`POST /dingtalk/robot`).
 */
export function registerRobot(dt: DingTalkKoa, client: DingTalkClient): void {
  dt.dingtalk.on('robot_message', async (message) => {
    if (message.conversation.type === 'group' && !message.isInAtList) return
    const [command = '', ...rest] = message.text.split(/\s+/)
    if (command.toLowerCase() === 'card' && (await sendFeedbackCard(client, message))) return
    if (
      command.toLowerCase() === 'ask' &&
      rest.length > 0 &&
      (await streamAnswer(client, message, rest.join(' ')))
    )
      return
    const answer = answerTo(message)
    if (answer !== undefined) await message.reply(answer)
  })

  // A press on the feedback card's button: what the handler returns is the card update in the ACK (§13.3).
  dt.dingtalk.on('card_callback', (card) => ({
    cardUpdateOptions: { updateCardDataByKey: true },
    cardData: { cardParamMap: { status: `${card.action ?? 'pressed'} by ${card.userId}` } },
  }))
}
