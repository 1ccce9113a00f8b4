import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDingTalkClient } from '../src/client'
import { DingTalkTimeoutError } from '../src/errors/request-errors'

// A real HTTP peer: /slow answers after five seconds, anything else at once. The client's timeout (1.5 s)
// leaves a loaded 2-core CI machine room to answer the fast calls, and the slow one still times out.
let server: Server
let baseUrl: string
const served = { fast: 0, slow: 0 }

beforeAll(async () => {
  server = createServer((req, res) => {
    const answer = () => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(
        req.url?.startsWith('/gettoken')
          ? '{"errcode":0,"access_token":"TOKEN-1","expires_in":7200}'
          : '{"errcode":0}',
      )
    }
    if (req.url?.startsWith('/slow')) {
      served.slow++
      setTimeout(answer, 5000)
    } else {
      served.fast++
      answer()
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

describe('attempt timeouts', () => {
  it('a timeout aborts only its own attempt: calls before, beside and after it are untouched', async () => {
    const client = createDingTalkClient(
      { appKey: 'dingkey', appSecret: 'secret-1' },
      { baseUrl, timeoutMs: 1500, retry: { maxRetries: 0 } },
    )
    for (let i = 0; i < 40; i++) await client.request({ path: '/fast' })
    const fast = () => client.request({ path: '/fast' })
    const [slow, ...beside] = await Promise.allSettled([
      client.request({ path: '/slow', json: {} }),
      ...Array.from({ length: 10 }, fast),
    ])
    expect(slow?.status).toBe('rejected')
    expect((slow as PromiseRejectedResult).reason).toBeInstanceOf(DingTalkTimeoutError)
    expect(beside.every((r) => r.status === 'fulfilled')).toBe(true)
    const before = served.fast
    for (let i = 0; i < 40; i++) await client.request({ path: '/fast' })
    expect(served.fast - before).toBe(40)
    expect(served.slow).toBe(1)
  })
})
