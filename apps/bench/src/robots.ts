// Robot messages: message → handler → reply through the session webhook, through dingtalk-kit against a bare
// hand-written loop, both posting to the same emulator (in a process of its own) in the same run.
import { type ChildProcess, fork } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { createEventDispatcher, memoryStore, parseRobotMessage, robotDeliveryId } from '@dingtalk-kit/core'
import { defaultFixture, startEmulator } from '@dingtalk-kit/emulator'
import { type BenchOptions, type Comparison, median } from './lib'

/** Messages in flight at once in each measured operation. */
const IN_FLIGHT = 16
const CHILD = 'DINGTALK_KIT_BENCH_ROBOT_WEBHOOK'

/** The emulator alone in a child process, with one long-lived session webhook both sides post to. */
async function runWebhookHost(): Promise<void> {
  const emu = await startEmulator({ suiteTicketIntervalMs: 0, robotSessionTtlMs: 24 * 3_600_000 })
  const dm = emu.robot.dm('lisi')
  emu.state.robot.sessions.set('bench', {
    session: 'bench',
    conversationId: dm.id,
    robotCode: defaultFixture.orgs[0]!.apps![0]!.appKey,
    expiresAt: Date.now() + 24 * 3_600_000,
  })
  // Replies are counted, not kept: a long run would otherwise grow the emulator's heap.
  let replies = 0
  const list = emu.state.robot.replies
  list.push = (...items) => {
    replies += items.length
    return list.length
  }
  process.on('message', (m: { cmd: string }) => {
    if (m.cmd === 'count') process.send?.({ replies })
    if (m.cmd === 'exit') void emu.close().then(() => process.exit(0))
  })
  process.send?.({ url: `${emu.url}/robot/sendBySession?session=bench` })
}

function startHost(): Promise<{ child: ChildProcess; webhook: string; replies(): Promise<number> }> {
  const child = fork(fileURLToPath(import.meta.url), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, [CHILD]: '1' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const replies = () =>
    new Promise<number>((resolve) => {
      child.once('message', (m: { replies: number }) => resolve(m.replies))
      child.send({ cmd: 'count' })
    })
  return new Promise((resolve, reject) => {
    child.once('message', (m: { url: string }) => resolve({ child, webhook: m.url, replies }))
    child.once('error', reject)
  })
}

/** The robot message of §13.6 as its JSON text arrives (a Stream frame's `data`). */
function messageText(webhook: string, n: number): string {
  return JSON.stringify({
    conversationId: 'cidBench',
    conversationType: '1',
    msgId: `bench-${n}`,
    msgtype: 'text',
    text: { content: `question ${n}` },
    robotCode: 'dingemuappkey0001',
    senderId: '$:LWCP_v1:$bench',
    senderStaffId: 'lisi',
    senderNick: '李四',
    sessionWebhook: webhook,
    sessionWebhookExpiredTime: Date.now() + 3_600_000,
  })
}

/** What {@link benchRobots} measures. */
export interface RobotBenchResult {
  comparisons: Comparison[]
  /** Replies the emulator recorded: every message of both sides answered once. */
  replies: number
  sent: number
}

/**
 * Messages/s from a robot message's JSON text to its reply accepted by the session webhook: dingtalk-kit
 * (`parseRobotMessage` → `dispatcher.deliver` with de-duplication on `msgId` → an `on('robot_message')`
 * handler calling `message.reply()`, which checks DingTalk's `errcode`) against a bare loop (`JSON.parse` →
 * `fetch` POST of the text body → read the JSON answer). Sixteen messages in flight, in interleaved rounds.
 */
export async function benchRobots(options: BenchOptions): Promise<RobotBenchResult> {
  const host = await startHost()
  let n = 0
  let sent = 0
  try {
    const dispatcher = createEventDispatcher({ store: memoryStore(), namespace: 'bench' })
    dispatcher.on('robot_message', async (message) => {
      await message.reply(`answer to ${message.text}`)
    })
    const ours = async (): Promise<void> => {
      const parsed = parseRobotMessage(messageText(host.webhook, n++))
      const outcome = await dispatcher.deliver([{ parsed, id: robotDeliveryId(parsed)! }], {
        transport: 'stream',
        receiveId: 'bench',
      })
      if (outcome.kind !== 'ack') throw new Error('a robot message was not handled')
    }
    const bare = async (): Promise<void> => {
      const message = JSON.parse(messageText(host.webhook, n++)) as {
        sessionWebhook: string
        text: { content: string }
      }
      const response = await fetch(message.sessionWebhook, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ msgtype: 'text', text: { content: `answer to ${message.text.content}` } }),
      })
      const body = (await response.json()) as { errcode?: number }
      if (body.errcode !== 0) throw new Error(`the session webhook answered ${JSON.stringify(body)}`)
    }
    // A round: `messages` messages through IN_FLIGHT workers, timed from the first to the last reply.
    const round = async (handle: () => Promise<void>, messages: number): Promise<number> => {
      let left = messages
      const started = process.hrtime.bigint()
      await Promise.all(
        Array.from({ length: IN_FLIGHT }, async () => {
          while (left > 0) {
            left--
            await handle()
          }
        }),
      )
      sent += messages
      return (messages * 1e9) / Number(process.hrtime.bigint() - started)
    }
    // Rounds of 1,500 swung the ratio between 0.7 and 1.0 from one run to the next: longer and more rounds.
    const messages = options.quick ? 200 : 3000
    const rounds = options.quick ? 2 : 11
    await round(ours, messages / 2) // warm-up
    await round(bare, messages / 2)
    const mine: number[] = []
    const theirs: number[] = []
    for (let r = 0; r < rounds; r++) {
      // The order alternates, so neither side always runs on the warmer machine.
      if (r % 2 === 0) {
        mine.push(await round(ours, messages))
        theirs.push(await round(bare, messages))
      } else {
        theirs.push(await round(bare, messages))
        mine.push(await round(ours, messages))
      }
    }
    const measurement = (name: string, rates: number[]) => ({
      name,
      opsPerSec: median(rates),
      min: Math.min(...rates),
      max: Math.max(...rates),
    })
    const comparison: Comparison = {
      group: `Robot messages/s: message → handler → reply via session webhook, vs a bare loop (${IN_FLIGHT} in flight)`,
      candidate: measurement('dingtalk-kit (typed event, de-dup, reply())', mine),
      baseline: measurement('bare JSON.parse + fetch POST', theirs),
      ratio: median(mine.map((rate, r) => rate / theirs[r]!)),
      goal: 0.9,
      note: `${rounds} rounds of ${messages.toLocaleString('en')} messages each; ratio: median of the per-round ratios`,
    }
    return { comparisons: [comparison], replies: await host.replies(), sent }
  } finally {
    const exited = once(host.child, 'exit')
    host.child.send({ cmd: 'exit' })
    await exited
  }
}

if (process.env[CHILD] === '1') await runWebhookHost()
