import { AsyncLocalStorage } from 'node:async_hooks'
import { describe, expect, it } from 'vitest'
import { createEventDispatcher, type DeliveryOptions } from './dispatcher'
import type { EventObserver, ObservedDelivery, ObservedEvent } from './observer'
import { parseEvents } from './parse'

const silent = {}
const userAdd = (eventId: string) =>
  parseEvents({ EventType: 'user_add_org', CorpId: 'ding1', UserId: ['u1'], TimeStamp: 1, eventId })[0]!
const deptCreate = (eventId: string) =>
  parseEvents({ EventType: 'org_dept_create', CorpId: 'ding1', DeptId: [2], TimeStamp: 1, eventId })[0]!
const http: DeliveryOptions = { transport: 'callback', receiveId: 'ding1', retryStatus: 503 }

function recorder(scope = new AsyncLocalStorage<string>()) {
  const deliveries: ObservedDelivery[] = []
  const handled: { event: ObservedEvent; parent: string | undefined; failed: boolean }[] = []
  const observer: EventObserver = {
    async delivery(delivery, run) {
      try {
        return await scope.run(`delivery ${delivery.eventTypes.join()}`, run)
      } finally {
        deliveries.push(delivery)
      }
    },
    async handlers(event, run) {
      const parent = scope.getStore()
      try {
        const value = await scope.run(`handlers ${event.type}`, run)
        handled.push({ event, parent, failed: false })
        return value
      } catch (error) {
        handled.push({ event, parent, failed: true })
        throw error
      }
    },
  }
  return { observer, deliveries, handled, scope }
}

describe('dispatcher.observe()', () => {
  it('runs handlers inside the handler scope, inside the delivery scope, and reports the outcome', async () => {
    const events = createEventDispatcher({ namespace: 'app', logger: silent, now: () => 1000 })
    const { observer, deliveries, handled, scope } = recorder()
    events.observe(observer)
    const seenInHandler: (string | undefined)[] = []
    events.on('user_add_org', async () => {
      await Promise.resolve()
      seenInHandler.push(scope.getStore())
    })

    const outcome = await events.deliver([{ parsed: userAdd('E1'), id: 'id:E1' }], {
      ...http,
      deadlineAt: 2200,
    })
    expect(outcome).toEqual({ kind: 'ack' })
    expect(seenInHandler).toEqual(['handlers user_add_org'])
    expect(handled).toEqual([
      {
        event: { type: 'user_add_org', transport: 'callback' },
        parent: 'delivery user_add_org',
        failed: false,
      },
    ])
    expect(deliveries).toMatchObject([
      {
        transport: 'callback',
        eventTypes: ['user_add_org'],
        startedAt: 1000,
        deadlineAt: 2200,
        duplicates: 0,
        outcome: { kind: 'ack' },
      },
    ])
  })

  it('counts duplicates, reports retries of failing handlers and acks of late ones', async () => {
    const events = createEventDispatcher({ namespace: 'app', logger: silent })
    const { observer, deliveries, handled } = recorder()
    events.observe(observer)
    let fail = true
    events.on('user_add_org', () => {
      if (fail) throw new Error('db down')
    })
    let release: () => void = () => {}
    events.on('org_dept_create', () => new Promise<void>((resolve) => (release = resolve)))

    const e1 = { parsed: userAdd('E1'), id: 'id:E1' }
    expect(await events.deliver([e1], http)).toEqual({ kind: 'retry' })
    fail = false
    expect(await events.deliver([e1], http)).toEqual({ kind: 'ack' })
    expect(await events.deliver([e1, { parsed: userAdd('E9'), id: 'id:E9' }], http)).toEqual({ kind: 'ack' })
    expect(await events.deliver([e1], http)).toEqual({ kind: 'ack', duplicate: true })
    const late = await events.deliver([{ parsed: deptCreate('D1'), id: 'id:D1' }], {
      ...http,
      deadlineAt: Date.now() + 20,
    })
    expect(late).toEqual({ kind: 'ack', late: true })
    release()
    await events.idle()

    expect(deliveries.map((d) => [d.outcome, d.duplicates])).toEqual([
      [{ kind: 'retry' }, 0],
      [{ kind: 'ack' }, 0],
      [{ kind: 'ack' }, 1],
      [{ kind: 'ack', duplicate: true }, 1],
      [{ kind: 'ack', late: true }, 0],
    ])
    expect(handled.map((h) => `${h.event.type}:${h.failed}`)).toEqual([
      'user_add_org:true',
      'user_add_org:false',
      'user_add_org:false',
      'org_dept_create:false',
    ])
  })

  it('observes URL checks (announce) and stops observing once removed', async () => {
    const events = createEventDispatcher({ logger: silent })
    const { observer, deliveries, handled } = recorder()
    const stop = events.observe(observer)
    const check = parseEvents({ EventType: 'check_url' })[0]!
    await events.announce(check, http)
    expect(deliveries.map((d) => [d.eventTypes, d.outcome])).toEqual([[['check_url'], { kind: 'ack' }]])
    expect(handled.map((h) => h.event.type)).toEqual(['check_url'])
    stop()
    await events.announce(check, http)
    await events.deliver([{ parsed: userAdd('E2'), id: 'id:E2' }], http)
    expect(deliveries).toHaveLength(1)
    expect(handled).toHaveLength(1)
  })
})
