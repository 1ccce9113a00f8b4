import { afterEach, beforeEach } from 'vitest'
import { type Emulator, type EmulatorOptions, startEmulator } from '../src/emulator'
import { defaultFixture, type FixtureApp, type FixtureOrg, type FixtureSuite } from '../src/fixture'

export const corp: FixtureOrg = defaultFixture.orgs[0]!
export const app: FixtureApp = corp.apps![0]!
export const customer: FixtureOrg = defaultFixture.orgs[1]!
export const suite: FixtureSuite = defaultFixture.suites![0]!

export type Json = Record<string, unknown>

export async function getJson(url: string): Promise<Json> {
  const res = await fetch(url)
  return (await res.json()) as Json
}

export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Json> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
  return (await res.json()) as Json
}

export async function corpToken(base: string): Promise<string> {
  const res = await getJson(`${base}/gettoken?appkey=${app.appKey}&appsecret=${app.appSecret}`)
  if (res.errcode !== 0) throw new Error(`gettoken failed: ${JSON.stringify(res)}`)
  return res.access_token as string
}

/** A controllable clock for the emulator. */
export function manualClock(start = 1_700_000_000_000): { now: () => number; advance(ms: number): void } {
  let t = start
  return {
    now: () => t,
    advance(ms: number) {
      t += ms
    },
  }
}

/** A fresh emulator for each test, on a manual clock; `restart()` replaces it with other options. */
export function emulatorPerTest(): {
  readonly emu: Emulator
  clock: ReturnType<typeof manualClock>
  restart(options: EmulatorOptions): Promise<void>
} {
  const clock = manualClock()
  let current: Emulator | undefined
  beforeEach(async () => {
    current = await startEmulator({ now: clock.now })
  })
  afterEach(async () => {
    await current?.close()
  })
  return {
    get emu(): Emulator {
      if (current === undefined) throw new Error('the emulator runs inside tests only')
      return current
    },
    clock,
    async restart(options) {
      await current?.close()
      current = await startEmulator({ now: clock.now, ...options })
    },
  }
}
