import { defaultFixture, type Emulator, startEmulator } from '@dingtalk-kit/emulator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createDingTalkClient,
  type DingTalkClientOptions,
  DingTalkRateLimitError,
  DingTalkRequestError,
  type RetryEvent,
} from '../src/index'

const org = defaultFixture.orgs[0]!
const app = org.apps![0]!
const APP = { appKey: app.appKey, appSecret: app.appSecret }

let emu: Emulator
beforeAll(async () => {
  emu = await startEmulator({
    rateLimits: [
      { route: '/user/getuserinfo', limit: 0, errcode: 90002 },
      { route: '/topapi/v2/user/getuserinfo', limit: 0, errcode: 45009 },
      // DingTalk's 2 calls per second, 10 times faster: 2 calls per 100 ms window, 90018 above it.
      { route: '/topapi/v2/user/get', limit: 2, windowMs: 100, errcode: 90018 },
    ],
  })
})
afterAll(() => emu.close())

function client(retries: RetryEvent[], options: DingTalkClientOptions = {}) {
  return createDingTalkClient(APP, {
    baseUrl: emu.url,
    retry: { baseDelayMs: 1, maxDelayMs: 4 },
    ...options,
    hooks: { onRetry: (e) => retries.push(e) },
  })
}

async function catchError(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected a rejection')
}

describe('rate limits by errcode (§10)', () => {
  it.each([
    ['/user/getuserinfo', 90002],
    ['/topapi/v2/user/getuserinfo', 45009],
  ] as const)(
    '%s answering %d forever → 3 retries with backoff, then DingTalkRateLimitError',
    async (path, errcode) => {
      const retries: RetryEvent[] = []
      const c = client(retries)
      await c.getAccessToken()
      const before = emu.count(path)
      const error = await catchError(
        path === '/user/getuserinfo'
          ? c.request({ path, query: { code: 'x' } })
          : c.request({ path, json: { code: 'x' } }),
      )
      expect(error).toBeInstanceOf(DingTalkRateLimitError)
      expect((error as DingTalkRateLimitError).errcode).toBe(errcode)
      expect((error as DingTalkRateLimitError).attempts).toBe(4)
      expect(emu.count(path) - before).toBe(4)
      expect(retries.map((r) => [r.reason, r.errcode])).toEqual(Array(3).fill(['RATE_LIMITED', errcode]))
    },
  )
})

describe('a rate limit shared by the callers of a client (§10)', () => {
  it('100 concurrent calls against 2 per window: all succeed, at most one limited probe per window', async () => {
    const retries: RetryEvent[] = []
    // DingTalk's advice (1 s, 2 s, 4 s), 10 times faster like the limit.
    const c = client(retries, { retry: { maxRetries: 3, baseDelayMs: 100, maxDelayMs: 400 } })
    await c.getAccessToken()
    const before = emu.count('/topapi/v2/user/get')
    const t0 = performance.now()
    const results = await Promise.allSettled(Array.from({ length: 100 }, () => c.contacts.users.get('lisi')))
    const windows = Math.ceil((performance.now() - t0) / 100)
    const sent = emu.count('/topapi/v2/user/get') - before
    console.info(`100 calls vs 2 per 100 ms: ${sent} requests in ${windows} windows`)
    const failed = results.filter((r) => r.status === 'rejected')
    expect(failed.map((r) => String((r as PromiseRejectedResult).reason))).toEqual([])
    expect(retries.every((r) => r.reason === 'RATE_LIMITED' && r.errcode === 90018)).toBe(true)
    // The first burst (100) goes out before any answer; after it, one request per call still owed (98) and at
    // most a limited probe or two per window. Each caller backing off on its own sent ~386 (issue #17).
    expect(sent).toBeLessThanOrEqual(100 + 98 + 2 * windows)
    expect(sent).toBeLessThan(300)
  })

  it('the limit of one path does not hold back another path', async () => {
    const retries: RetryEvent[] = []
    const c = client(retries, { retry: { maxRetries: 3, baseDelayMs: 600, maxDelayMs: 600 } })
    await c.getAccessToken()
    const limited = Promise.allSettled(Array.from({ length: 5 }, () => c.contacts.users.get('lisi')))
    await new Promise((resolve) => setTimeout(resolve, 50))
    const t0 = performance.now()
    expect((await c.contacts.departments.get(1)).deptId).toBe(1)
    expect(performance.now() - t0).toBeLessThan(250)
    await limited
  })
})

describe('reads DingTalk serves over POST are repeated like GETs', () => {
  it.each(['http5xx', 'truncated', 'reset'] as const)(
    'topapi/v2/user/get after %s → retried, success',
    async (kind) => {
      const retries: RetryEvent[] = []
      const c = client(retries)
      await c.getAccessToken()
      // Past any window the other tests filled.
      await new Promise((resolve) => setTimeout(resolve, 110))
      emu.faults.inject({ route: '/topapi/v2/user/get', kind, times: 1 })
      const before = emu.count('/topapi/v2/user/get')
      expect((await c.contacts.users.get('lisi')).userId).toBe('lisi')
      expect(emu.count('/topapi/v2/user/get') - before).toBe(2)
      expect(retries).toHaveLength(1)
    },
  )

  it('a POST that changes something is not repeated after a truncated answer', async () => {
    const c = client([])
    await c.getAccessToken()
    emu.faults.inject({ route: '/topapi/v2/user/update', kind: 'truncated', times: 1 })
    const before = emu.count('/topapi/v2/user/update')
    const error = await catchError(c.contacts.users.update({ userId: 'lisi', name: '李四' }))
    expect(error).toBeInstanceOf(DingTalkRequestError)
    expect(emu.count('/topapi/v2/user/update') - before).toBe(1)
  })

  it('the IP-ban (punish) page is not retried: every request sent meanwhile prolongs the ban', async () => {
    const retries: RetryEvent[] = []
    const c = client(retries)
    await c.getAccessToken()
    emu.faults.inject({ route: '/topapi/v2/department/get', kind: 'punish', times: 5 })
    const before = emu.count('/topapi/v2/department/get')
    const error = await catchError(c.contacts.departments.get(1))
    expect((error as DingTalkRateLimitError).punished).toBe(true)
    expect(emu.count('/topapi/v2/department/get') - before).toBe(1)
    expect(retries).toEqual([])
    emu.faults.clear()
  })
})
