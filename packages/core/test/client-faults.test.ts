import type { FaultKind } from '@dingtalk-kit/emulator'
import { afterAll, describe, expect, it } from 'vitest'
import {
  DingTalkApiError,
  DingTalkHttpError,
  DingTalkRateLimitError,
  DingTalkTimeoutError,
  type RetryEvent,
} from '../src/index'
import {
  APP,
  catchError,
  client,
  counter,
  emu,
  loggedWithoutSecrets,
  remember,
  useEmulator,
  userinfoGet,
  userinfoPost,
} from './client-helpers'

useEmulator()

// This file's traffic (retries, problem reports) carries no secret either: client.test.ts's hooks test
// checks its own file's the same way. Registered after useEmulator(), so it runs before the emulator closes.
afterAll(() => {
  loggedWithoutSecrets()
})

describe('faults, retries and final outcomes', () => {
  type Case = {
    kind: FaultKind
    times: number
    method: 'GET' | 'POST'
    calls: number
    retries: string[]
    outcome: 'ok' | ((error: unknown) => void)
    /** Fault `/gettoken` (a truly idempotent GET) instead of `/user/getuserinfo` (which consumes its code). */
    gettoken?: boolean
  }
  const exhausted = ['x', 'x', 'x']
  // A fault on a POST: not retried (DingTalk may have processed it), surfaced as a DingTalkHttpError with `code`.
  const notRetriedOnPost = (kind: FaultKind, code: string, httpStatus?: number): Case => ({
    kind,
    times: 1,
    method: 'POST',
    calls: 1,
    retries: [],
    outcome: (e) => {
      expect(e).toBeInstanceOf(DingTalkHttpError)
      expect((e as DingTalkHttpError).code).toBe(code)
      if (httpStatus !== undefined) expect((e as DingTalkHttpError).httpStatus).toBe(httpStatus)
    },
  })
  const cases: [string, Case][] = [
    [
      'busy (-1) twice on a GET → 2 retries, success',
      {
        kind: 'busy',
        times: 2,
        method: 'GET',
        calls: 3,
        retries: ['SYSTEM_BUSY', 'SYSTEM_BUSY'],
        outcome: 'ok',
      },
    ],
    [
      'busy (-1) on a POST → retried (DingTalk did nothing), success',
      { kind: 'busy', times: 1, method: 'POST', calls: 2, retries: ['SYSTEM_BUSY'], outcome: 'ok' },
    ],
    [
      'busy (-1) forever → 3 retries, then DingTalkApiError -1',
      {
        kind: 'busy',
        times: Number.POSITIVE_INFINITY,
        method: 'GET',
        calls: 4,
        retries: exhausted.map(() => 'SYSTEM_BUSY'),
        outcome: (e) => {
          expect(e).toBeInstanceOf(DingTalkApiError)
          expect((e as DingTalkApiError).errcode).toBe(-1)
          expect((e as DingTalkApiError).attempts).toBe(4)
        },
      },
    ],
    [
      'punish page (the egress IP is blocked, §10) → not retried, DingTalkRateLimitError (punished)',
      {
        kind: 'punish',
        times: Number.POSITIVE_INFINITY,
        method: 'GET',
        calls: 1,
        retries: [],
        outcome: (e) => {
          expect(e).toBeInstanceOf(DingTalkRateLimitError)
          expect((e as DingTalkRateLimitError).punished).toBe(true)
          expect((e as DingTalkRateLimitError).code).toBe('RATE_LIMITED')
          expect((e as DingTalkRateLimitError).attempts).toBe(1)
        },
      },
    ],
    [
      'HTTP 502 twice on a GET → 2 retries, success',
      {
        kind: 'http5xx',
        times: 2,
        method: 'GET',
        calls: 3,
        retries: ['HTTP_ERROR', 'HTTP_ERROR'],
        outcome: 'ok',
      },
    ],
    ['HTTP 502 on a POST → not retried, DingTalkHttpError', notRetriedOnPost('http5xx', 'HTTP_ERROR', 502)],
    [
      'HTTP 502 forever on a GET → 3 retries, then DingTalkHttpError',
      {
        kind: 'http5xx',
        times: Number.POSITIVE_INFINITY,
        method: 'GET',
        calls: 4,
        retries: exhausted.map(() => 'HTTP_ERROR'),
        outcome: (e) => expect((e as DingTalkHttpError).code).toBe('HTTP_ERROR'),
      },
    ],
    [
      'truncated JSON on gettoken → 1 retry, success',
      {
        kind: 'truncated',
        times: 1,
        method: 'GET',
        calls: 2,
        retries: ['INVALID_RESPONSE'],
        outcome: 'ok',
        gettoken: true,
      },
    ],
    [
      'truncated JSON on a POST → not retried (it was processed), INVALID_RESPONSE',
      notRetriedOnPost('truncated', 'INVALID_RESPONSE'),
    ],
    [
      'HTML instead of JSON on a GET → 1 retry, success',
      { kind: 'nonJson', times: 1, method: 'GET', calls: 2, retries: ['INVALID_RESPONSE'], outcome: 'ok' },
    ],
    [
      'HTML instead of JSON on a POST → not retried, INVALID_RESPONSE',
      notRetriedOnPost('nonJson', 'INVALID_RESPONSE'),
    ],
    [
      'connection reset on a GET → 1 retry, success',
      { kind: 'reset', times: 1, method: 'GET', calls: 2, retries: ['NETWORK_ERROR'], outcome: 'ok' },
    ],
    ['connection reset on a POST → not retried, NETWORK_ERROR', notRetriedOnPost('reset', 'NETWORK_ERROR')],
  ]

  it.each(cases)('%s', async (_name, c) => {
    const retries: RetryEvent[] = []
    const cl = client(APP, { retries })
    if (!c.gettoken) remember(await cl.getAccessToken())
    const route = c.gettoken
      ? '/gettoken'
      : c.method === 'GET'
        ? '/user/getuserinfo'
        : '/topapi/v2/user/getuserinfo'
    const calls = counter(route)
    emu.faults.inject({ route, kind: c.kind, times: c.times })
    const run = c.gettoken ? cl.getAccessToken() : c.method === 'GET' ? userinfoGet(cl) : userinfoPost(cl)
    if (c.outcome === 'ok') await run
    else c.outcome(await catchError(run))
    expect(calls()).toBe(c.calls)
    expect(retries.map((r) => r.reason)).toEqual(c.retries)
  })

  it('latency beyond timeoutMs: a GET is retried and succeeds; a POST fails with DingTalkTimeoutError', async () => {
    const retries: RetryEvent[] = []
    const c = client(APP, { retries, timeoutMs: 1000 })
    remember(await c.getAccessToken())
    emu.faults.inject({ route: '/user/getuserinfo', kind: 'latency', ms: 5000, times: 1 })
    expect((await userinfoGet(c)).userid).toBe('lisi')
    expect(retries.map((r) => r.reason)).toEqual(['TIMEOUT'])
    emu.faults.inject({ route: '/topapi/v2/user/getuserinfo', kind: 'latency', ms: 5000, times: 1 })
    const calls = counter('/topapi/v2/user/getuserinfo')
    const error = await catchError(userinfoPost(c))
    expect(error).toBeInstanceOf(DingTalkTimeoutError)
    expect((error as DingTalkTimeoutError).code).toBe('TIMEOUT')
    expect(calls()).toBe(1)
    expect(retries).toHaveLength(1)
  })

  it('faults on gettoken itself are retried like any GET', async () => {
    const gettoken = counter('/gettoken')
    emu.faults.inject({ route: '/gettoken', kind: 'busy', times: 1 })
    emu.faults.inject({ route: '/gettoken', kind: 'reset', times: 1 })
    emu.expireTokens()
    remember(await client().getAccessToken())
    expect(gettoken()).toBe(3)
  })

  it('a user abort is not retried and rejects with the abort reason', async () => {
    const c = client()
    remember(await c.getAccessToken())
    const calls = counter('/user/getuserinfo')
    emu.faults.inject({ route: '/user/getuserinfo', kind: 'latency', ms: 1000, times: 1 })
    const controller = new AbortController()
    const run = c.request({ path: '/user/getuserinfo', query: { code: 'x' }, signal: controller.signal })
    setTimeout(() => controller.abort(new Error('user went away')), 50)
    await expect(run).rejects.toThrow('user went away')
    expect(calls()).toBeLessThanOrEqual(1)
  })
})
