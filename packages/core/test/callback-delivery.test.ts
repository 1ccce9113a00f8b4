import { buildPush, pushEvent } from '@dingtalk-kit/emulator'
import { afterEach, describe, expect, it } from 'vitest'
import { createDingTalkClient, type DingTalkClient } from '../src/client'
import { createCallbackHandler, memoryStore, type Store, type SuiteCallbackClient } from '../src/index'
import { AES_KEY, CORP_ID, closeServed, event, gate, serve, TOKEN } from './callback-helpers'

// The timestamp window and the Web-standard face are in callback-inputs.test.ts.

afterEach(closeServed)

const push = (
  url: string,
  payload: Record<string, unknown>,
  extra: { retries?: number; timeoutMs?: number } = {},
) =>
  pushEvent({
    url,
    token: TOKEN,
    aesKey: AES_KEY,
    receiveId: CORP_ID,
    event: payload,
    backoffMs: 1,
    ...extra,
  })

/** A store whose operations fail while `failing` is set. */
function flakyStore(): Store & { failing: Set<keyof Store> } {
  const inner = memoryStore()
  const failing = new Set<keyof Store>()
  const guard = <K extends keyof Store>(name: K): Store[K] =>
    ((...args: unknown[]) => {
      if (failing.has(name)) return Promise.reject(new Error(`store ${name} unavailable`))
      return (inner[name] as (...a: unknown[]) => Promise<unknown>)(...args)
    }) as Store[K]
  return {
    failing,
    get: guard('get'),
    set: guard('set'),
    delete: guard('delete'),
    setIfAbsent: guard('setIfAbsent'),
    deleteIfEquals: guard('deleteIfEquals'),
  }
}

