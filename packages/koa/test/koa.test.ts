import { buildPush, checkReply, defaultFixture, type Emulator, startEmulator } from '@dingtalk-kit/emulator'
import { bodyParser } from '@koa/bodyparser'
import Router from '@koa/router'
import Koa from 'koa'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest'
import {
  createDingTalkClient,
  type DingTalkClient,
  DingTalkError,
  type DingTalkKoa,
  type DingTalkKoaOptions,
  type DingTalkState,
  dingtalk,
  type EventOf,
} from '../src/index'
import { signedCallback } from '../src/testing'
import { bodySetups } from './helpers'

const org = defaultFixture.orgs[0]!
const fixtureApp = org.apps![0]!
const token = 'koa-adapter-token'
const aesKey = 'Yue0EfdN5900c1ce5cf6A152c63DDe1808a60c5ecd7'
const origin = 'https://app.example.com'

let emu: Emulator
let client: DingTalkClient

beforeAll(async () => {
  emu = await startEmulator({ suiteTicketIntervalMs: 0 })
  client = createDingTalkClient(
    { appKey: fixtureApp.appKey, appSecret: fixtureApp.appSecret, corpId: org.corpId },
    { baseUrl: emu.url, agentId: fixtureApp.agentId, retry: { maxRetries: 0 } },
  )
})

afterAll(async () => {
  await emu.close()
})

function options(extra: Partial<DingTalkKoaOptions> = {}): DingTalkKoaOptions {
  return { client, callback: { token, aesKey }, jsapi: { allowedOrigins: [origin] }, ...extra }
}

function signed(path: string, event: Record<string, unknown>): { path: string; body: string } {
  const push = buildPush({ url: `http://127.0.0.1${path}`, token, aesKey, receiveId: org.corpId, event })
  const url = new URL(push.url)
  return { path: url.pathname + url.search, body: push.body }
}

const userAdd = (userId: string): Record<string, unknown> => ({
  EventType: 'user_add_org',
  UserId: [userId],
  CorpId: org.corpId,
  TimeStamp: String(Date.now()),
})

const isSuccess = (res: request.Response): boolean =>
  checkReply({ status: res.status, body: res.text, token, aesKey, receiveId: org.corpId }).ok

describe('middleware()', () => {
  it('answers under /dingtalk and passes every other request on', async () => {
    const dt = dingtalk(options())
    expect(dt.prefix).toBe('/dingtalk')
    const app = new Koa().use(dt.middleware()).use((ctx) => {
      ctx.body = `next:${ctx.path}`
    })
    const server = app.callback()
    const config = await request(server)
      .get('/dingtalk/jsapi-config')
      .query({ url: `${origin}/page#x` })
    expect(config.status).toBe(200)
    expect(config.headers['cache-control']).toBe('no-store')
    expect(config.body).toMatchObject({ url: `${origin}/page`, config: { corpId: org.corpId } })
    expect(
      (await request(server).get('/dingtalk/jsapi-config').query({ url: 'https://evil.test/' })).status,
    ).toBe(403)
    expect((await request(server).post('/dingtalk/jsapi-config')).status).toBe(405)
    for (const path of [
      '/',
      '/dingtalkx/callback',
      '/dingtalk',
      '/dingtalk/',
      '/dingtalk/nope',
      '/other/callback',
    ]) {
      const res = await request(server).get(path)
      expect(res.text, path).toBe(`next:${path}`)
    }
  })

  it('takes a custom prefix, with or without slashes, and "/" for the root', async () => {
    for (const [prefix, path] of [
      ['/dt/', '/dt/sso'],
      ['api/dt', '/api/dt/sso'],
      ['/', '/sso'],
    ] as const) {
      const dt = dingtalk(options({ prefix }))
      const app = new Koa().use(dt.middleware())
      const res = await request(app.callback())
        .get(path)
        .query({ code: emu.issueAuthCode(org.corpId, 'zhangsan') })
      expect(res.status, prefix).toBe(200)
      expect(res.body).toMatchObject({ userId: 'zhangsan', name: '张三' })
    }
    expect(dingtalk(options({ prefix: '/' })).prefix).toBe('/')
    expect(dingtalk(options({ prefix: 'x/' })).prefix).toBe('/x')
  })

  it('maps an used SSO code to 401 and a missing one to 400', async () => {
    const server = new Koa().use(dingtalk(options()).middleware()).callback()
    const code = emu.issueAuthCode(org.corpId, 'zhangsan')
    expect((await request(server).get('/dingtalk/sso').query({ code })).status).toBe(200)
    const again = await request(server).get('/dingtalk/sso').query({ code })
    expect(again.status).toBe(401)
    expect(again.body).toMatchObject({ error: 'invalid_code', errcode: 40078 })
    expect((await request(server).get('/dingtalk/sso')).status).toBe(400)
  })
})

describe('router()', () => {
  it('mounts the routes on a @koa/router router, alone or nested', async () => {
    const dt = dingtalk(options({ prefix: '/dingtalk' }))
    const alone = new Koa().use(dt.router().routes()).use(dt.router().allowedMethods())
    const push = signed('/dingtalk/callback', userAdd('router-1'))
    const res = await request(alone.callback())
      .post(push.path)
      .set('content-type', 'application/json')
      .send(push.body)
    expect(res.status).toBe(200)
    expect(isSuccess(res)).toBe(true)

    const parent = new Router()
    parent.use('/api', dt.router().routes())
    parent.get('/api/dingtalk/own', (ctx) => {
      ctx.body = 'own route'
    })
    const nested = new Koa().use(parent.routes()).callback()
    const code = emu.issueAuthCode(org.corpId, 'zhangsan')
    expect((await request(nested).get('/api/dingtalk/sso').query({ code })).body).toMatchObject({
      userId: 'zhangsan',
    })
    expect((await request(nested).get('/api/dingtalk/own')).text).toBe('own route')
    expect((await request(nested).get('/api/dingtalk/unknown')).status).toBe(404)
    expect((await request(nested).get('/dingtalk/sso')).status).toBe(404)
  })
})

