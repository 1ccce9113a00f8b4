import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { memoryStore } from '@dingtalk-kit/core'
import { buildPush, generateAesKey } from '@dingtalk-kit/emulator'
import { dingtalk } from '@dingtalk-kit/koa'
import Koa from 'koa'
import { type BenchOptions, gcFunction } from './lib'

/** Heap around a long run of callbacks through an adapter. */
export interface CallbackMemory {
  adapter: string
  callbacks: number
  /** The de-duplication store's bound (memoryStore maxEntries). */
  dedupeEntries: number
  heapBeforeBytes: number
  heapAfterBytes: number
  /** The bound the report states for `heapAfter - heapBefore`. */
  boundBytes: number
  handled: number
  failures: number
  gcForced: boolean
}

const settle = async (collect: (() => void) | undefined): Promise<number> => {
  for (let i = 0; i < 3; i++) {
    collect?.()
    await new Promise((resolve) => setImmediate(resolve))
  }
  return process.memoryUsage().heapUsed
}

/**
 * 100,000 distinct callbacks (each a new event, so each leaves a de-duplication mark) through the Koa
 * adapter over loopback HTTP; the heap after a forced GC must stay within a stated bound because the
 * de-duplication store is bounded (`memoryStore({ maxEntries })`).
 *
 * @example
 * ```ts
 * const figures = await benchCallbackMemory({ quick: true })
 * ```
 */
export async function benchCallbackMemory(options: BenchOptions): Promise<CallbackMemory> {
  const token = 'memory-bench-token'
  const aesKey = generateAesKey()
  const receiveId = 'dingmemorybench0001'
  const dedupeEntries = 10_000
  let handled = 0
  const dt = dingtalk({
    callback: { token, aesKey, receiveId, store: memoryStore({ maxEntries: dedupeEntries }) },
  })
  dt.dingtalk.on('user_add_org', () => {
    handled++
  })
  const app = new Koa().use(dt.middleware())
  const server = createServer(app.callback())
  server.keepAliveTimeout = 60_000
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/dingtalk/callback`
  const total = options.quick ? 2_000 : 100_000
  const collect = gcFunction()
  let failures = 0
  let next = 0
  const send = async (): Promise<void> => {
    const i = next++
    const push = buildPush({
      url,
      token,
      aesKey,
      receiveId,
      event: {
        EventType: 'user_add_org',
        TimeStamp: String(1_700_000_000_000 + i),
        CorpId: receiveId,
        UserId: [`u${i}`],
      },
    })
    const res = await fetch(push.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: push.body,
    })
    await res.arrayBuffer()
    if (res.status !== 200) failures++
  }
  const worker = async (count: number): Promise<void> => {
    for (let i = 0; i < count; i++) await send()
  }
  try {
    // Warm up (JIT, sockets, the store's first entries) before the baseline heap reading.
    await Promise.all(Array.from({ length: 16 }, () => worker(50)))
    const before = await settle(collect)
    const per = Math.ceil((total - next) / 16)
    await Promise.all(Array.from({ length: 16 }, () => worker(per)))
    const after = await settle(collect)
    return {
      adapter: '@dingtalk-kit/koa (memoryStore de-duplication)',
      callbacks: next,
      dedupeEntries,
      heapBeforeBytes: before,
      heapAfterBytes: after,
      boundBytes: 32 * 2 ** 20,
      handled,
      failures,
      gcForced: collect !== undefined,
    }
  } finally {
    server.closeAllConnections()
    server.close()
  }
}
