import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDingTalkClient } from '../src/client'
import { DingTalkTimeoutError } from '../src/errors/request-errors'

// How an attempt's timeout is kept (src/http/deadline.ts), against a real HTTP peer: on Node's own fetch
// undici is given the timeout and lets the connection go; a fetch of the caller's gets an abort signal.
let server: Server
let baseUrl: string
/** Resolves when the server sees the request to `path` end: answered, or its connection dropped. */
const closed = new Map<string, Promise<number>>()

beforeAll(async () => {
  server = createServer((req, res) => {
    const at = Date.now()
    closed.set(req.url ?? '', new Promise((resolve) => res.on('close', () => resolve(Date.now() - at))))
    if (req.url?.startsWith('/gettoken')) {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end('{"errcode":0,"access_token":"TOKEN-1","expires_in":7200}')
    } else if (req.url?.startsWith('/stall-body')) {
      // Headers and half the body, then nothing.
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write('{"errcode":0,')
    } else if (!req.url?.startsWith('/hang')) {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end('{"errcode":0,"ok":true}')
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

const client = (timeoutMs: number, fetch?: typeof globalThis.fetch) =>
  createDingTalkClient(
    { appKey: 'dingkey', appSecret: 'secret-1' },
    { baseUrl, timeoutMs, retry: { maxRetries: 0 }, ...(fetch ? { fetch } : {}) },
  )

async function timesOut(run: Promise<unknown>, timeoutMs: number): Promise<number> {
  const t0 = Date.now()
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(DingTalkTimeoutError)
  expect((error as DingTalkTimeoutError).timeoutMs).toBe(timeoutMs)
  return Date.now() - t0
}

type Dispatch = (options: Record<string, unknown>, handler: object) => boolean
const GLOBAL_DISPATCHER = Symbol.for('undici.globalDispatcher.1')
const globals = globalThis as unknown as Record<symbol, { dispatch: Dispatch } | undefined>

describe("an attempt's timeout on Node's fetch", () => {
  it('goes to the global dispatcher (where a proxy or a mock is installed) as undici timeouts', async () => {
    await fetch(`${baseUrl}/warm`).then((res) => res.text()) // undici has loaded its global dispatcher
    const original = globals[GLOBAL_DISPATCHER]!
    const seen: Record<string, unknown>[] = []
    globals[GLOBAL_DISPATCHER] = {
      dispatch(options, handler) {
        seen.push({ ...options })
        return original.dispatch.call(original, options, handler)
      },
    }
    try {
      const c = client(1234)
      expect(await c.request({ path: '/ok' })).toMatchObject({ ok: true })
      expect(await c.request({ path: '/ok', timeoutMs: 777 })).toMatchObject({ ok: true })
    } finally {
      globals[GLOBAL_DISPATCHER] = original
    }
    expect(seen.map((o) => [String(o.path).split('?')[0], o.headersTimeout, o.bodyTimeout])).toEqual([
      ['/gettoken', 1234, 1234],
      ['/ok', 1234, 1234],
      ['/ok', 777, 777],
    ])
  })

  it('a server that never answers: DingTalkTimeoutError at the timeout, and undici drops the connection', async () => {
    const elapsed = await timesOut(client(400).request({ path: '/hang', auth: 'none' }), 400)
    expect(elapsed).toBeGreaterThanOrEqual(390)
    expect(elapsed).toBeLessThan(3000)
    // The server sees the connection go: undici's headersTimeout, not the race, ended it.
    expect(await closed.get('/hang')).toBeLessThan(5000)
  })

  it('a body that stops half-way: DingTalkTimeoutError at the timeout, and the connection is dropped', async () => {
    await timesOut(client(400).request({ path: '/stall-body', auth: 'none' }), 400)
    expect(await closed.get('/stall-body')).toBeLessThan(5000)
  })

  it("a caller's signal still aborts the call, with its own reason", async () => {
    const controller = new AbortController()
    const run = client(10_000).request({ path: '/hang', auth: 'none', signal: controller.signal })
    setTimeout(() => controller.abort(new Error('user went away')), 50)
    await expect(run).rejects.toThrow('user went away')
  })
})

describe("an attempt's timeout on a fetch of the caller's", () => {
  it('is an abort signal that fires at the timeout; no undici dispatcher is handed over', async () => {
    const inits: RequestInit[] = []
    const fetchOfMine: typeof fetch = (_input, init) => {
      inits.push(init ?? {})
      // Never answers on its own: only the signal ends it.
      return new Promise((_, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason))
      })
    }
    await timesOut(client(300, fetchOfMine).request({ path: '/ok', auth: 'none' }), 300)
    expect(inits).toHaveLength(1)
    expect(inits[0]?.signal).toBeInstanceOf(AbortSignal)
    expect(inits[0]?.signal?.aborted).toBe(true)
    expect('dispatcher' in (inits[0] ?? {})).toBe(false)
  })
})