describe.each(bodySetups)('the callback route with $name', ({ install }) => {
  it('answers a signed push and hands the event to the handlers once', async () => {
    const seen: string[] = []
    const dt = dingtalk(
      options({
        callback: { token, aesKey, handlers: { user_add_org: (e) => void seen.push(...e.UserId) } },
      }),
    )
    const app = new Koa()
    install(app)
    app.use(dt.middleware())
    const push = signed('/dingtalk/callback', userAdd('body-1'))
    for (let i = 0; i < 2; i++) {
      const res = await request(app.callback())
        .post(push.path)
        .set('content-type', 'application/json')
        .send(push.body)
      expect(res.status).toBe(200)
      expect(isSuccess(res)).toBe(true)
    }
    expect(seen).toEqual(['body-1'])
    const unsigned = await request(app.callback())
      .post(`/dingtalk/callback?signature=${'0'.repeat(40)}&timestamp=${Date.now()}&nonce=abc`)
      .set('content-type', 'application/json')
      .send(JSON.parse(push.body))
    expect(unsigned.status).toBe(401)
    expect(unsigned.body).toEqual({ error: 'unauthorized' })
  })
})

describe('onEvent() and ctx.state', () => {
  it('runs Koa middleware per event with the typed event on ctx.state, seen by outer middleware too', async () => {
    const dt = dingtalk(options())
    const users: string[] = []
    const outer: string[] = []
    dt.onEvent('user_add_org', async (ctx) => {
      expectTypeOf(ctx.state.dingtalk.event).toEqualTypeOf<EventOf<'user_add_org'>>()
      users.push(...ctx.state.dingtalk.event.UserId, ctx.state.requestId as string)
    })
    const app = new Koa()
    app.use(async (ctx, next) => {
      ctx.state.requestId = 'req-1'
      await next()
      expectTypeOf(ctx.state.dingtalk).toEqualTypeOf<DingTalkState | undefined>()
      if (ctx.state.dingtalk)
        outer.push(ctx.state.dingtalk.event.EventType, ctx.state.dingtalk.context.receiveId)
    })
    app.use(bodyParser()).use(dt.middleware())
    const push = signed('/dingtalk/callback', userAdd('state-1'))
    const res = await request(app.callback())
      .post(push.path)
      .set('content-type', 'application/json')
      .send(push.body)
    expect(res.status).toBe(200)
    expect(users).toEqual(['state-1', 'req-1'])
    expect(outer).toEqual(['user_add_org', org.corpId])
    const other = await request(app.callback())
      .get('/dingtalk/sso')
      .query({ code: emu.issueAuthCode(org.corpId, 'zhangsan') })
    expect(other.status).toBe(200)
    expect(outer).toHaveLength(2)
  })

  it('asks DingTalk to re-push when the middleware throws, and stops after the returned function', async () => {
    const dt = dingtalk(options())
    let calls = 0
    const off = dt.onEvent('user_add_org', () => {
      calls++
      throw new Error('directory unavailable')
    })
    const server = new Koa().use(dt.middleware()).callback()
    const push = signed('/dingtalk/callback', userAdd('retry-1'))
    const failed = await request(server)
      .post(push.path)
      .set('content-type', 'application/json')
      .send(push.body)
    expect(failed.status).toBe(503)
    expect(failed.text).not.toContain('directory')
    off()
    const retried = await request(server)
      .post(push.path)
      .set('content-type', 'application/json')
      .send(push.body)
    expect(retried.status).toBe(200)
    expect(calls).toBe(1)
  })

  it('exposes the core routes and handlers', () => {
    const dt: DingTalkKoa = dingtalk(options())
    expect(typeof dt.dingtalk.callback?.handle).toBe('function')
    expect(dt.dingtalk.suiteCallback).toBeUndefined()
    expect(new DingTalkError('SSO_MISSING_CODE', 'x')).toBeInstanceOf(Error)
  })
})

describe('signedCallback() (testing entry)', () => {
  it('builds a callback the routes accept, and one they reject once tampered', async () => {
    const seen: string[] = []
    const dt = dingtalk(options({ prefix: '/hooks' }))
    dt.onEvent('user_leave_org', (ctx) => void seen.push(...ctx.state.dingtalk.event.UserId))
    const server = new Koa().use(dt.middleware()).callback()
    const event = { EventType: 'user_leave_org', UserId: ['gone-1'], CorpId: org.corpId, TimeStamp: '1' }
    const cb = await signedCallback({ token, aesKey, receiveId: org.corpId, event, path: '/hooks/callback' })
    const res = await request(server).post(cb.url).set(cb.headers).send(cb.body)
    expect(res.status).toBe(200)
    expect(isSuccess(res)).toBe(true)
    expect(seen).toEqual(['gone-1'])
    const other = await signedCallback({
      token: 'other-token',
      aesKey,
      receiveId: org.corpId,
      event,
      path: '/hooks/callback',
    })
    expect((await request(server).post(other.url).set(other.headers).send(other.body)).status).toBe(401)
  })
})
