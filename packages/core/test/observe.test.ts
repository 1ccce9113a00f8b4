import { AsyncLocalStorage } from 'node:async_hooks'
import { defaultFixture } from '@dingtalk-kit/emulator'
import { describe, expect, it } from 'vitest'
import {
  type ClientObserver,
  createDingTalkClient,
  createSuiteClient,
  DingTalkApiError,
  memoryStore,
  type ObservedCall,
  type ObservedRefresh,
  type TokenRefreshEvent,
} from '../src/index'
import { emu, useEmulator } from './client-helpers'

const org = defaultFixture.orgs[0]!
const app = org.apps![0]!
const suite = defaultFixture.suites![0]!

useEmulator()

interface Seen {
  calls: { call: ObservedCall; parent: string | undefined; failed: boolean }[]
  refreshes: { kind: string; event: TokenRefreshEvent | undefined; parent: string | undefined }[]
}

/** An observer that records what it saw and, like a tracer, makes a scope active around the work. */
function recorder(scope: AsyncLocalStorage<string>): { observer: ClientObserver; seen: Seen } {
  const seen: Seen = { calls: [], refreshes: [] }
  const observer: ClientObserver = {
    async call(call, run) {
      const parent = scope.getStore()
      try {
        const value = await scope.run(`call ${call.path}`, run)
        seen.calls.push({ call, parent, failed: false })
        return value
      } catch (error) {
        seen.calls.push({ call, parent, failed: true })
        throw error
      }
    },
    async refresh(refresh: ObservedRefresh, run) {
      const parent = scope.getStore()
      try {
        return await scope.run(`refresh ${refresh.kind}`, run)
      } finally {
        seen.refreshes.push({ kind: refresh.kind, event: refresh.event, parent })
      }
    },
  }
  return { observer, seen }
}

const newClient = () =>
  createDingTalkClient(
    { appKey: app.appKey, appSecret: app.appSecret, corpId: org.corpId },
    { baseUrl: emu.url, retry: { baseDelayMs: 1, maxDelayMs: 4 }, tokens: { pollIntervalMs: 2 } },
  )

describe('client.observe()', () => {
  it('wraps each call and each refresh, nested as they run: call → refresh → gettoken', async () => {
    const client = newClient()
    const scope = new AsyncLocalStorage<string>()
    const { observer, seen } = recorder(scope)
    client.observe(observer)

    const user = await client.contacts.users.get('lisi')
    expect(user.name).toBe('李四')

    expect(seen.calls.map((c) => [c.call.path, c.parent])).toEqual([
      ['/gettoken', 'refresh access_token'],
      ['/topapi/v2/user/get', undefined],
    ])
    expect(seen.refreshes).toMatchObject([
      {
        kind: 'access_token',
        parent: 'call /topapi/v2/user/get',
        event: { outcome: 'fetched', lease: 'held' },
      },
    ])
    const get = seen.calls[1]!.call
    expect(get).toMatchObject({ api: 'oapi', method: 'POST', attempts: 1, retries: 0, replayed: false })
    expect([get.status, get.errcode]).toEqual([200, 0])
    expect(get.requestId).toMatch(/\w/)
    expect(seen.calls.every((c) => !c.failed)).toBe(true)
  })

  it('reports a token replay (§4.5), retries, and the errcode of a failed call', async () => {
    const client = newClient()
    const { observer, seen } = recorder(new AsyncLocalStorage<string>())
    client.observe(observer)
    emu.invalidateToken(await client.getAccessToken())
    emu.faults.inject({ route: '/topapi/v2/user/get', kind: 'busy', times: 1 })

    await client.contacts.users.get('lisi')
    const get = seen.calls.find((c) => c.call.path === '/topapi/v2/user/get')!.call
    expect(get).toMatchObject({ replayed: true, errcode: 0, attempts: 3, retries: 1 })

    await expect(client.contacts.users.get('nobody-here')).rejects.toBeInstanceOf(DingTalkApiError)
    const failed = seen.calls.at(-1)!
    expect(failed.failed).toBe(true)
    expect(failed.call.errcode).toBe(60121)
    expect(failed.call.attempts).toBe(1)
  })

  it('observes v1.0 calls with their api and code', async () => {
    const client = newClient()
    const { observer, seen } = recorder(new AsyncLocalStorage<string>())
    client.observe(observer)
    await expect(client.requestV1({ method: 'GET', path: '/v1.0/no/such/api' })).rejects.toThrow()
    const v1 = seen.calls.find((c) => c.call.api === 'v1')!
    expect(v1.failed).toBe(true)
    expect(v1.call).toMatchObject({ method: 'GET', path: '/v1.0/no/such/api', status: 404 })
    expect(v1.call.apiCode).toMatch(/NotFound/)
  })

  it('a removed observer sees nothing more; several observers nest in the order they were added', async () => {
    const client = newClient()
    const order: string[] = []
    const named = (name: string): ClientObserver => ({
      async call(_call, run) {
        order.push(`${name}>`)
        try {
          return await run()
        } finally {
          order.push(`<${name}`)
        }
      },
    })
    const stopA = client.observe(named('a'))
    const stopB = client.observe(named('b'))
    await client.getAccessToken()
    expect(order).toEqual(['a>', 'b>', '<b', '<a'])
    stopA()
    stopA()
    order.length = 0
    await client.request({ path: '/department/list' })
    expect(order).toEqual(['b>', '<b'])
    stopB()
    order.length = 0
    await client.request({ path: '/department/list' })
    expect(order).toEqual([])
  })

  it('a second instance on the same store reports it waited for the lease holder', async () => {
    const store = memoryStore()
    const options = { baseUrl: emu.url, store, tokens: { pollIntervalMs: 2 } }
    const credentials = { appKey: app.appKey, appSecret: app.appSecret, corpId: org.corpId }
    const [a, b] = [createDingTalkClient(credentials, options), createDingTalkClient(credentials, options)]
    const events: TokenRefreshEvent[] = []
    for (const c of [a, b]) c.observe({ refresh: (r, run) => run().finally(() => events.push(r.event!)) })
    emu.faults.inject({ route: '/gettoken', kind: 'latency', ms: 100, times: 1 })
    const [ta, tb] = await Promise.all([a.getAccessToken(), b.getAccessToken()])
    expect(ta).toBe(tb)
    expect(events.map((e) => `${e.outcome}/${e.lease}`).sort()).toEqual(['fetched/held', 'shared/waited'])
  })
})

describe('suite.observe()', () => {
  it("observes the suite's own calls and refreshes and those of its corp clients", async () => {
    const customer = defaultFixture.orgs[1]!
    const suiteClient = createSuiteClient(suite, { baseUrl: emu.url, store: memoryStore() })
    const { observer, seen } = recorder(new AsyncLocalStorage<string>())
    suiteClient.observe(observer)
    await suiteClient.saveSuiteTicket(emu.state.suites.get(suite.suiteKey)!.suiteTicket!)
    const { authCode } = await emu.authorize(customer.corpId, suite.suiteKey) // no callback URL: not pushed
    await suiteClient.handleTmpAuthCode(authCode!)
    await suiteClient.forCorp(customer.corpId).contacts.users.get(customer.users[0]!.userid)
    expect(seen.refreshes.map((r) => r.kind).sort()).toEqual(['access_token', 'suite_access_token'])
    expect(seen.calls.map((c) => c.call.path)).toEqual(
      expect.arrayContaining(['/service/get_suite_token', '/service/get_corp_token', '/topapi/v2/user/get']),
    )
  })
})
