// The suite's state in the store: permanent codes, suite tickets, and the per-corp clients on it.
import { describe, expect, it } from 'vitest'
import { DingTalkSuiteError } from '../errors/suite'
import { Redactor } from '../http/redact'
import { memoryStore, storeKey } from '../store/store'
import { authorizations, parseAuthorization } from './authorizations'
import type { SuiteContext } from './context'
import { corpClients } from './corp-clients'
import { suiteTickets } from './suite-token'

function context(): SuiteContext {
  return {
    suiteKey: 'suite1',
    suiteSecret: 'secret-1',
    store: memoryStore(),
    redactor: new Redactor(),
    now: () => 0,
    request: () => Promise.reject(new Error('no HTTP in these tests')),
  }
}

describe('stored authorisations (permanent codes)', () => {
  it('reads the JSON record and, from older entries, the bare permanent code', () => {
    expect(parseAuthorization('{"permanentCode":"pc","agentId":7,"corpName":"客户"}')).toEqual({
      permanentCode: 'pc',
      agentId: 7,
      corpName: '客户',
    })
    expect(parseAuthorization('pc-raw')).toEqual({ permanentCode: 'pc-raw' })
    expect(parseAuthorization('{"agentId":7}')).toBeUndefined()
    expect(parseAuthorization('')).toBeUndefined()
    expect(parseAuthorization(undefined)).toBeUndefined()
  })

  it('writes per corp under the suite, requires one, removes it; the code is redacted once read', async () => {
    const ctx = context()
    const corps = authorizations(ctx)
    await corps.write('ding1', { permanentCode: 'permanent-code-1', agentId: 3 })
    expect(
      await ctx.store.get(storeKey({ owner: 'suite1', corpId: 'ding1', kind: 'permanent_code' })),
    ).toContain('permanent-code-1')
    expect(await corps.require('ding1')).toMatchObject({ permanentCode: 'permanent-code-1', agentId: 3 })
    expect(ctx.redactor.text('x permanent-code-1')).toBe('x [redacted]')
    await corps.remove('ding1')
    const error = await corps.require('ding1').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DingTalkSuiteError)
    expect(error).toMatchObject({ code: 'CORP_NOT_AUTHORIZED', errcode: 48004, corpId: 'ding1' })
    await expect(corps.require('')).rejects.toThrow(TypeError)
  })
})

describe('suite tickets', () => {
  it('are stored for every instance; none yet is SUITE_TICKET_MISSING (the local 40085)', async () => {
    const ctx = context()
    const tickets = suiteTickets(ctx)
    const missing = await tickets.require().catch((e: unknown) => e)
    expect(missing).toMatchObject({ code: 'SUITE_TICKET_MISSING', errcode: 40085, suiteKey: 'suite1' })
    await tickets.save('ticket-abc')
    expect(await suiteTickets({ ...ctx, redactor: new Redactor() }).require()).toBe('ticket-abc')
    expect(ctx.redactor.text('ticket-abc')).toBe('[redacted]')
    await expect(tickets.save('')).rejects.toThrow(TypeError)
  })
})

describe('corp clients', () => {
  it('one client per corp until forgotten; forgetting drops its cached token and ticket', async () => {
    const ctx = context()
    const clients = corpClients(ctx, {
      getCorpToken: async () => ({ accessToken: 'corp-token', expiresIn: 7200 }),
      agentIdOf: async () => 1,
      options: { store: ctx.store },
    })
    const first = clients.get('ding1')
    expect(clients.get('ding1')).toBe(first)
    expect(clients.get('ding2')).not.toBe(first)
    expect(await first.getAccessToken()).toBe('corp-token')
    const tokenKey = storeKey({ owner: 'suite1', corpId: 'ding1', kind: 'access_token' })
    expect(await ctx.store.get(tokenKey)).toContain('corp-token')
    await clients.forget('ding1')
    expect(await ctx.store.get(tokenKey)).toBeUndefined()
    expect(clients.get('ding1')).not.toBe(first)
  })
})
