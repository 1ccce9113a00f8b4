import { describe, expect, it } from 'vitest'
import { UsageError } from '../args'
import { SUITE_PLACEHOLDER } from '../events'
import { Output, resolveIo } from '../io'
import { planPush, type TriggerFlags } from './trigger-push'

const creds = { token: 'corp-token-1', 'aes-key': 'o1w0aum42yaptlz8alnhwikjd3jenzt9cb9wmzptgus' }
const io = resolveIo({ env: {}, now: () => 1_700_000_000_000 })

function plan(type: string | undefined, flags: TriggerFlags) {
  const out = new Output(io)
  return { plan: planPush(type, flags, io, out), out }
}

function usage(type: string | undefined, flags: TriggerFlags): string {
  try {
    planPush(type, flags, io, new Output(io))
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError)
    return (error as Error).message
  }
  throw new Error('expected a UsageError')
}

describe('trigger: what to push', () => {
  it('builds the event for the receive-id, merges --json then --set, and keeps the credentials secret', () => {
    const { plan: p, out } = plan('user_add_org', {
      ...creds,
      url: 'http://127.0.0.1:1/cb',
      'receive-id': 'dingcorp0001',
      json: '{"UserId":["a"],"Extra":1}',
      set: ['Extra=2'],
    })
    expect(p.event).toMatchObject({ EventType: 'user_add_org', UserId: ['a'], Extra: 2 })
    expect(p.push).toMatchObject({
      url: 'http://127.0.0.1:1/cb',
      receiveId: 'dingcorp0001',
      queryStyle: 'legacy',
    })
    expect(p).toMatchObject({ expectedReply: 'success', retries: 0, timeoutMs: 1500, backoffMs: 1000 })
    expect(out.redact(`token ${creds.token} key ${creds['aes-key']}`)).toBe('token *** key ***')
  })

  it('a suite being created is addressed by the placeholder suiteKey and answered with its Random (§2.3)', () => {
    const { plan: p } = plan('check_create_suite_url', { ...creds, url: 'http://127.0.0.1:1/cb' })
    expect(p.push.receiveId).toBe(SUITE_PLACEHOLDER)
    expect(p.event.EventType).toBe('check_create_suite_url')
    expect(p.expectedReply).toBe(p.event.Random)
  })

  it('says what is missing or wrong, with a hint for a mistyped event', () => {
    const url = 'http://127.0.0.1:1/cb'
    expect(usage(undefined, {})).toContain('name the event')
    expect(usage('user_add', { url })).toContain('did you mean user_add_org')
    expect(usage('user_add_org', {})).toContain('--url')
    expect(usage('user_add_org', { url, 'query-style': 'x' })).toContain('--query-style')
    expect(usage('user_add_org', { url, timeout: '0' })).toContain('--timeout must be positive')
    expect(usage('user_add_org', { url })).toContain('--token and --aes-key')
    expect(usage('user_add_org', { url, ...creds })).toContain('--receive-id')
    expect(usage('user_add_org', { url, ...creds, 'receive-id': 'd', json: '[1]' })).toContain('--json')
    expect(usage('user_add_org', { url, ...creds, 'receive-id': 'd', set: ['nokey'] })).toContain('--set')
  })
})
