import { defaultFixture, type Emulator, type FixtureApp, startEmulator } from '@dingtalk-kit/emulator'
import { afterAll, beforeAll, beforeEach, expect } from 'vitest'
import {
  type ClientHooks,
  createDingTalkClient,
  type DingTalkClient,
  type DingTalkClientOptions,
  type DingTalkCredentials,
  DingTalkRequestError,
  type RetryEvent,
} from '../src/index'

// The setup of client.test.ts and client-faults.test.ts: each file gets its own emulator, log and secrets
// (vitest loads this module once per test file).

const org = defaultFixture.orgs[0]!
export const app: FixtureApp = org.apps![0]!
export const CORP_ID: string = org.corpId
export const APP: DingTalkCredentials = { appKey: app.appKey, appSecret: app.appSecret }
export const CORP: DingTalkCredentials = { corpId: CORP_ID, corpSecret: app.corpSecret! }

// Everything every client in a file reports goes through here; loggedWithoutSecrets() checks it.
export const logged: unknown[] = []
const seenSecrets = new Set<string>([app.appSecret, app.corpSecret!, 'wrong-secret-value'])
const logger: ClientHooks = {
  onRequest: (e) => logged.push(e),
  onResponse: (e) => logged.push(e),
  onRetry: (e) => logged.push(e),
  onTokenRefresh: (e) => logged.push(e),
}

/** The file's emulator, started by {@link useEmulator}. */
export let emu: Emulator

/** Starts the file's emulator before its tests, clears its faults before each, closes it after them. */
export function useEmulator(): void {
  beforeAll(async () => {
    emu = await startEmulator()
  })

  afterAll(async () => {
    await emu.close()
  })

  beforeEach(() => {
    emu.faults.clear()
  })
}

export function client(
  credentials: DingTalkCredentials = APP,
  options: DingTalkClientOptions & { retries?: RetryEvent[] } = {},
): DingTalkClient {
  const retries = options.retries
  return createDingTalkClient(credentials, {
    baseUrl: emu.url,
    retry: { baseDelayMs: 1, maxDelayMs: 4 },
    tokens: { pollIntervalMs: 2 },
    ...options,
    hooks: {
      ...logger,
      onRetry: (e) => {
        logger.onRetry?.(e)
        retries?.push(e)
      },
    },
  })
}

export function counter(path: string): () => number {
  const start = emu.count(path)
  return () => emu.count(path) - start
}

export const remember = (value: string): string => {
  seenSecrets.add(value)
  return value
}

export async function catchError(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    if (error instanceof DingTalkRequestError) logged.push(error.message, error.problemReport())
    return error
  }
  throw new Error('expected a rejection')
}

export const userinfoGet = (c: DingTalkClient): Promise<{ userid: string }> =>
  c.request<{ userid: string }>({
    path: '/user/getuserinfo',
    query: { code: emu.issueAuthCode(CORP_ID, 'lisi') },
  })

export const userinfoPost = (c: DingTalkClient): Promise<{ result: { userid: string; name: string } }> =>
  c.request<{ result: { userid: string; name: string } }>({
    path: '/topapi/v2/user/getuserinfo',
    json: { code: emu.issueAuthCode(CORP_ID, 'zhangsan') },
  })

/**
 * Asserts that no secret the file's clients saw (its secrets, every token and ticket the emulator issued,
 * every value passed to `remember`) is in what they reported; returns that report as JSON.
 */
export function loggedWithoutSecrets(): string {
  for (const token of emu.state.tokens.keys()) seenSecrets.add(token)
  for (const ticket of emu.state.tickets.keys()) seenSecrets.add(ticket)
  const text = JSON.stringify(logged)
  for (const secret of seenSecrets) expect(text.includes(secret), 'a secret leaked into the log').toBe(false)
  return text
}
