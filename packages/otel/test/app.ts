import {
  type CallbackTuning,
  createDingTalkClient,
  createDingTalkRoutes,
  DingTalkApiError,
  type DingTalkClient,
  type DingTalkRoutes,
  type Store,
} from '@dingtalk-kit/core'
import {
  defaultFixture,
  type Emulator,
  type FixtureApp,
  type FixtureOrg,
  generateAesKey,
  startEmulator,
} from '@dingtalk-kit/emulator'
import { afterAll, afterEach, beforeAll } from 'vitest'
import { serveRoutes, type TestTelemetry, testTelemetry, useAsyncContext } from './helpers'

export const org: FixtureOrg = defaultFixture.orgs[0]!
export const app: FixtureApp = org.apps![0]!
const credentials = { appKey: app.appKey, appSecret: app.appSecret, corpId: org.corpId }
export const callbackSecrets: { token: string; aesKey: string } = {
  token: 'otel-test-callback-token',
  aesKey: generateAesKey(),
}

/** A corp app's client on the emulator, with short retry delays. */
export function newClient(emu: Emulator, store?: Store): DingTalkClient {
  return createDingTalkClient(credentials, {
    baseUrl: emu.url,
    retry: { baseDelayMs: 1, maxDelayMs: 4 },
    tokens: { pollIntervalMs: 2 },
    ...(store === undefined ? {} : { store }),
  })
}

/**
 * An app: routes on a real HTTP server, its callback registered with the emulator, the client given. What
 * it starts is closed by the functions it pushes onto `closers`.
 */
export async function startApp(
  emu: Emulator,
  client: DingTalkClient,
  closers: (() => Promise<unknown>)[],
  options: { tuning?: CallbackTuning; store?: Store } = {},
): Promise<{ routes: DingTalkRoutes; url: string }> {
  const routes = createDingTalkRoutes({
    prefix: '/dingtalk',
    client,
    callback: {
      ...callbackSecrets,
      logger: {},
      ...(options.tuning === undefined ? {} : { options: options.tuning }),
      ...(options.store === undefined ? {} : { store: options.store }),
    },
  })
  const server = await serveRoutes(routes)
  closers.push(
    () => server.close(),
    () => routes.dispatcher.idle(),
  )
  // Another client registers the callback, so the app's own client has fetched no token yet.
  const registration = {
    tags: ['user_add_org', 'org_dept_create'],
    ...callbackSecrets,
    url: `${server.url}/dingtalk/callback`,
  }
  const admin = newClient(emu)
  await admin.callbacks.register(registration).catch(async (error: unknown) => {
    // §2.4: 71006 = the corp already has a callback (an earlier test's): point it at this app.
    if (!(error instanceof DingTalkApiError) || error.errcode !== 71006) throw error
    await admin.callbacks.update(registration)
  })
  return { routes, url: server.url }
}

/** What {@link useEmulator} gives a test file: the emulator, what to close after each test, telemetry. */
export interface TestEnvironment {
  readonly emu: Emulator
  /** Run (last first) after each test. */
  readonly closers: (() => Promise<unknown>)[]
  /** A fresh SDK with in-memory exporters, shut down after the test. */
  telemetry(): TestTelemetry
}

/** Registers the hooks of a test file: the context manager and one emulator for the file, cleanup per test. */
export function useEmulator(): TestEnvironment {
  let emu: Emulator | undefined
  let stopContext = () => {}
  const telemetries: TestTelemetry[] = []
  const closers: (() => Promise<unknown>)[] = []
  beforeAll(async () => {
    stopContext = useAsyncContext()
    emu = await startEmulator({ suiteTicketIntervalMs: 0 })
  })
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close()
    for (const t of telemetries.splice(0)) await t.shutdown()
    emu?.faults.clear()
  })
  afterAll(async () => {
    await emu?.close()
    stopContext()
  })
  return {
    get emu() {
      if (emu === undefined) throw new Error('the emulator starts in beforeAll')
      return emu
    },
    closers,
    telemetry() {
      const t = testTelemetry()
      telemetries.push(t)
      return t
    },
  }
}
