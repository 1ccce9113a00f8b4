import { createDingTalkClient, type DingTalkClient } from '@dingtalk-kit/core'
import { defaultFixture, type Emulator, startEmulator } from '@dingtalk-kit/emulator'
import {
  type BenchOptions,
  type Comparison,
  compare,
  gcFunction,
  LOOPBACK_ROUNDS,
  type Measurement,
  measure,
} from './lib'

const org = defaultFixture.orgs[0]!
const app = org.apps![0]!

/** Heap use around a long run of client calls. */
export interface MemoryFigures {
  name: string
  calls: number
  heapBeforeBytes: number
  heapAfterBytes: number
  /** `heapAfter - heapBefore`, after a forced GC on both sides. */
  deltaBytes: number
  bytesPerCall: number
  /** Whether GC could be forced (both figures are then post-GC). */
  gcForced: boolean
}

/** Absolute figures of the client benchmarks (the comparisons come from {@link benchClient}). */
export interface ClientFigures {
  /** Cached `getAccessToken()` in-process; goal ≥ 2 M/s. */
  cachedToken: Measurement & { goal: number }
  /** Client calls against the emulator, one at a time. */
  calls: Measurement[]
  memory: MemoryFigures
}

async function withEmulator<T>(fn: (emu: Emulator, client: DingTalkClient) => Promise<T>): Promise<T> {
  // No rate limits, no faults; the request log is cleared as we go so it does not grow with the run.
  const emu = await startEmulator({ suiteTicketIntervalMs: 0 })
  try {
    const client = createDingTalkClient(
      { appKey: app.appKey, appSecret: app.appSecret },
      { baseUrl: emu.url },
    )
    await client.getAccessToken()
    return await fn(emu, client)
  } finally {
    await emu.close()
  }
}

/**
 * The issue’s “Speed and memory” comparisons:
 * - a GET and a JSON POST through the client vs a bare `fetch` of the same URL with the same token and body,
 *   both against the emulator in the same run (goal ≥ 0.9×).
 *
 * @example
 * ```ts
 * const comparisons = await benchClient({ quick: true })
 * ```
 */
export async function benchClient(options: BenchOptions): Promise<Comparison[]> {
  return withEmulator(async (emu, client) => {
    const token = await client.getAccessToken()
    const out: Comparison[] = []
    const getUrl = `${emu.url}/user/get?access_token=${encodeURIComponent(token)}&userid=zhangsan`
    out.push(
      await compare(
        'client: GET /user/get vs bare fetch (emulator)',
        {
          name: 'client.request GET',
          fn: () => {
            emu.log.length = 0
            return client.request({ path: '/user/get', query: { userid: 'zhangsan' } })
          },
        },
        {
          name: 'fetch + res.json()',
          fn: async () => {
            emu.log.length = 0
            const res = await fetch(getUrl)
            const body = (await res.json()) as { errcode: number }
            if (body.errcode !== 0) throw new Error(`errcode ${body.errcode}`)
            return body
          },
        },
        { ...options, ...LOOPBACK_ROUNDS, goal: 0.9 },
      ),
    )
    // What a timeout signal alone costs fetch (no goal: context for the row above). It is why the client keeps
    // its timeout in undici's dispatch options on Node's fetch, not in an AbortSignal (core's http/deadline.ts).
    out.push(
      await compare(
        'bare fetch with a timeout signal vs bare fetch (emulator, GET /user/get)',
        {
          name: 'fetch(url, { signal: AbortSignal.timeout(10_000) })',
          fn: async () => {
            emu.log.length = 0
            const res = await fetch(getUrl, { signal: AbortSignal.timeout(10_000) })
            return res.json()
          },
        },
        {
          name: 'fetch(url)',
          fn: async () => {
            emu.log.length = 0
            const res = await fetch(getUrl)
            return res.json()
          },
        },
        { ...options, ...LOOPBACK_ROUNDS },
      ),
    )
    const postUrl = `${emu.url}/topapi/v2/user/get?access_token=${encodeURIComponent(token)}`
    const json = { userid: 'zhangsan', language: 'zh_CN' }
    out.push(
      await compare(
        'client: POST /topapi/v2/user/get vs bare fetch (emulator)',
        {
          name: 'client.request POST JSON',
          fn: () => {
            emu.log.length = 0
            return client.request({ path: '/topapi/v2/user/get', json })
          },
        },
        {
          name: 'fetch POST + res.json()',
          fn: async () => {
            emu.log.length = 0
            const res = await fetch(postUrl, {
              method: 'POST',
              headers: { 'Content-Type': 'application/json;charset=UTF-8' },
              body: JSON.stringify(json),
            })
            const body = (await res.json()) as { errcode: number }
            if (body.errcode !== 0) throw new Error(`errcode ${body.errcode}`)
            return body
          },
        },
        { ...options, ...LOOPBACK_ROUNDS, goal: 0.9 },
      ),
    )
    return out
  })
}

/**
 * Absolute figures: cached-token rate, client call rates, and heap before/after 100,000 client calls
 * against the emulator (20,000 in quick mode), 50 in flight, GC forced before each reading.
 *
 * @example
 * ```ts
 * const { cachedToken, memory } = await benchClientFigures({ quick: false })
 * ```
 */
export async function benchClientFigures(options: BenchOptions): Promise<ClientFigures> {
  return withEmulator(async (emu, client) => {
    const cached = await measure('client.getAccessToken() (cached)', () => client.getAccessToken(), options)
    const calls = [
      await measure(
        'client.request GET /user/get',
        () => {
          emu.log.length = 0
          return client.request({ path: '/user/get', query: { userid: 'zhangsan' } })
        },
        options,
      ),
    ]
    const gc = gcFunction()
    const total = options.quick ? 20_000 : 100_000
    const inFlight = 50
    const run = async (n: number): Promise<void> => {
      let next = 0
      const worker = async (): Promise<void> => {
        while (next < n) {
          next++
          await client.request({ path: '/user/get', query: { userid: 'zhangsan' } })
          if (emu.log.length > 1000) emu.log.length = 0
        }
      }
      await Promise.all(Array.from({ length: inFlight }, worker))
    }
    await run(Math.min(5000, total))
    emu.log.length = 0
    gc?.()
    const before = process.memoryUsage().heapUsed
    await run(total)
    emu.log.length = 0
    gc?.()
    const after = process.memoryUsage().heapUsed
    return {
      cachedToken: { ...cached, goal: 2_000_000 },
      calls,
      memory: {
        name: `${total} client.request calls (50 in flight) against the emulator`,
        calls: total,
        heapBeforeBytes: before,
        heapAfterBytes: after,
        deltaBytes: after - before,
        bytesPerCall: (after - before) / total,
        gcForced: gc !== undefined,
      },
    }
  })
}
