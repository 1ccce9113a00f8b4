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
