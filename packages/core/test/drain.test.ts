import { once } from 'node:events'
import { Agent, createServer, request, type Server } from 'node:http'
import { type AddressInfo, connect } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { drainServer } from '../src/routes/drain'

let server: Server | undefined
afterEach(() => {
  server?.closeAllConnections()
  server?.close()
})

async function slowServer(ms: number): Promise<{ port: number; started: () => number }> {
  let started = 0
  server = createServer((_req, res) => {
    started++
    setTimeout(() => res.end('done'), ms)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return { port: (server.address() as AddressInfo).port, started: () => started }
}

// Keep-alive, like DingTalk's pushers and most proxies: an idle connection must not hold the server open.
const agent = new Agent({ keepAlive: true })
const get = (port: number): Promise<{ status: number; body: string }> =>
  new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
      let body = ''
      res.on('data', (chunk) => {
        body += chunk
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end()
  })

describe('drainServer', () => {
  it('32 requests in flight all get their reply; new connections are refused; idle() is awaited', async () => {
    const { port, started } = await slowServer(300)
    await get(port) // one kept-alive idle connection
    const inFlight = Array.from({ length: 32 }, () => get(port))
    while (started() < 33) await new Promise((resolve) => setTimeout(resolve, 5))
    let idled = false
    const t0 = performance.now()
    const drained = drainServer(server!, {
      idle: async () => {
        await new Promise((resolve) => setTimeout(resolve, 50))
        idled = true
      },
    })
    await expect(get(port)).rejects.toThrow()
    const replies = await Promise.all(inFlight)
    expect(replies.every((r) => r.status === 200 && r.body === 'done')).toBe(true)
    expect(await drained).toBe(true)
    expect(idled).toBe(true)
    // Closed once the replies were out, not when the keep-alive connections timed out (5 s).
    expect(performance.now() - t0).toBeLessThan(2000)
  })

  it('after timeoutMs the connections still busy are cut and it resolves false', async () => {
    const { port, started } = await slowServer(10_000)
    const stuck = get(port).catch((error: unknown) => error)
    while (started() < 1) await new Promise((resolve) => setTimeout(resolve, 5))
    const t0 = performance.now()
    expect(await drainServer(server!, { timeoutMs: 200 })).toBe(false)
    expect(performance.now() - t0).toBeLessThan(1000)
    expect(await stuck).toBeInstanceOf(Error)
  })

  // Chromium opens a spare connection beside the page's own and may never use it; Node's closeIdleConnections()
  // counts such a connection as busy, and close() then waited for the whole timeout (and resolved false).
  it('a connection that never sent a request (a browser’s preconnect) is closed, not waited for', async () => {
    const { port, started } = await slowServer(200)
    const unused = connect(port, '127.0.0.1')
    await once(unused, 'connect')
    const closed = once(unused, 'close')
    const inFlight = get(port)
    while (started() < 1) await new Promise((resolve) => setTimeout(resolve, 5))
    expect(await drainServer(server!, { timeoutMs: 5_000 })).toBe(true)
    expect(await inFlight).toEqual({ status: 200, body: 'done' })
    await closed
  })
})
