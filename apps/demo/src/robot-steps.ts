import { DingTalkWebhookError, sendToWebhook } from '@dingtalk-kit/core'
import type { Emulator } from '@dingtalk-kit/emulator'
import type { RunningApp } from 'dingtalk-kit-koa-example/src/app'
import { check, until } from './checks'

type Step = (name: string, run: () => Promise<string>) => Promise<void>

/** What the robot steps need: the emulator, the Koa example over HTTP, and the one on Stream. */
export interface RobotStepsContext {
  emu: () => Emulator
  /** The Koa example's URL (HTTP mode: `POST /dingtalk/robot`). */
  koaUrl: () => string | undefined
  streamApp: () => RunningApp | undefined
}

/**
 * Robots (§13.6, §14): the Koa example's echo/FAQ bot answering over HTTP mode and over Stream, and a group's
 * custom robot posting a signed message.
 */
export async function robotSteps(step: Step, ctx: RobotStepsContext): Promise<void> {
  await step(
    'Robot: @-mention the Koa bot in a group (HTTP mode, signed) — its FAQ answer lands there',
    async () => {
      const emu = ctx.emu()
      const url = ctx.koaUrl()
      check(url, 'no Koa example')
      const group = emu.robot.group('研发群', ['zhangsan', 'lisi'])
      const said = await emu.robot.say(group, 'wifi', {
        mode: 'http',
        url: `${url}/dingtalk/robot`,
        from: 'lisi',
      })
      check(said.ok, `the robot route answered ${said.status}`)
      const reply = await emu.robot.waitForReply(group, { since: 0 })
      check(reply.text.includes('Wi-Fi'), `the bot said ${JSON.stringify(reply.text)}`)
      return `POST /dingtalk/robot (timestamp + sign) → ${said.status} → robot_message handler → session webhook → "${reply.text.slice(0, 40)}…" (${reply.msgtype})`
    },
  )

  await step(
    'Robot: a DM to the bot over Stream — the echo comes back through the session webhook',
    async () => {
      const emu = ctx.emu()
      const app = ctx.streamApp()
      check(app, 'no Stream app')
      const dm = emu.robot.dm('wangwu')
      const said = await emu.robot.say(dm, '你好, bot')
      check(said.ok, 'the robot frame was not ACKed')
      const reply = await emu.robot.waitForReply(dm, { since: 0 })
      check(reply.text === 'echo: 你好, bot', `the bot said ${JSON.stringify(reply.text)}`)
      return `CALLBACK ${'/v1.0/im/bot/messages/get'} → ACK → on('robot_message') → ${reply.via}: "${reply.text}"`
    },
  )

  await step(
    'Robot: "card" → an interactive card with a button; the press (card_callback) updates it',
    async () => {
      const emu = ctx.emu()
      check(ctx.streamApp(), 'no Stream app')
      const before = emu.cards.list().length
      await emu.robot.say(emu.robot.dm('zhaoliu'), 'card')
      const card = await until('the card to be delivered', async () => emu.cards.list()[before])
      const pressed = await emu.cards.press(card.outTrackId, { userId: 'zhaoliu', actionIds: ['like'] })
      check(pressed.ok, 'the press was not ACKed')
      const status = emu.cards.get(card.outTrackId)?.cardData.status
      check(status === 'like by zhaoliu', `the card says ${JSON.stringify(status)}`)
      return `createAndDeliver → ${card.deliveries[0]?.spaceType} ${card.deliveries[0]?.spaceId}; press → card_callback → ACK {response} → status "${status}"`
    },
  )

  await step(
    'Robot: a custom robot posts a signed message; a missing keyword is refused by name',
    async () => {
      const emu = ctx.emu()
      const group = emu.robot.conversations.find((c) => c.title === '研发群')
      check(group, 'no group')
      const hook = emu.robot.addWebhook({
        conversation: group,
        secret: 'SECdemoSecret0001',
        keywords: ['部署'],
      })
      await sendToWebhook(
        hook.url,
        { msgtype: 'markdown', markdown: { title: '部署', text: '**部署完成** v1.2.3' } },
        {
          secret: 'SECdemoSecret0001',
        },
      )
      const refused = await sendToWebhook(hook.url, 'no keyword here', { secret: 'SECdemoSecret0001' }).catch(
        (error: unknown) => error,
      )
      check(
        refused instanceof DingTalkWebhookError && refused.code === 'WEBHOOK_KEYWORD_MISMATCH',
        'not refused',
      )
      check(hook.posts.length === 1, `${hook.posts.length} posts recorded`)
      return `signed post (timestamp + sign) → recorded in 研发群; without 部署 → ${refused.code} (errcode ${refused.errcode})`
    },
  )
}
