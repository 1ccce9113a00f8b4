import { describe, expect, it } from 'vitest'
import type { Ctx } from './context'
import { defaultFixture } from './fixture'
import { createLimits } from './limits'
import { buildState } from './state'

const app = defaultFixture.orgs[0]!.apps![0]!

function ctx(path: string, input: Record<string, unknown>, remoteIp = '127.0.0.1'): Ctx {
  return { path, input, remoteIp } as Partial<Ctx> as Ctx
}

describe('IP whitelist and rate limits', () => {
  it('counts per app and window of the emulator clock; the errcode is the rule’s', () => {
    let t = 0
    const state = buildState(defaultFixture, 0)
    const check = createLimits(
      state,
      { rateLimits: [{ route: '/gettoken', limit: 2, errcode: 45009 }] },
      () => t,
    )
    const call = () => check(ctx('/gettoken', { appkey: app.appKey }))
    expect([call(), call(), call()]).toEqual([undefined, undefined, { kind: 'rate', errcode: 45009 }])
    expect(check(ctx('/gettoken', { appkey: 'another' }))).toBeUndefined()
    expect(check(ctx('/user/get', { appkey: app.appKey }))).toBeUndefined()
    t += 1000
    expect(call()).toBeUndefined()
  })

  it('refuses callers outside the whitelist, matching * per IPv4 segment', () => {
    const state = buildState(defaultFixture, 0)
    const check = createLimits(state, { ipWhitelist: ['10.0.*.*'] }, () => 0)
    expect(check(ctx('/gettoken', {}, '::ffff:10.0.3.4'))).toBeUndefined()
    expect(check(ctx('/gettoken', {}, '127.0.0.1'))).toEqual({ kind: 'ip', ip: '127.0.0.1' })
  })
})