describe('de-duplication and failures', () => {
  it('does not mark a failed event done: the re-push runs it again, later re-pushes do not', async () => {
    const { handler, server, errors } = await serve()
    let calls = 0
    handler.on('user_add_org', () => {
      calls++
      if (calls === 1) throw new Error('database down')
    })
    const result = await push(server.url, event('fail-once'), { retries: 3 })
    expect(result.attempts.map((a) => a.status)).toEqual([503, 200])
    expect(result.ok).toBe(true)
    expect(calls).toBe(2)
    expect(errors.map((e) => e.code)).toEqual(['CALLBACK_HANDLER_FAILED'])
    expect(errors[0]?.status).toBe(503)
    expect(errors[0]?.cause).toEqual(new Error('database down'))
    expect((await push(server.url, event('fail-once'))).ok).toBe(true)
    expect(calls).toBe(2)
  })

  it('runs the handler once for two concurrent deliveries of one event', async () => {
    const { handler, server } = await serve({ options: { deadlineMs: false } })
    const release = gate()
    let calls = 0
    handler.on('user_add_org', async () => {
      calls++
      await release.promise
    })
    const both = Promise.all([push(server.url, event('concurrent')), push(server.url, event('concurrent'))])
    while (server.count < 2) await new Promise((r) => setTimeout(r, 5))
    release.open()
    const results = await both
    expect(results.map((r) => r.ok)).toEqual([true, true])
    expect(calls).toBe(1)
  })

  it('runs the handler once across two instances sharing a store', async () => {
    const store = memoryStore()
    const a = await serve({ store, options: { deadlineMs: false, pollIntervalMs: 2 } })
    const b = await serve({ store, options: { deadlineMs: false, pollIntervalMs: 2 } })
    const release = gate()
    let calls = 0
    for (const { handler } of [a, b]) {
      handler.on('user_add_org', async () => {
        calls++
        await release.promise
      })
    }
    const first = push(a.server.url, event('shared'))
    while (calls < 1) await new Promise((r) => setTimeout(r, 5))
    const second = push(b.server.url, event('shared'))
    while (b.server.count < 1) await new Promise((r) => setTimeout(r, 5))
    release.open()
    expect((await first).ok).toBe(true)
    expect((await second).ok).toBe(true)
    expect(calls).toBe(1)
  })

  it("hands the locals an adapter passes with a request to that request's event handlers", async () => {
    const handler = createCallbackHandler({ token: TOKEN, aesKey: AES_KEY, receiveId: CORP_ID })
    const seen: unknown[] = []
    handler.on('user_add_org', (_event, context) => void seen.push(context.locals))
    const requestFor = (id: string) => {
      const built = buildPush({
        url: 'http://localhost/callback',
        token: TOKEN,
        aesKey: AES_KEY,
        receiveId: CORP_ID,
        event: event(id),
      })
      return {
        method: 'POST',
        url: built.url,
        headers: { 'content-type': 'application/json' },
        body: built.body,
      }
    }
    const a = { request: 'a' }
    const b = { request: 'b' }
    const replies = await Promise.all([
      handler.handle(requestFor('locals-a'), { locals: a }),
      handler.handle(requestFor('locals-b'), { locals: b }),
      handler.handle(requestFor('locals-none')),
    ])
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200])
    expect(seen).toEqual([a, b, undefined])
  })

  it("de-duplicates in the client's store by default, so instances sharing a client store run an event once", async () => {
    const store = memoryStore()
    const clientOn = (): DingTalkClient =>
      createDingTalkClient({ appKey: 'dingdedupe', appSecret: 'secret', corpId: CORP_ID }, { store })
    const a = await serve({ client: clientOn(), receiveId: CORP_ID })
    const b = await serve({ client: clientOn(), receiveId: CORP_ID })
    let calls = 0
    for (const { handler } of [a, b]) handler.on('user_add_org', () => void calls++)
    expect((await push(a.server.url, event('client-store'))).ok).toBe(true)
    expect((await push(b.server.url, event('client-store'))).ok).toBe(true)
    expect(calls).toBe(1)
  })

  it('asks for a re-push (503) while the store is down, and succeeds once it is back', async () => {
    const store = flakyStore()
    const { handler, server, errors } = await serve({ store })
    let calls = 0
    handler.on('user_add_org', () => void calls++)
    store.failing.add('setIfAbsent')
    const down = await push(server.url, event('store-down'))
    expect(down.attempts[0]?.status).toBe(503)
    expect(calls).toBe(0)
    expect(errors.at(-1)?.code).toBe('CALLBACK_STORE_FAILED')
    store.failing.clear()
    expect((await push(server.url, event('store-down'))).ok).toBe(true)
    expect(calls).toBe(1)
  })

  it('acknowledges at the deadline while the handler finishes in the background', async () => {
    const { handler, server, errors } = await serve({ options: { deadlineMs: 30 } })
    const release = gate()
    const releaseLate = gate()
    let finished = 0
    handler.on('user_add_org', async (e) => {
      await (e.UserId[0] === 'late-fail' ? releaseLate.promise : release.promise)
      finished++
      if (e.UserId[0] === 'late-fail') throw new Error('late failure')
    })
    const result = await push(server.url, event('slow'))
    expect(result.ok).toBe(true)
    expect(finished).toBe(0)
    release.open()
    await handler.idle()
    expect(finished).toBe(1)
    expect((await push(server.url, event('slow'))).ok).toBe(true)
    expect(finished).toBe(1)

    const late = await push(server.url, event('late-fail'))
    expect(late.ok).toBe(true)
    expect(finished).toBe(1)
    releaseLate.open()
    await handler.idle()
    const failure = errors.find((e) => e.code === 'CALLBACK_HANDLER_FAILED')
    expect(failure?.status).toBeUndefined()
    expect(failure?.message).toContain('after the reply')
    // Not marked done: a re-push (e.g. a compensation pull) runs it again.
    await push(server.url, event('late-fail'))
    await handler.idle()
    expect(finished).toBe(3)
  })

  it('answers a URL check even when a check_url handler throws', async () => {
    const { handler, server, errors } = await serve()
    handler.on('check_url', () => {
      throw new Error('oops')
    })
    expect((await push(server.url, { EventType: 'check_url' })).ok).toBe(true)
    expect((await push(server.url, { EventType: 'check_url' })).ok).toBe(true)
    expect(errors.filter((e) => e.code === 'CALLBACK_HANDLER_FAILED')).toHaveLength(2)
  })
})

