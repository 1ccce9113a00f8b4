import { describe, expect, it } from 'vitest'
import {
  answerNodeRequest,
  installBodyHeadersAside,
  type NodeFrameworkRequest,
  type NodeRequestHook,
  nodeRouteRequest,
  setBodyHeadersAside,
  writeHeaders,
  writeRouteResponse,
} from './node-request'
import { createDingTalkRoutes } from './routes'

const unread = { readableDidRead: false, readableEnded: false }
const read = { readableDidRead: true, readableEnded: true }

const bodyHeaders = () => ({
  host: 'app.example.com',
  'content-type': 'application/json',
  'content-length': '15',
})

describe('nodeRouteRequest', () => {
  it('hands over the unread stream of Express (the request itself), Fastify (`raw`) and Koa (`req`)', () => {
    const express: NodeFrameworkRequest = {
      method: 'POST',
      url: '/dingtalk/callback',
      headers: {},
      ...unread,
    }
    expect(nodeRouteRequest(express, '/callback').body).toBe(express)
    const raw = { ...unread }
    expect(nodeRouteRequest({ method: 'POST', url: '/', headers: {}, raw, ...read }, '/').body).toBe(raw)
    const req = { ...unread }
    expect(nodeRouteRequest({ method: 'POST', url: '/', headers: {}, req }, '/').body).toBe(req)
  })

  it('once a parser read the stream: its raw text or bytes, else its parsed body', () => {
    const parsed = { encrypt: 'x' }
    const base = { method: 'POST', url: '/', headers: {}, ...read, body: parsed }
    expect(nodeRouteRequest({ ...base, rawBody: '{"encrypt":"x"}' }, '/').body).toBe('{"encrypt":"x"}')
    expect(nodeRouteRequest(base, '/').body).toBe(parsed)
  })

  it('takes the path given, the query from the URL before any mount, and the client address when known', () => {
    const request = nodeRouteRequest(
      {
        method: 'GET',
        url: '/dingtalk/sso?code=a',
        originalUrl: '/app/dingtalk/sso?code=a',
        headers: {},
        ip: '10.0.0.7',
      },
      '/sso',
    )
    expect(request).toMatchObject({
      method: 'GET',
      path: '/sso',
      url: '/app/dingtalk/sso?code=a',
      clientAddress: '10.0.0.7',
    })
    const anonymous = nodeRouteRequest(
      { method: 'GET', url: '/dingtalk/sso', headers: {}, req: read },
      '/sso',
    )
    expect(anonymous).toEqual({
      method: 'GET',
      path: '/sso',
      url: '/dingtalk/sso',
      headers: {},
      body: undefined,
    })
    expect('clientAddress' in anonymous).toBe(false)
  })
})

describe('setBodyHeadersAside', () => {
  it('hides the body headers of a POST route under the prefix, below any prefix the framework adds; nodeRouteRequest restores them', () => {
    for (const url of ['/dingtalk/callback', '/api/dingtalk/suite/callback?nonce=1', '/dingtalk/robot/']) {
      const request = { method: 'POST', url, headers: bodyHeaders() }
      setBodyHeadersAside('dingtalk/', request)
      expect(request.headers).toEqual({ host: 'app.example.com' })
      expect(nodeRouteRequest(request, '/callback').headers).toEqual({
        ...bodyHeaders(),
        'transfer-encoding': undefined,
      })
    }
  })

  it('leaves other paths alone: the GET routes, another prefix, and under the root prefix any non-exact path', () => {
    const cases: Array<[string, string]> = [
      ['/dingtalk', '/dingtalk/sso'],
      ['/dingtalk', '/dingtalkx/callback'],
      ['/dingtalk', '/other/callback'],
      ['/', '/oauth/callback'],
    ]
    for (const [prefix, url] of cases) {
      const request = { url, headers: bodyHeaders() }
      setBodyHeadersAside(prefix, request)
      expect(request.headers).toEqual(bodyHeaders())
      expect(nodeRouteRequest({ method: 'POST', ...request }, '/').headers).toEqual(bodyHeaders())
    }
    const root = { url: '/callback', headers: bodyHeaders() }
    setBodyHeadersAside('/', root)
    expect(root.headers).toEqual({ host: 'app.example.com' })
  })
})

