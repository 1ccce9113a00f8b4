import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { createDingTalkClient, DingTalkRateLimitError } from '@dingtalk-kit/core'
import { defaultFixture, type Emulator, startEmulator } from '@dingtalk-kit/emulator'
import { redisStore } from '@dingtalk-kit/redis'
import { Redis } from 'ioredis'
import { type BenchOptions, type Comparison, median } from './lib'
import { withRedis } from './redis'

// Issue #16: card streaming at DingTalk's card limit (§14.4: about 40 QPS) from 3 instances.
const app = defaultFixture.orgs[0]!.apps![0]!
const CHILD_FLAG = 'DINGTALK_KIT_BENCH_CARDS_CHILD'
const PROCESSES = 3
const LIMIT = 40
const IN_FLIGHT = 20

type Mode = 'cards' | 'requestV1'
type ToChild = { cmd: 'run'; mode: Mode; frames: number; outTrackIds: string[] } | { cmd: 'exit' }
type FromChild = { type: 'ready' } | { type: 'done'; sent: number; surfaced: number; other: string[] }

/** One round of one mode: 3 processes, each `frames` streaming updates with {@link IN_FLIGHT} in flight. */
export interface CardRound {
  /** Streaming updates DingTalk accepted per second of the round's wall time. */
  qps: number
  /** `QpsLimit` errors that reached the caller (after every retry). */
  surfaced: number
  /** `QpsLimit` answers the emulator gave (retried or surfaced). */
  refused: number
  /** The busiest second at the emulator: accepted, and accepted + refused. */
  maxAccepted: number
  maxAttempted: number
  /** Errors other than QpsLimit (want none). */
  other: string[]
}

/** What {@link benchCards} measures. */
export interface CardsBenchResult {
  limit: number
  processes: number
  framesPerProcess: number
  candidate: CardRound[]
  baseline: CardRound[]
  comparisons: Comparison[]
  redis: 'redis-server' | 'REDIS_URL'
}

function spawn(url: string, emu: Emulator, prefix: string): { proc: ChildProcess; inbox: FromChild[] } {
  const proc = fork(fileURLToPath(import.meta.url), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, [CHILD_FLAG]: '1', REDIS_URL: url, BASE_URL: emu.url, KEY_PREFIX: prefix },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const child = { proc, inbox: [] as FromChild[] }
  proc.on('message', (message: FromChild) => child.inbox.push(message))
  return child
}

