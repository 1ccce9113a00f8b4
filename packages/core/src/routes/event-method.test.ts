import { describe, expect, it } from 'vitest'
import type { EventContext } from '../events/context'
import type { DingTalkEvent } from '../events/types'
import { signCallback } from '../testing/sign-callback'
import { addEventMethod } from './event-method'
import { createDingTalkRoutes, type DingTalkRoutes } from './routes'

const OPTIONS = { token: 't', aesKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG', receiveId: 'dingcorp' }
const callback = createDingTalkRoutes({ callback: OPTIONS }).callback

class Contacts {
  readonly seen: string[] = []
  added(event: DingTalkEvent, context: EventContext): void {
    this.seen.push(`${event.EventType} over ${context.transport}`)
  }
}

type Added = { type: string; handler: (event: unknown, context: unknown) => unknown; options: unknown }

/** Routes with the given callbacks whose `on()` records what it is given. */
function recording(configured: { callback?: typeof callback }) {
  const added: Added[] = []
  const routes = {
    callback: configured.callback,
    suiteCallback: undefined,
    on: ((type, handler, options) => {
      added.push({ type, handler: handler as unknown as Added['handler'], options })
      return () => {}
    }) satisfies DingTalkRoutes['on'],
  }
  return { routes, added }
}

describe('addEventMethod', () => {
  it('adds the method, bound to its object, for each event type from the given callback routes', () => {
    const { routes, added } = recording({ callback })
    const contacts = new Contacts()
    const warnings: string[] = []
    const binding = { types: ['user_add_org', 'user_leave_org'] as const, from: ['callback'] as const }
    const warn = (problem: string) => warnings.push(problem)
    expect(addEventMethod(routes, contacts, contacts.added, binding, { warn })).toBe(true)
    expect(added).toMatchObject([
      { type: 'user_add_org', options: { from: ['callback'] } },
      { type: 'user_leave_org', options: { from: ['callback'] } },
    ])
    added[0]!.handler({ EventType: 'user_add_org' }, { transport: 'callback' })
    expect(contacts.seen).toEqual(['user_add_org over callback'])
    expect(warnings).toEqual([])
  })

  it('leaves out, with a warning, a method none of whose routes is configured', () => {
    const contacts = new Contacts()
    const warnings: string[] = []
    const warn = (problem: string) => warnings.push(problem)
    const suite = { types: ['user_add_org'] as const, from: ['suiteCallback'] as const }
    const corp = recording({ callback })
    expect(addEventMethod(corp.routes, contacts, contacts.added, suite, { warn })).toBe(false)
    const both = { types: ['user_add_org'] as const, from: ['callback', 'suiteCallback'] as const }
    const bare = recording({})
    expect(addEventMethod(bare.routes, contacts, contacts.added, both, { warn })).toBe(false)
    expect(warnings).toEqual(['no suiteCallback configured', 'no callback or suiteCallback configured'])
    expect([...corp.added, ...bare.added]).toEqual([])
  })

  it('adds it all the same when another transport (a Stream client) feeds the pipeline', () => {
    const { routes, added } = recording({})
    const contacts = new Contacts()
    const binding = { types: ['user_add_org'] as const, from: ['callback'] as const }
    const warn = (problem: string): never => {
      throw new Error(problem)
    }
    expect(addEventMethod(routes, contacts, contacts.added, binding, { warn, otherTransport: true })).toBe(
      true,
    )
    added[0]!.handler({ EventType: 'user_add_org' }, { transport: 'stream' })
    expect(contacts.seen).toEqual(['user_add_org over stream'])
  })

  it('on real routes, a pushed event reaches the method with its object as `this`', async () => {
    const routes = createDingTalkRoutes({ callback: OPTIONS })
    const contacts = new Contacts()
    const binding = { types: ['user_add_org'] as const, from: ['callback'] as const }
    expect(addEventMethod(routes, contacts, contacts.added, binding, { warn: () => {} })).toBe(true)
    const push = await signCallback({
      ...OPTIONS,
      event: { EventType: 'user_add_org', UserId: ['u1'], CorpId: 'dingcorp' },
    })
    const reply = await routes.handle({
      method: 'POST',
      path: '/callback',
      url: `/callback?${push.search}`,
      headers: push.headers,
      body: push.body,
    })
    expect(reply?.status).toBe(200)
    expect(contacts.seen).toEqual(['user_add_org over callback'])
  })
})