describe('built-in ISV steps persist before the reply', () => {
  const SUITE_KEY = 'suitecallbacktest01'
  const suiteEvent = (fields: Record<string, unknown>) => ({
    SuiteKey: SUITE_KEY,
    TimeStamp: String(Date.now()),
    ...fields,
  })

  function suite(): SuiteCallbackClient & {
    tickets: string[]
    failNext: number
    removed: string[]
    codes: string[]
  } {
    const state = { tickets: [] as string[], failNext: 0, removed: [] as string[], codes: [] as string[] }
    return Object.assign(state, {
      suiteKey: SUITE_KEY,
      async saveSuiteTicket(ticket: string) {
        if (state.failNext > 0) {
          state.failNext--
          throw new Error('redis down')
        }
        state.tickets.push(ticket)
      },
      async handleTmpAuthCode(code: string) {
        state.codes.push(code)
        return { corpId: 'dingauthorised' }
      },
      async removeCorp(corpId: string) {
        state.removed.push(corpId)
      },
    })
  }

  it('stores the suite_ticket before acknowledging; a failed write is re-pushed', async () => {
    const client = suite()
    const { handler, server, errors } = await serve({ receiveId: SUITE_KEY, suiteClient: client })
    const seen: string[] = []
    handler.on('suite_ticket', (e) => void seen.push(e.SuiteTicket))
    client.failNext = 1
    const result = await pushEvent({
      url: server.url,
      token: TOKEN,
      aesKey: AES_KEY,
      receiveId: SUITE_KEY,
      event: suiteEvent({ EventType: 'suite_ticket', SuiteTicket: 'ticket-1' }),
      retries: 2,
      backoffMs: 1,
    })
    expect(result.attempts.map((a) => a.status)).toEqual([503, 200])
    expect(client.tickets).toEqual(['ticket-1'])
    expect(seen).toEqual(['ticket-1'])
    expect(errors.map((e) => e.code)).toEqual(['CALLBACK_SUITE_FAILED'])
  })

  it('does not repeat a finished built-in step when only the user handler failed', async () => {
    const client = suite()
    const { handler, server } = await serve({ receiveId: SUITE_KEY, suiteClient: client })
    let calls = 0
    handler.on('tmp_auth_code', () => {
      calls++
      if (calls === 1) throw new Error('handler failed')
    })
    const result = await pushEvent({
      url: server.url,
      token: TOKEN,
      aesKey: AES_KEY,
      receiveId: SUITE_KEY,
      event: suiteEvent({ EventType: 'tmp_auth_code', AuthCode: 'single-use-code' }),
      retries: 2,
      backoffMs: 1,
    })
    expect(result.ok).toBe(true)
    expect(client.codes).toEqual(['single-use-code'])
    expect(calls).toBe(2)
  })

  it('ignores a suite_ticket of another suite and reports it', async () => {
    const client = suite()
    const { server, errors } = await serve({ receiveId: SUITE_KEY, suiteClient: client })
    const result = await pushEvent({
      url: server.url,
      token: TOKEN,
      aesKey: AES_KEY,
      receiveId: SUITE_KEY,
      event: suiteEvent({ EventType: 'suite_ticket', SuiteTicket: 'x', SuiteKey: 'suiteother' }),
    })
    expect(result.ok).toBe(true)
    expect(client.tickets).toEqual([])
    expect(errors.map((e) => e.code)).toEqual(['CALLBACK_SUITE_KEY_MISMATCH'])
  })
})
