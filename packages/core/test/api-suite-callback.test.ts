import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { defaultFixture, type Emulator, type Fixture, startEmulator } from '@dingtalk-kit/emulator'
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest'
import {
  type CallbackHandler,
  createCallbackHandler,
  createSuiteClient,
  memoryStore,
  type SuiteCallbackClient,
  type SuiteClient,
} from '../src/index'

const suiteFx = defaultFixture.suites![0]!
const customer = defaultFixture.orgs[1]!

let emu: Emulator | undefined
let server: Server | undefined

afterEach(async () => {
  await emu?.close()
  await new Promise<void>((resolve) => {
    server?.closeAllConnections()
    if (server) server.close(() => resolve())
    else resolve()
  })
  emu = undefined
  server = undefined
})

/** The suite's callback endpoint: the core's callback handler on node:http, as a minimal adapter would. */
async function serve(current: () => CallbackHandler<SuiteClient>): Promise<string> {
  server = createServer(async (req, res) => {
    const request = { method: req.method ?? '', url: req.url ?? '/', headers: req.headers, body: req }
    const reply = await current().handle(request)
    res.writeHead(reply.status, reply.headers).end(reply.body)
  })
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/dingtalk/suite`
}

async function setup(pushStyle?: 'syncHttp'): Promise<{ suite: SuiteClient; emu: Emulator }> {
  let handler: CallbackHandler<SuiteClient> | undefined
  const url = await serve(() => handler!)
  const fixture: Fixture = structuredClone(defaultFixture)
  fixture.suites![0]!.callbackUrl = url
  if (pushStyle) fixture.suites![0]!.pushStyle = pushStyle
  emu = await startEmulator({ fixture, suiteTicketIntervalMs: 0 })
  const store = memoryStore()
  const suite = createSuiteClient(
    {
      suiteKey: suiteFx.suiteKey,
      suiteSecret: suiteFx.suiteSecret,
      token: suiteFx.token,
      aesKey: suiteFx.aesKey,
    },
    { baseUrl: emu.url, store, retry: { baseDelayMs: 1, maxDelayMs: 2 } },
  )
  handler = createCallbackHandler({ token: suite.token!, aesKey: suite.aesKey!, store, suiteClient: suite })
  return { suite, emu }
}

describe('suite client behind the callback handler (§2.3, §4.3)', () => {
  it('satisfies the handler’s SuiteCallbackClient contract', () => {
    expectTypeOf<SuiteClient>().toExtend<SuiteCallbackClient>()
  })

  it('legacy pushes: suite_ticket → tmp_auth_code → permanent code stored and activated → corp APIs', async () => {
    const { suite, emu } = await setup()
    const [ticket] = await emu.pushSuiteTicket()
    expect(ticket?.ok).toBe(true)
    expect(await suite.getSuiteTicket()).toBe(emu.state.suites.get(suiteFx.suiteKey)?.suiteTicket)
    const { push } = await emu.authorize(customer.corpId, suiteFx.suiteKey)
    expect(push?.result?.ok).toBe(true)
    const auth = emu.state.authorizations.get(`${suiteFx.suiteKey}:${customer.corpId}`)!
    expect(auth.activated).toBe(true)
    expect(await suite.getPermanentCode(customer.corpId)).toBe(auth.permanentCode)
    expect((await suite.forCorp(customer.corpId).contacts.users.get('sunqi')).name).toBe('孙七')
  })

  it('SYNC_HTTP_PUSH_HIGH: the pushed permanent code is saved and the suite activated', async () => {
    const { suite, emu } = await setup('syncHttp')
    await emu.pushSuiteTicket()
    expect(await suite.getSuiteTicket()).toBe(emu.state.suites.get(suiteFx.suiteKey)?.suiteTicket)
    const { permanentCode, push } = await emu.authorize(customer.corpId, suiteFx.suiteKey)
    expect(push?.result?.ok).toBe(true)
    expect(await suite.getPermanentCode(customer.corpId)).toBe(permanentCode)
    expect(emu.state.authorizations.get(`${suiteFx.suiteKey}:${customer.corpId}`)?.activated).toBe(true)
    const corp = suite.forCorp(customer.corpId)
    expect((await corp.contacts.users.listSimple({ deptId: 1 })).list).toEqual([
      { userId: 'sunqi', name: '孙七' },
    ])
  })
})