describe('installBodyHeadersAside', () => {
  it('adds an onRequest hook to a Fastify instance, middleware to an Express app: each sets the body headers aside, then calls next', () => {
    const hooks: NodeRequestHook[] = []
    const names: string[] = []
    installBodyHeadersAside(
      { addHook: (name: 'onRequest', hook) => names.push(name) && hooks.push(hook) },
      '/dingtalk',
    )
    expect(names).toEqual(['onRequest'])
    installBodyHeadersAside({ use: (hook) => hooks.push(hook) }, '/dingtalk')
    expect(hooks).toHaveLength(2)
    for (const hook of hooks) {
      const calls: string[] = []
      const callback = { url: '/api/dingtalk/callback', headers: bodyHeaders() }
      hook(callback, {}, () => calls.push(`next: ${Object.keys(callback.headers).join(',')}`))
      const other = { url: '/echo', headers: bodyHeaders() }
      hook(other, {}, () => calls.push(`next: ${Object.keys(other.headers).join(',')}`))
      expect(calls).toEqual(['next: host', 'next: host,content-type,content-length'])
      expect(nodeRouteRequest({ method: 'POST', ...callback }, '/callback').headers).toMatchObject(
        bodyHeaders(),
      )
    }
  })

  it('prefers the Fastify hook when the instance also has use() (middie)', () => {
    const added: string[] = []
    installBodyHeadersAside(
      { addHook: () => added.push('addHook'), use: () => added.push('use') },
      '/dingtalk',
    )
    expect(added).toEqual(['addHook'])
  })
})

describe('writeHeaders', () => {
  it('appends set-cookie, sets every other header', () => {
    const writes: string[] = []
    writeHeaders(
      { status: 302, headers: { location: '/home', 'set-cookie': 'state=; Max-Age=0' }, body: '' },
      {
        set: (name, value) => writes.push(`set ${name}: ${value}`),
        append: (name, value) => writes.push(`append ${name}: ${value}`),
      },
    )
    expect(writes).toEqual(['set location: /home', 'append set-cookie: state=; Max-Age=0'])
  })
})

describe('writeRouteResponse', () => {
  it('writes the headers through the writer (set-cookie appended), then the body with the status', () => {
    const writes: string[] = []
    const res = { id: 'res-1' }
    writeRouteResponse(
      { status: 302, headers: { location: '/home', 'set-cookie': 'state=; Max-Age=0' }, body: 'moved' },
      {
        setHeader: (to: typeof res, name, value) => writes.push(`${to.id} set ${name}: ${value}`),
        appendHeader: (to, name, value) => writes.push(`${to.id} append ${name}: ${value}`),
        reply: (to, body, status) => writes.push(`${to.id} reply ${status}: ${String(body)}`),
      },
      res,
    )
    expect(writes).toEqual([
      'res-1 set location: /home',
      'res-1 append set-cookie: state=; Max-Age=0',
      'res-1 reply 302: moved',
    ])
  })
})

describe('answerNodeRequest', () => {
  const routes = createDingTalkRoutes({
    callback: { token: 't', aesKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG', receiveId: 'dingcorp' },
  })
  const recorder = () => {
    const writes: string[] = []
    const writer = {
      setHeader: (_res: unknown, name: string, value: string) => writes.push(`set ${name}: ${value}`),
      appendHeader: (_res: unknown, name: string, value: string) => writes.push(`append ${name}: ${value}`),
      reply: (_res: unknown, _body: unknown, status: number) => writes.push(`reply ${status}`),
    }
    return { writes, writer }
  }

  it('answers the route the URL ends with, under any prefix, and writes the response', async () => {
    for (const [url, originalUrl] of [
      ['/api/dingtalk/callback', undefined],
      ['/callback', '/api/dingtalk/callback/?x=1'],
    ] as const) {
      const { writes, writer } = recorder()
      const request = { method: 'GET', url, ...(originalUrl ? { originalUrl } : {}), headers: {} }
      const answered = await answerNodeRequest(routes, request, writer, {})
      expect(answered?.status).toBe(405)
      expect(writes).toContain('set allow: POST')
      expect(writes.at(-1)).toBe('reply 405')
    }
  })

  it('writes nothing and returns undefined for a route not configured, or no DingTalk route', async () => {
    for (const url of ['/api/dingtalk/sso?code=x', '/api/dingtalk/nothing']) {
      const { writes, writer } = recorder()
      expect(await answerNodeRequest(routes, { method: 'GET', url, headers: {} }, writer, {})).toBeUndefined()
      expect(writes).toEqual([])
    }
  })
})
