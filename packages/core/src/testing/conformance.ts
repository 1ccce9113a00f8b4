import { type Emulator, startEmulator } from '@dingtalk-kit/emulator'
import { afterAll, beforeAll, describe } from 'vitest'
import type { DingTalkRoutesOptions } from '../routes/routes'
import {
  type ConformanceApp,
  type ConformanceLog,
  type ConformanceSetup,
  conformanceRoutesOptions,
} from './conformance-options'
import {
  type ConformanceContext,
  conformanceContext,
  conformanceSetup,
  hostileTests,
  jsapiConfigTests,
  pushTests,
  robotTests,
  routingTests,
  signInTests,
} from './conformance-tests'

export type { ConformanceApp } from './conformance-options'

/**
 * Starts the adapter under test on 127.0.0.1 with these routes options mounted at `options.prefix`.
 * `setup` describes the same options as plain data, for apps started in another runtime.
 *
 * @example
 * ```ts
 * const start: ConformanceStart = async ({ prefix, ...options }) => serve(new Hono().route(prefix, dingtalk(options)))
 * ```
 */
export type ConformanceStart = (
  options: DingTalkRoutesOptions & { prefix: string },
  setup: ConformanceSetup,
) => Promise<ConformanceApp>

/**
 * The conformance suite every DingTalk adapter passes unchanged: starts an emulator, has `start` serve the
 * routes under a non-default prefix, and checks over real HTTP every route's behaviour (jsapi-config with
 * the origin allow-list, SSO, 404/405 semantics), the emulator's pushes reaching the handlers (check_url on
 * registration, contact events whose handler fetches the user, the ISV suite_ticket → tmp_auth_code flow
 * and the corp's jsapi-config/SSO afterwards), and the hostile-input corpus (callback-security R6).
 *
 * @example
 * ```ts
 * // koa.test.ts
 * import { runAdapterConformance } from '@dingtalk-kit/core/vitest'
 * runAdapterConformance('koa', async ({ prefix, ...options }) => {
 *   const app = new Koa().use(dingtalk({ prefix, ...options }).middleware())
 *   const server = app.listen(0, '127.0.0.1')
 *   await once(server, 'listening')
 *   return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(() => r())) }
 * })
 * ```
 */
export function runAdapterConformance(name: string, start: ConformanceStart): void {
  describe(`DingTalk adapter conformance: ${name}`, () => {
    let emu: Emulator | undefined
    let app: ConformanceApp | undefined
    let context: ConformanceContext | undefined
    const local: ConformanceLog = { events: [], errors: [] }
    const ctx = (): ConformanceContext => {
      if (!context) throw new Error('the conformance app did not start (see the beforeAll error)')
      return context
    }

    beforeAll(async () => {
      emu = await startEmulator({ suiteTicketIntervalMs: 0, push: { retries: 0, timeoutMs: 5000 } })
      const setup = conformanceSetup(emu.url)
      app = await start(conformanceRoutesOptions(setup, local), setup)
      context = conformanceContext(emu, app, setup, local)
    })

    afterAll(async () => {
      await emu?.idle()
      await app?.close()
      await emu?.close()
    })

    describe('routes', () => {
      jsapiConfigTests(ctx)
      signInTests(ctx)
      routingTests(ctx)
    })
    describe('robot in HTTP mode (§14.1)', () => robotTests(ctx))
    describe('pushes from the emulator', () => pushTests(ctx))
    describe('hostile input (callback-security R6)', () => hostileTests(ctx))
  })
}
