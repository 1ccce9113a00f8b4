import type { Server } from 'node:http'
import { expect } from 'vitest'
import { WebSocket } from 'ws'
import { type Emulator, startEmulator } from '../src/emulator'
import type { EmulatorOptions } from '../src/index'
import { app } from './helpers'

// The Stream tests' raw peer and setup (stream.test.ts, stream-delivery.test.ts). Each test file runs
// closeStreamTest after each test.

export type Frame = {
  specVersion: string
  type: string
  headers: Record<string, string>
  data: string
}

export const OPEN: string = '/v1.0/gateway/connections/open'
export const ROBOT: string = '/v1.0/im/bot/messages/get'
export const EVENTS: { type: string; topic: string }[] = [{ type: 'EVENT', topic: '*' }]

let emu: Emulator | undefined
const sockets = new Set<WebSocket>()
/** Servers a test started: {@link closeStreamTest} closes them. */
export const servers: Set<Server> = new Set<Server>()

/** The test closed the emulator itself: {@link closeStreamTest} leaves it alone. */
export function forgetEmulator(): void {
  emu = undefined
}

/** Closes what the test opened: its sockets, its servers, then the emulator {@link start} started. */
export async function closeStreamTest(): Promise<void> {
  for (const ws of sockets) ws.terminate()
  sockets.clear()
  for (const server of servers) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
  servers.clear()
  await emu?.close()
  emu = undefined
}

export async function start(options: EmulatorOptions = {}): Promise<Emulator> {
  emu = await startEmulator({
    suiteTicketIntervalMs: 0,
    ...options,
    stream: { pingIntervalMs: 0, ...options.stream },
  })
  return emu
}

export async function openTicket(
  base: string,
  body: Record<string, unknown> = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${base}${OPEN}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({
      clientId: app.appKey,
      clientSecret: app.appSecret,
      subscriptions: EVENTS,
      ...body,
    }),
  })
  return { status: res.status, json: (await res.json()) as Record<string, unknown> }
}

/** A hand-written Stream peer: the raw protocol, no SDK in between. */
export class Peer {
  readonly frames: Frame[] = []
  private waiters: Array<() => void> = []
  closed = false

  constructor(readonly ws: WebSocket) {
    ws.on('message', (raw) => {
      this.frames.push(JSON.parse(raw.toString()) as Frame)
      for (const wake of this.waiters.splice(0)) wake()
    })
    ws.on('close', () => {
      this.closed = true
      for (const wake of this.waiters.splice(0)) wake()
    })
  }

  /** The next frame matching `match` (removed from the queue), or undefined once the socket closed. */
  async next(match: (f: Frame) => boolean = (f) => f.type !== 'SYSTEM'): Promise<Frame | undefined> {
    for (;;) {
      const index = this.frames.findIndex(match)
      if (index >= 0) return this.frames.splice(index, 1)[0]
      if (this.closed) return undefined
      await new Promise<void>((resolve) => this.waiters.push(resolve))
    }
  }

  ack(frame: Frame, data: unknown, code = 200): void {
    this.ws.send(
      JSON.stringify({
        code,
        message: 'OK',
        headers: { messageId: frame.headers.messageId, contentType: 'application/json' },
        data: JSON.stringify(data),
      }),
    )
  }
}

export async function connect(e: Emulator, body: Record<string, unknown> = {}): Promise<Peer> {
  const { json } = await openTicket(e.url, body)
  const ws = new WebSocket(`${json.endpoint as string}?ticket=${encodeURIComponent(json.ticket as string)}`)
  sockets.add(ws)
  const peer = new Peer(ws)
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  return peer
}

/** A SYSTEM ping answered by the peer: everything the peer sent before has reached the emulator. */
export async function roundTrip(e: Emulator, peer: Peer): Promise<void> {
  const id = e.stream.live(app.appKey).find((c) => c.state === 'open')!.id
  const answered = e.stream.ping(id)
  const ping = (await peer.next((f) => f.headers.topic === 'ping'))!
  peer.ack(ping, JSON.parse(ping.data))
  expect(await answered).toBe(true)
}

export async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10))
}

export function upgradeStatus(url: string): Promise<number | string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url)
    sockets.add(ws)
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0)
      ws.terminate()
    })
    ws.on('open', () => resolve('open'))
    ws.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message))
  })
}
