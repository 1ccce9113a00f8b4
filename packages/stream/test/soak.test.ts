import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { afterEach, describe, expect, it } from 'vitest'
import { app, type Harness, handles, harness, until } from './helpers'

// A real collection before each heap reading, so the numbers compare live objects, not garbage.
setFlagsFromString('--expose_gc')
const gc = runInNewContext('gc') as () => void

let h: Harness | undefined

afterEach(async () => {
  await h?.close()
  h = undefined
})

interface Handles {
  sockets: number
  servers: number
  timers: number
}

/** The process's open TCP sockets and servers, and its ref'd timers (`process.getActiveResourcesInfo`). */
function settledHandles(): Handles {
  const all = handles()
  return { sockets: all.TCPSocketWrap ?? 0, servers: all.TCPServerWrap ?? 0, timers: all.Timeout ?? 0 }
}

function heapMb(): number {
  gc()
  return Math.round((process.memoryUsage().heapUsed / 1024 / 1024) * 10) / 10
}

describe('handles', () => {
  it('close() leaves no socket or timer behind', async () => {
    h = await harness()
    const before = settledHandles()
    const stream = h.client({ keepAlive: { idleMs: 1_000, pongTimeoutMs: 1_000 } })
    stream.on('org_remove', () => undefined)
    await stream.start()
    expect((await h.emu.stream.event(app.appKey, 'org_remove', {}).done).ok).toBe(true)
    // The two ends of the WebSocket (the emulator runs in this process).
    expect(settledHandles().sockets).toBe(before.sockets + 2)
    await stream.close()
    expect(stream.stats()).toMatchObject({ sockets: 0, connected: false })
    await until(() => settledHandles().sockets === before.sockets, 'the emulator side closed too')
    const after = settledHandles()
    expect(after.sockets).toBe(before.sockets)
    expect(after.servers).toBe(before.servers)
    expect(after.timers).toBeLessThanOrEqual(before.timers)
  })
})

describe('measured', () => {
  it('0 events lost and 0 handled twice across 100 server disconnects during a steady event flow', async () => {
    h = await harness({
      // Short enough that ACKs lost with a closing connection are redelivered within the test.
      stream: { ackTimeoutMs: { EVENT: 400 }, retryDelayMs: 5, disconnectCloseMs: 15 },
    })
    const stream = h.client({ maxConcurrency: 16 })
    const handled = new Map<string, number>()
    stream.on('org_dept_modify', async (event) => {
      // In flight for a few turns of the event loop, so disconnects land while handlers run.
      for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve))
      const id = String(event.eventId)
      handled.set(id, (handled.get(id) ?? 0) + 1)
    })
    await stream.start()
    const deliveries = []
    let seq = 0
    for (let round = 0; round < 100; round++) {
      for (let i = 0; i < 10; i++) {
        deliveries.push(
          h.emu.stream.event(app.appKey, 'org_dept_modify', { deptId: [seq] }, { eventId: `e${seq}` }),
        )
        seq++
      }
      const [current] = await h.emu.stream.waitForConnections(1, app.appKey)
      await new Promise((resolve) => setImmediate(resolve))
      h.emu.stream.disconnect(current!.id, { reason: 'connection is expired' })
    }
    const results = await Promise.all(deliveries.map((d) => d.done))
    await stream.idle()
    const redelivered = deliveries.reduce((n, d) => n + d.redeliveries, 0)
    const disconnected = h.emu.stream.connections.filter((c) => c.state !== 'open').length
    console.info(
      `[measured] 1000 events, ${disconnected} server disconnects: ${handled.size} handled, ` +
        `${[...handled.values()].filter((n) => n > 1).length} twice, ${redelivered} redeliveries, ` +
        `${stream.stats().redeliveries} acknowledged as duplicates, ${stream.stats().acksUnsent} ACKs lost with their connection`,
    )
    expect(disconnected).toBeGreaterThanOrEqual(100)
    expect(results.every((r) => r.ok)).toBe(true)
    expect(handled.size).toBe(1000)
    expect([...handled.values()].every((n) => n === 1)).toBe(true)
  })

  it('1,000 reconnects: sockets, timers and heap stay flat', async () => {
    h = await harness()
    const stream = h.client({ keepAlive: { idleMs: 30_000, pongTimeoutMs: 5_000 } })
    await stream.start()
    const reconnect = async (): Promise<void> => {
      const [current] = await h!.emu.stream.waitForConnections(1, app.appKey)
      h!.emu.stream.disconnect(current!.id, { closeAfterMs: 0 })
      await until(
        () =>
          current!.state === 'closed' &&
          h!.emu.stream.live(app.appKey).length === 1 &&
          stream.stats().connected &&
          stream.stats().sockets === 1,
        'a new connection, the old one closed on both sides',
      )
    }
    for (let i = 0; i < 20; i++) await reconnect()
    await until(() => settledHandles().sockets === 2, 'the two ends of the one connection')
    const warm = settledHandles()
    const heapWarm = heapMb()
    for (let i = 0; i < 1000; i++) await reconnect()
    // A leak never settles (and the wait fails); timers that are only passing through do.
    await until(
      () => settledHandles().sockets === warm.sockets && settledHandles().timers <= warm.timers,
      'no socket or timer left over',
    )
    const after = settledHandles()
    const heapAfter = heapMb()
    console.info(
      `[measured] 1000 reconnects: handles ${JSON.stringify(warm)} → ${JSON.stringify(after)}, ` +
        `heap ${heapWarm} MB → ${heapAfter} MB (emulator records included), ${stream.stats().connections} connections`,
    )
    expect(stream.stats().connections).toBe(1021)
    expect(after.sockets).toBe(warm.sockets)
    expect(after.servers).toBe(warm.servers)
    expect(after.timers).toBeLessThanOrEqual(warm.timers)
    // The emulator keeps a record of every connection and request; the client keeps nothing per connection.
    expect(heapAfter - heapWarm).toBeLessThan(16)
  })
})
