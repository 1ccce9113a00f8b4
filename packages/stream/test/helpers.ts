import type { CallbackLogger } from '@dingtalk-kit/core'
import {
  defaultFixture,
  type Emulator,
  type EmulatorOptions,
  type FixtureApp,
  type FixtureOrg,
  startEmulator,
} from '@dingtalk-kit/emulator'
import { createStreamClient, type StreamClient, type StreamClientOptions } from '../src/index'

export const corp: FixtureOrg = defaultFixture.orgs[0]!
export const app: FixtureApp = corp.apps![0]!

/** Polls a condition (every 5 ms) until it holds: tests wait on state, never on durations. */
export async function until(condition: () => boolean, what = 'condition'): Promise<void> {
  const started = Date.now()
  while (!condition()) {
    // A generous bound only so a broken test fails with a message instead of the runner's timeout.
    if (Date.now() - started > 45_000) throw new Error(`gave up waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

/** A promise to open from outside. */
export function gate(): { promise: Promise<void>; open(): void } {
  let open: () => void = () => {}
  const promise = new Promise<void>((resolve) => {
    open = resolve
  })
  return { promise, open }
}

/** A logger that keeps what it was given. */
export function memoryLogger(): CallbackLogger & {
  lines: Array<{ level: string; message: string; data: unknown }>
} {
  const lines: Array<{ level: string; message: string; data: unknown }> = []
  return {
    lines,
    debug: (message, data) => lines.push({ level: 'debug', message, data }),
    warn: (message, data) => lines.push({ level: 'warn', message, data }),
    error: (message, data) => lines.push({ level: 'error', message, data }),
  }
}

export interface Harness {
  emu: Emulator
  clients: StreamClient[]
  client(options?: Partial<StreamClientOptions>): StreamClient
  close(): Promise<void>
}

/** An emulator plus Stream clients pointed at it, all closed by `close()`. */
export async function harness(options: EmulatorOptions = {}): Promise<Harness> {
  const emu = await startEmulator({
    suiteTicketIntervalMs: 0,
    ...options,
    stream: { pingIntervalMs: 0, ...options.stream },
  })
  const clients: StreamClient[] = []
  return {
    emu,
    clients,
    client(overrides = {}) {
      const client = createStreamClient({
        clientId: app.appKey,
        clientSecret: app.appSecret,
        apiBaseUrl: emu.url,
        logger: memoryLogger(),
        reconnect: { baseMs: 5, maxMs: 50 },
        ...overrides,
      })
      clients.push(client)
      return client
    },
    async close() {
      await Promise.all(clients.map((c) => c.close()))
      await emu.close()
    },
  }
}

/** Counts of the process's active handles by kind (sockets, timers, servers). */
export function handles(): Record<string, number> {
  const out: Record<string, number> = {}
  for (const kind of process.getActiveResourcesInfo()) out[kind] = (out[kind] ?? 0) + 1
  return out
}
