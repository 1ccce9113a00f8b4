import type { DingTalkClient } from '@dingtalk-kit/core'
import { defaultFixture, type Emulator } from '@dingtalk-kit/emulator'
import type { RunningApp } from 'dingtalk-kit-koa-example/src/app'
import { type DemoSettings, startStreamApp } from './apps'
import { check, until } from './checks'

type Step = (name: string, run: () => Promise<string>) => Promise<void>

/** The parts of the story the Stream steps need, and where they put what they start. */
export interface StreamStepsContext {
  emu: () => Emulator
  settings: () => DemoSettings
  client: () => DingTalkClient
  cleanups: (() => Promise<unknown>)[]
}

const FLOW = 60

/**
 * Stream mode: the Koa example's own directory handler fed over a WebSocket instead of the callback, then
 * a server `disconnect` in the middle of a steady flow of events, counted: none lost, none handled twice.
 */
export async function streamSteps(step: Step, ctx: StreamStepsContext): Promise<RunningApp | undefined> {
  let app: RunningApp | undefined
  await step(
    'Stream: the Koa example with DINGTALK_MODE=stream gets a new user over a WebSocket',
    async () => {
      const emu = ctx.emu()
      app = await startStreamApp(ctx.settings(), emu.url)
      ctx.cleanups.push(() => app!.close())
      const [conn] = await emu.stream.waitForConnections(1, ctx.settings().appKey)
      check(conn, 'no Stream connection')
      const pushesBefore = emu.state.pushes.length
      const { userId } = await ctx.client().contacts.users.create({
        name: '赵流',
        mobile: '13900005678',
        deptIds: [1],
      })
      const entry = await until('the Stream app to fetch the new user', async () => {
        const list = (await (await fetch(`${app!.url}/api/directory`)).json()) as {
          userId: string
          name: string
        }[]
        return list.find((u) => u.userId === userId)
      })
      const delivery = emu.stream.deliveries.find(
        (d) => d.headers.eventType === 'user_add_org' && JSON.stringify(d.data).includes(userId),
      )
      check((await delivery?.done)?.ok, 'the user_add_org frame was not ACKed')
      const overHttp = emu.state.pushes.slice(pushesBefore).filter((p) => p.eventType === 'user_add_org')
      check(overHttp.length === 0, 'the event also went over an HTTP callback')
      return `connections/open → ticket → WebSocket; user/create → user_add_org frame (no HTTP push) → the same handler called user/get → directory has ${entry.name} → ACK SUCCESS`
    },
  )

  await step(
    `Stream: a server disconnect during a flow of ${FLOW} events — none lost, none twice`,
    async () => {
      const stream = app?.stream
      check(stream, 'no Stream app')
      const emu = ctx.emu()
      const { appKey } = ctx.settings()
      const old = (await emu.stream.waitForConnections(1, appKey))[0]
      check(old, 'no Stream connection')
      const users = defaultFixture.orgs[0]!.users.map((u) => u.userid)
      const fetchesBefore = emu.count('/topapi/v2/user/get')
      const deliveries = []
      for (let i = 0; i < FLOW; i++) {
        const userId = users[i % users.length]!
        deliveries.push(
          emu.stream.event(appKey, 'user_modify_org', { userId: [userId] }, { eventId: `flow-${i}` }),
        )
        if (i === FLOW / 2) emu.stream.disconnect(old.id, { reason: 'connection is expired' })
        // A steady flow: the loop yields between batches, so frames are in flight when the disconnect lands.
        if (i % 10 === 9) await new Promise((resolve) => setImmediate(resolve))
      }
      const results = await Promise.all(deliveries.map((d) => d.done))
      await stream.idle()
      const lost = results.filter((r) => !r.ok).length
      const handled = emu.count('/topapi/v2/user/get') - fetchesBefore
      const redelivered = deliveries.reduce((n, d) => n + d.redeliveries, 0)
      const [fresh] = emu.stream.live(appKey)
      check(fresh && fresh.id !== old.id, 'no new connection after the disconnect')
      await until('the client to close the drained connection', async () =>
        old.state === 'closed' ? true : undefined,
      )
      const onOld = deliveries.filter((d) => d.attempts[0]?.connectionId === old.id).length
      check(
        onOld > 0 && onOld < FLOW,
        `${onOld} of ${FLOW} events on the old connection: the disconnect missed the flow`,
      )
      check(lost === 0, `${lost} events not delivered`)
      check(handled === FLOW, `${handled} handler runs for ${FLOW} events`)
      return `disconnect after ${FLOW / 2} → new connection at once, old one drained and closed by the client; ${FLOW} delivered (${onOld} on the old connection, ${FLOW - onOld} on the new), ${handled} handled (user/get × ${handled}), 0 lost, 0 twice, ${redelivered} redelivered`
    },
  )
  return app
}
