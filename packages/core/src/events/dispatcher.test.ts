import { describe, expect, it } from 'vitest'
import type { DingTalkCallbackError } from '../errors/callback'
import { memoryStore } from '../store/store'
import type { SuiteCallbackClient } from './context'
import { createEventDispatcher, type DeliveryOptions } from './dispatcher'
import { parseEvents } from './parse'

const silent = {}
const userAdd = (eventId: string) =>
  parseEvents({ EventType: 'user_add_org', CorpId: 'ding1', UserId: ['u1'], TimeStamp: 1, eventId })[0]!
const http: DeliveryOptions = { transport: 'callback', receiveId: 'ding1', retryStatus: 503 }
const stream: DeliveryOptions = { transport: 'stream', receiveId: 'dingapp', frame: { headers: {} } }

describe('createEventDispatcher', () => {
  it('an event delivered over HTTP and over Stream is handled once; each transport acks', async () => {
    const events = createEventDispatcher({ namespace: 'app', logger: silent })
    const seen: string[] = []
    events.on('user_add_org', (e, ctx) => {
      seen.push(`${ctx.transport}:${e.UserId.join()}`)
    })
    const parsed = userAdd('E1')
    const [a, b] = await Promise.all([
      events.deliver([{ parsed, id: 'id:E1' }], http),
      events.deliver([{ parsed, id: 'id:E1' }], stream),
    ])
    expect([a.kind, b.kind]).toEqual(['ack', 'ack'])
    expect(seen).toHaveLength(1)
    expect(await events.deliver([{ parsed, id: 'id:E1' }], stream)).toEqual({ kind: 'ack', duplicate: true })
    expect(seen).toHaveLength(1)
  })

  it('a throwing handler asks for a retry, is reported with its transport, and runs again on redelivery', async () => {
    const errors: DingTalkCallbackError[] = []
    const events = createEventDispatcher({ namespace: 'app', logger: silent, onError: (e) => errors.push(e) })
    let calls = 0
    events.on('user_add_org', () => {
      calls++
      if (calls === 1) throw new Error('db down')
    })
    const delivery = { parsed: userAdd('E2'), id: 'id:E2' }
    expect(await events.deliver([delivery], stream)).toEqual({ kind: 'retry' })
    expect(errors.map((e) => [e.code, e.transport, e.status])).toEqual([
      ['CALLBACK_HANDLER_FAILED', 'stream', undefined],
    ])
    expect(await events.deliver([delivery], stream)).toEqual({ kind: 'ack' })
    expect(calls).toBe(2)
  })

  it("a single event's handler return value is the ack's result (a card update)", async () => {
    const events = createEventDispatcher({ logger: silent })
    events.onAny(() => 'ignored: onAny values are not answers')
    events.on('user_add_org', () => ({ cardData: { status: 'done' } }))
    const outcome = await events.deliver([{ parsed: userAdd('E3'), id: 'id:E3' }], stream)
    expect(outcome).toEqual({ kind: 'ack', result: { cardData: { status: 'done' } } })
  })

  it('handlers past the deadline are acknowledged and finish in the background; idle() waits for them', async () => {
    const events = createEventDispatcher({ logger: silent })
    let finished = false
    events.on('user_add_org', async () => {
      await new Promise((resolve) => setTimeout(resolve, 80))
      finished = true
    })
    const outcome = await events.deliver([{ parsed: userAdd('E4'), id: 'id:E4' }], {
      ...http,
      deadlineAt: Date.now() + 10,
    })
    expect(outcome.kind).toBe('ack')
    expect(finished).toBe(false)
    await events.idle()
    expect(finished).toBe(true)
  })

  it('a redelivery while the first is still running waits for it and acks without running again', async () => {
    const events = createEventDispatcher({ logger: silent, pollIntervalMs: 5 })
    let calls = 0
    let release = (): void => {}
    events.on('user_add_org', async () => {
      calls++
      await new Promise<void>((resolve) => (release = resolve))
    })
    const delivery = { parsed: userAdd('E5'), id: 'id:E5' }
    const first = events.deliver([delivery], stream)
    await new Promise((resolve) => setTimeout(resolve, 10))
    const second = events.deliver([delivery], stream)
    release()
    expect(await Promise.all([first, second])).toEqual([{ kind: 'ack' }, { kind: 'ack', duplicate: true }])
    expect(calls).toBe(1)
  })

  it('two dispatchers on one store (two instances): the one that waits past its deadline answers retry', async () => {
    const store = memoryStore()
    const a = createEventDispatcher({ store, namespace: 'app', logger: silent, pollIntervalMs: 5 })
    const b = createEventDispatcher({ store, namespace: 'app', logger: silent, pollIntervalMs: 5 })
    const errors: string[] = []
    b.onError((e) => errors.push(e.code))
    let release = (): void => {}
    a.on('user_add_org', () => new Promise<void>((resolve) => (release = resolve)))
    const delivery = { parsed: userAdd('E6'), id: 'id:E6' }
    const first = a.deliver([delivery], http)
    await new Promise((resolve) => setTimeout(resolve, 10))
    expect(await b.deliver([delivery], { ...http, deadlineAt: Date.now() + 40 })).toEqual({ kind: 'retry' })
    expect(errors).toEqual(['CALLBACK_BUSY'])
    release()
    expect(await first).toEqual({ kind: 'ack' })
    expect(await b.deliver([delivery], http)).toEqual({ kind: 'ack', duplicate: true })
  })

  it('when the other instance gives up, the waiting one takes the event over and handles it', async () => {
    const store = memoryStore()
    const a = createEventDispatcher({ store, namespace: 'app', logger: silent, pollIntervalMs: 5 })
    const b = createEventDispatcher({ store, namespace: 'app', logger: silent, pollIntervalMs: 5 })
    let fail = (): void => {}
    a.on('user_add_org', () => new Promise<void>((_, reject) => (fail = () => reject(new Error('crash')))))
    let handledByB = 0
    b.on('user_add_org', () => {
      handledByB++
    })
    const delivery = { parsed: userAdd('E7'), id: 'id:E7' }
    const first = a.deliver([delivery], stream)
    await new Promise((resolve) => setTimeout(resolve, 10))
    const second = b.deliver([delivery], stream)
    fail()
    expect(await first).toEqual({ kind: 'retry' })
    expect(await second).toEqual({ kind: 'ack' })
    expect(handledByB).toBe(1)
  })

  it('runs the built-in suite step before the handlers, once, even when a handler fails and the event comes again', async () => {
    const calls: string[] = []
    const suiteClient: SuiteCallbackClient = {
      suiteKey: 'suite1',
      saveSuiteTicket: async (ticket) => {
        calls.push(`save:${ticket}`)
      },
      handleTmpAuthCode: async () => ({ corpId: 'ding1' }),
      removeCorp: async () => {},
    }
    const events = createEventDispatcher({ suiteClient, logger: silent })
    let attempts = 0
    events.on('suite_ticket', () => {
      calls.push('handler')
      if (++attempts === 1) throw new Error('once')
    })
    const parsed = parseEvents({
      EventType: 'suite_ticket',
      SuiteKey: 'suite1',
      SuiteTicket: 'T1',
      TimeStamp: 1,
    })[0]!
    expect(await events.deliver([{ parsed, id: 'msg:t1' }], http)).toEqual({ kind: 'retry' })
    expect(await events.deliver([{ parsed, id: 'msg:t1' }], http)).toEqual({ kind: 'ack' })
    expect(calls).toEqual(['save:T1', 'handler', 'handler'])
  })

  it('a failing built-in step runs no handler and asks for a retry', async () => {
    const suiteClient: SuiteCallbackClient = {
      suiteKey: 'suite1',
      saveSuiteTicket: () => Promise.reject(new Error('redis down')),
      handleTmpAuthCode: async () => ({ corpId: 'ding1' }),
      removeCorp: async () => {},
    }
    const errors: string[] = []
    const events = createEventDispatcher({ suiteClient, logger: silent, onError: (e) => errors.push(e.code) })
    let handled = false
    events.on('suite_ticket', () => {
      handled = true
    })
    const parsed = parseEvents({
      EventType: 'suite_ticket',
      SuiteKey: 'suite1',
      SuiteTicket: 'T1',
      TimeStamp: 1,
    })[0]!
    expect(await events.deliver([{ parsed, id: 'msg:t2' }], http)).toEqual({ kind: 'retry' })
    expect(handled).toBe(false)
    expect(errors).toEqual(['CALLBACK_SUITE_FAILED'])
  })

  it('a store that fails answers retry and reports it, never throws at the transport', async () => {
    const down = () => Promise.reject(new Error('ECONNREFUSED'))
    const broken = { ...memoryStore(), get: down, setIfAbsent: down }
    const errors: string[] = []
    const events = createEventDispatcher({
      store: broken,
      logger: silent,
      onError: (e) => errors.push(e.code),
    })
    expect(await events.deliver([{ parsed: userAdd('E8'), id: 'id:E8' }], stream)).toEqual({ kind: 'retry' })
    expect(errors).toEqual(['CALLBACK_STORE_FAILED'])
  })

  it('announce() runs handlers without de-duplication and only reports their failures', async () => {
    const errors: string[] = []
    const events = createEventDispatcher({ logger: silent, onError: (e) => errors.push(e.code) })
    let calls = 0
    events.on('check_url', () => {
      calls++
      throw new Error('best effort')
    })
    const parsed = parseEvents({ EventType: 'check_url' })[0]!
    await events.announce(parsed, http)
    await events.announce(parsed, http)
    expect(calls).toBe(2)
    expect(errors).toEqual(['CALLBACK_HANDLER_FAILED', 'CALLBACK_HANDLER_FAILED'])
  })

  it('handler failures are logged by default (console), with the code and without the payload', async () => {
    const events = createEventDispatcher()
    events.on('user_add_org', () => {
      throw new Error('secret-looking payload detail')
    })
    const lines: unknown[][] = []
    const original = console.error
    console.error = (...args: unknown[]) => {
      lines.push(args)
    }
    try {
      await events.deliver([{ parsed: userAdd('E9'), id: 'id:E9' }], stream)
    } finally {
      console.error = original
    }
    expect(lines).toHaveLength(1)
    expect(String(lines[0]?.[0])).toContain('user_add_org handler failed')
    expect(JSON.stringify(lines[0]?.[1])).toContain('CALLBACK_HANDLER_FAILED')
    expect(JSON.stringify(lines)).not.toContain('secret-looking')
  })
})
