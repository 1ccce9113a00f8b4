import {
  defaultFixture,
  type Emulator,
  type EmulatorOptions,
  type FixtureApp,
  type FixtureOrg,
  startEmulator,
} from '@dingtalk-kit/emulator'
import { expect } from 'vitest'
import { createDingTalkClient, DingTalkApiError, type DingTalkClient } from '../../src/index'

export const org: FixtureOrg = defaultFixture.orgs[0]!
export const app: FixtureApp = org.apps![0]!

/** An emulator and a client of the fixture's corp app on it (fast retries). */
export async function startCorp(
  options: EmulatorOptions = {},
): Promise<{ emu: Emulator; client: DingTalkClient }> {
  const emu = await startEmulator(options)
  const client = createDingTalkClient(
    { appKey: app.appKey, appSecret: app.appSecret, corpId: org.corpId },
    { baseUrl: emu.url, agentId: app.agentId, retry: { baseDelayMs: 1, maxDelayMs: 2 } },
  )
  return { emu, client }
}

/** What a promise rejected with (`undefined` when it resolved). */
export function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (e: unknown) => e,
  )
}

/** The errcode of the `DingTalkApiError` a promise rejected with. */
export async function errcode(promise: Promise<unknown>): Promise<number | undefined> {
  const error = await failure(promise)
  expect(error).toBeInstanceOf(DingTalkApiError)
  return (error as DingTalkApiError).errcode
}

/** The browser on the emulator's login page: picks `userid` and follows the link to the 302 back. */
export async function scanLoginPage(emu: Emulator, authorizeUrl: string, userid: string): Promise<URL> {
  const page = await fetch(authorizeUrl)
  expect(page.status).toBe(200)
  const html = await page.text()
  const link = new RegExp(`href="([^"]+)" data-userid="${userid}"`).exec(html)?.[1]
  expect(link, `a link for ${userid}`).toBeDefined()
  const href = link!.replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)))
  const back = await fetch(new URL(href, emu.url), { redirect: 'manual' })
  expect(back.status).toBe(302)
  return new URL(back.headers.get('location')!)
}
