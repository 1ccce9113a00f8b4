import type { DingTalkKoa, RobotMessage, RobotMessageEvent } from '@dingtalk-kit/koa'

/** The FAQ: a question's keyword → the answer (markdown). */
export const FAQ: Readonly<Record<string, string>> = {
  help: '**I can answer:** `vpn`, `wifi`, `leave`. In a DM I echo everything else.',
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

/**
 * The echo/FAQ robot: answers in a group when @-mentioned, echoes in DMs. The same handler takes messages
 * over Stream and over HTTP mode (`POST /dingtalk/robot`).
 */
export function registerRobot(dt: DingTalkKoa): void {
  dt.dingtalk.on('robot_message', async (message) => {
    const answer = answerTo(message)
    if (answer !== undefined) await message.reply(answer)
  })

  // ── CARDS HOOK (merge of the `cards` branch) ───────────────────────────────────────────────────────
  // When the card API lands: answer "card" with an interactive card (a button whose press arrives below as
  // `card_callback`), and "ask <question>" by streaming into an AI card (create → deliver → INPUTING →
  // streaming updates → FINISHED, §14.4). The button's callback is already typed and routed:
  dt.dingtalk.on('card_callback', (card) => ({
    cardData: { cardParamMap: { status: `${card.action ?? 'pressed'} by ${card.userId}` } },
  }))
  // ── end of CARDS HOOK ──────────────────────────────────────────────────────────────────────────────
}
