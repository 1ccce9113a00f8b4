import { buildPush, checkReply } from '@dingtalk-kit/emulator'
import { type Context, Hono } from 'hono'
import { describe, expect, expectTypeOf, it } from 'vitest'
import {
  createCallbackHandler,
  createDingTalkRoutes,
  DingTalkError,
  type DingTalkEvent,
  type DingTalkEventEnv,
  type DingTalkRoutes,
  dingtalk,
  dingtalkMiddleware,
} from './index'

const TOKEN = 'hono-test-token'
const AES_KEY = 'Yue0EfdN5900c1ce5cf6A152c63DDe1808a60c5ecd7'
const CORP_ID = 'dinghonotestcorp'
const secrets = { token: TOKEN, aesKey: AES_KEY, receiveId: CORP_ID }

function push(
  event: Record<string, unknown>,
  path = '/dingtalk/callback',
): { url: string; init: RequestInit } {
  const built = buildPush({
    url: `http://localhost${path}`,
    ...secrets,
    event: { CorpId: CORP_ID, ...event },
  })
  return {
    url: built.url,
    init: { method: 'POST', headers: { 'content-type': 'application/json' }, body: built.body },
  }
}

const options = { callback: { ...secrets, options: { deadlineMs: 200 } } }

describe('dingtalk() sub-app', () => {
  it('serves the callback under the prefix app.route() gives it, 404 elsewhere', async () => {
    const app = new Hono().route('/hooks/dt', dingtalk(options))
    const { url, init } = push({ EventType: 'user_add_org', UserId: ['u1'] }, '/hooks/dt/callback')
    const response = await app.request(url, init)
    expect(response.status).toBe(200)
    expect(checkReply({ status: 200, body: await response.text(), ...secrets }).ok).toBe(true)
    expect((await app.request('/hooks/dt/sso?code=x')).status).toBe(404)
    expect((await app.request('/dingtalk/callback', { method: 'POST' })).status).toBe(404)
    expect((await app.request('/hooks/dt/callback')).status).toBe(405)
  })

  it('hands each event to onEvent handlers with the request’s context, typed by event type', async () => {
    const dt = dingtalk(options)
    const seen: string[] = []
    dt.onEvent('user_add_org', (c) => {
      expectTypeOf(c.get('dingtalkEvent').UserId).toEqualTypeOf<string[]>()
      seen.push(
        `${c.get('dingtalkEvent').UserId.join()} ${c.req.header('x-trace')} ${c.get('dingtalk') === dt.dingtalk}`,
      )
    })
    const off = dt.onEvent('user_leave_org', () => void seen.push('leave'))
    off()
    // What middleware sees once its own request is answered, by request (they run concurrently).
    const after = new Map<string, DingTalkEvent | undefined>()
    const app = new Hono()
    app.use(async (c, next) => {
      await next()
      after.set(c.req.header('x-trace') ?? 'untraced', c.get('dingtalkEvent'))
    })
    app.route('/dingtalk', dt)
    const first = push({ EventType: 'user_add_org', UserId: ['a', 'b'] })
    const second = push({ EventType: 'user_leave_org', UserId: ['c'] })
    const responses = await Promise.all([
      app.request(first.url, { ...first.init, headers: { ...first.init.headers, 'x-trace': 't1' } }),
      app.request(second.url, second.init),
    ])
    expect(responses.map((r) => r.status)).toEqual([200, 200])
    expect(seen).toEqual(['a,b t1 true'])
    expect(after.get('t1')?.EventType).toBe('user_add_org')
    expect(after.get('untraced')?.EventType).toBe('user_leave_org')
  })

  it('keeps working after a body-parsing middleware consumed the body', async () => {
    const app = new Hono()
    let parsed: unknown
    app.use(async (c, next) => {
      if (c.req.method === 'POST') parsed = await c.req.json()
      await next()
    })
    app.route('/dingtalk', dingtalk(options))
    const { url, init } = push({ EventType: 'user_add_org', UserId: ['u2'] })
    const response = await app.request(url, init)
    expect(response.status).toBe(200)
    expect(parsed).toHaveProperty('encrypt')
  })

  it('keeps late handlers alive with executionCtx.waitUntil on edge hosts', async () => {
    const dt = dingtalk(options)
    let release = (): void => {}
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    let finished = false
    dt.onEvent('user_add_org', async () => {
      await gate
      finished = true
    })
    const kept: Promise<unknown>[] = []
    const executionCtx = {
      waitUntil: (p: Promise<unknown>) => void kept.push(p),
      passThroughOnException() {},
      props: {},
    }
    const app = new Hono().route('/dingtalk', dt)
    const { url, init } = push({ EventType: 'user_add_org', UserId: ['slow'] })
    const response = await app.request(url, init, {}, executionCtx)
    expect(response.status).toBe(200)
    expect(finished).toBe(false)
    expect(kept).toHaveLength(1)
    release()
    await Promise.all(kept)
    expect(finished).toBe(true)
  })

  it('re-exports the core, so users import from one package', () => {
    expect(createCallbackHandler).toBeTypeOf('function')
    expect(new DingTalkError('SSO_MISSING_CODE', 'y')).toBeInstanceOf(Error)
    expectTypeOf<DingTalkEventEnv<'user_add_org'>['Variables']['dingtalk']>().toEqualTypeOf<
      DingTalkRoutes<Context>
    >()
    expect(dingtalk(options).dingtalk.callback).toMatchObject({
      on: expect.any(Function),
      handle: expect.any(Function),
    })
    expect(createDingTalkRoutes({}).callback).toBeUndefined()
  })
})

describe('dingtalkMiddleware()', () => {
  it('answers under its prefix and passes everything else (and unconfigured routes) to next', async () => {
    const app = new Hono()
    app.use(dingtalkMiddleware({ ...options, prefix: '/dt/' }))
    app.all('*', (c) => c.text(`app ${c.req.path}`))
    const { url, init } = push({ EventType: 'user_add_org', UserId: ['m'] }, '/dt/callback')
    expect((await app.request(url, init)).status).toBe(200)
    expect(await (await app.request('/dt/sso?code=x')).text()).toBe('app /dt/sso')
    expect(await (await app.request('/dtx/callback')).text()).toBe('app /dtx/callback')
    expect(await (await app.request('/other')).text()).toBe('app /other')
  })
})
