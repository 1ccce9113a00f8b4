import { createDingTalkClient } from '@dingtalk-kit/core'
import { defaultFixture, startEmulator } from '@dingtalk-kit/emulator'
import type { BenchOptions } from './lib'

const app = defaultFixture.orgs[0]!.apps![0]!

/** `getAccessToken()` under N concurrent callers, cold (empty cache) and cached. */
export interface TokenConcurrency {
  callers: number
  /** Cold: a fresh client, N callers at once; the time until the last one has its token (median of rounds). */
  coldP50Ms: number
  coldMaxMs: number
  /** `gettoken` calls DingTalk saw per cold round (goal: exactly 1). */
  gettokenPerColdRound: number[]
  /** Cached: N callers at once on a warm client, batches per second × N. */
  cachedCallsPerSec: number
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[sorted.length >> 1]!
}

/**
 * The "cached and cold getAccessToken() under 1/100/1,000 concurrent callers", against the emulator.
 *
 * @example
 * ```ts
 * const figures = await benchTokenConcurrency({ quick: true })
 * ```
 */
export async function benchTokenConcurrency(options: BenchOptions): Promise<TokenConcurrency[]> {
  const emu = await startEmulator({ suiteTicketIntervalMs: 0 })
  const rounds = options.quick ? 3 : 15
  const out: TokenConcurrency[] = []
  try {
    for (const callers of [1, 100, 1000]) {
      const cold: number[] = []
      const perRound: number[] = []
      for (let r = 0; r < rounds; r++) {
        const client = createDingTalkClient(
          { appKey: app.appKey, appSecret: app.appSecret },
          { baseUrl: emu.url },
        )
        const before = emu.count('/gettoken')
        const started = performance.now()
        await Promise.all(Array.from({ length: callers }, () => client.getAccessToken()))
        cold.push(performance.now() - started)
        perRound.push(emu.count('/gettoken') - before)
        emu.log.length = 0
      }
      const warm = createDingTalkClient(
        { appKey: app.appKey, appSecret: app.appSecret },
        { baseUrl: emu.url },
      )
      await warm.getAccessToken()
      const batches = options.quick ? 200 : 2000
      const started = performance.now()
      for (let b = 0; b < batches; b++) {
        await Promise.all(Array.from({ length: callers }, () => warm.getAccessToken()))
      }
      const seconds = (performance.now() - started) / 1000
      out.push({
        callers,
        coldP50Ms: median(cold),
        coldMaxMs: Math.max(...cold),
        gettokenPerColdRound: perRound,
        cachedCallsPerSec: (batches * callers) / seconds,
      })
    }
  } finally {
    await emu.close()
  }
  return out
}