async function next(child: { inbox: FromChild[] }, type: FromChild['type']): Promise<FromChild> {
  for (;;) {
    const index = child.inbox.findIndex((m) => m.type === type)
    if (index >= 0) return child.inbox.splice(index, 1)[0]!
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

async function round(
  emu: Emulator,
  children: { proc: ChildProcess; inbox: FromChild[] }[],
  mode: Mode,
  frames: number,
  outTrackIds: string[],
): Promise<CardRound> {
  // Start each round on a fresh second, with the previous round's pauses and slots gone.
  await new Promise((resolve) => setTimeout(resolve, 2100 - (Date.now() % 1000)))
  emu.cards.resetCounts()
  const t0 = performance.now()
  for (const c of children) c.proc.send({ cmd: 'run', mode, frames, outTrackIds } satisfies ToChild)
  const done = (await Promise.all(children.map((c) => next(c, 'done')))) as Extract<
    FromChild,
    { type: 'done' }
  >[]
  const seconds = (performance.now() - t0) / 1000
  const max = emu.cards.maxPerSecond(app.appKey)
  return {
    qps: done.reduce((n, d) => n + d.sent, 0) / seconds,
    surfaced: done.reduce((n, d) => n + d.surfaced, 0),
    refused: max.refused,
    maxAccepted: max.accepted,
    maxAttempted: max.attempted,
    other: done.flatMap((d) => d.other),
  }
}

const summary = (name: string, rounds: CardRound[]) => {
  const qps = rounds.map((r) => r.qps)
  return { name, opsPerSec: median(qps), min: Math.min(...qps), max: Math.max(...qps) }
}

/**
 * Card streaming from 3 processes sharing one Redis against the emulator's per-app card limit (40/s), in
 * interleaved rounds: `client.cards.streamingUpdate` (the shared limiter, QpsLimit retried behind a shared
 * pause) vs the same frames through `client.requestV1` (the client's own retries on QpsLimit, no limiter).
 *
 * @example
 * ```ts
 * const { candidate, baseline } = await benchCards({ quick: true })
 * console.log(candidate[0]?.surfaced, baseline[0]?.refused)
 * ```
 */
export async function benchCards(options: BenchOptions): Promise<CardsBenchResult> {
  const rounds = options.quick ? 1 : 3
  const frames = options.quick ? 60 : 200
  return withRedis(async (url, source) => {
    const emu = await startEmulator({ suiteTicketIntervalMs: 0, cardQps: LIMIT })
    const children = Array.from({ length: PROCESSES }, () => spawn(url, emu, `bench-cards:${process.pid}:`))
    try {
      await Promise.all(children.map((c) => next(c, 'ready')))
      const setup = createDingTalkClient(app, { baseUrl: emu.url, cards: { qps: 0 } })
      const cards = await Promise.all(
        Array.from({ length: 12 }, () => setup.cards.create({ cardTemplateId: 'bench-ai-card.schema' })),
      )
      const outTrackIds = cards.map((c) => c.outTrackId)
      const candidate: CardRound[] = []
      const baseline: CardRound[] = []
      for (let r = 0; r < rounds; r++) {
        candidate.push(await round(emu, children, 'cards', frames, outTrackIds))
        baseline.push(await round(emu, children, 'requestV1', frames, outTrackIds))
      }
      const c = summary('client.cards.streamingUpdate (shared limiter on Redis)', candidate)
      const b = summary('client.requestV1 PUT /v1.0/card/streaming (client retries, no limiter)', baseline)
      const comparisons: Comparison[] = [
        {
          group: `cards: streaming updates/s, ${PROCESSES} processes × ${IN_FLIGHT} in flight, limit ${LIMIT}/s`,
          candidate: c,
          baseline: b,
          ratio: c.opsPerSec / b.opsPerSec,
          note: 'accepted updates per second of wall time; both sides are capped by the emulator at the limit',
        },
      ]
      return {
        limit: LIMIT,
        processes: PROCESSES,
        framesPerProcess: frames,
        candidate,
        baseline,
        comparisons,
        redis: source,
      }
    } finally {
      for (const c of children) c.proc.kill('SIGKILL')
      await emu.close()
    }
  })
}

async function child(): Promise<void> {
  const env = (name: string): string => process.env[name] ?? ''
  const redis = new Redis(env('REDIS_URL'))
  const store = redisStore({ client: redis, keyPrefix: env('KEY_PREFIX') })
  const client = createDingTalkClient(app, { baseUrl: env('BASE_URL'), store, cards: { qps: LIMIT } })
  const send = (message: FromChild): void => {
    process.send?.(message)
  }
  const frame = (mode: Mode, outTrackId: string, i: number): Promise<unknown> => {
    const json = { outTrackId, key: 'msgContent', content: `${i};`, isFull: false }
    return mode === 'cards'
      ? client.cards.streamingUpdate(json)
      : client.requestV1({
          method: 'PUT',
          path: '/v1.0/card/streaming',
          json: { ...json, guid: `${process.pid}-${i}-${Math.random()}`, isFinalize: false, isError: false },
        })
  }
  const run = async (mode: Mode, frames: number, outTrackIds: string[]): Promise<FromChild> => {
    let nextFrame = 0
    let sent = 0
    let surfaced = 0
    const other: string[] = []
    const worker = async (): Promise<void> => {
      for (let i = nextFrame++; i < frames; i = nextFrame++) {
        try {
          await frame(mode, outTrackIds[i % outTrackIds.length]!, i)
          sent++
        } catch (error) {
          if (error instanceof DingTalkRateLimitError) surfaced++
          else other.push(String(error))
        }
      }
    }
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker))
    return { type: 'done', sent, surfaced, other }
  }
  process.on('message', (message: ToChild) => {
    if (message.cmd === 'run') void run(message.mode, message.frames, message.outTrackIds).then(send)
    else {
      redis.disconnect()
      process.disconnect()
    }
  })
  await client.getAccessToken()
  send({ type: 'ready' })
}

if (process.env[CHILD_FLAG] === '1') await child()
