import { describe, expect, it } from 'vitest'
import {
  type NodeFrameworkRequest,
  nodeRouteRequest,
  setBodyHeadersAside,
  writeHeaders,
} from './node-request'

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
