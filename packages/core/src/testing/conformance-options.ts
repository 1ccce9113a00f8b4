// Web APIs only, no vitest: an app under test on Bun, Deno or workerd imports this to build the same
// options the conformance suite builds in-process (see runAdapterConformance).

import { createWebLogin } from '../api/web-login'
import type { CallbackHandlerOptions } from '../callback/handler'
import { createDingTalkClient } from '../client'
import type { DingTalkRoutesOptions, SuiteCallbackRouteOptions } from '../routes/routes'
import { memoryStore } from '../store/store'
import { createSuiteClient } from '../suite/suite-client'

/**
 * Everything the conformance suite configures an app with, as plain strings and numbers (so it can be
 * passed to another runtime as env).
 *
 * @example
 * ```ts
 * const app = await serveModule('bun', bundle.file, { env: { SETUP: JSON.stringify(setup) } })
 * ```
 */
export interface ConformanceSetup {
  /** The emulator's base URL. */
  baseUrl: string
  /** Where the routes are mounted, e.g. `/api/dingtalk`. */
  prefix: string
  app: { appKey: string; appSecret: string; corpId: string; agentId: number }
  callback: { token: string; aesKey: string }
  suite: { suiteKey: string; suiteSecret: string; token: string; aesKey: string }
  jsapi: { allowedOrigins: string[]; jsApiList: string[] }
}

/**
 * What the handlers of a conformance app observed: `events` holds `event:<EventType>:<detail>` for each
 * handled event and `user:<userId>:<name>` for each user a handler fetched; `errors` the `onError` codes.
 *
 * @example
 * ```ts
 * const log: ConformanceLog = { events: [], errors: [] }
 * ```
 */
export interface ConformanceLog {
  events: string[]
  errors: string[]
}

/**
 * The routes options of a conformance app: a corp client and a suite client on the emulator, a corp
 * callback whose contact handlers fetch the user through the client (as the example apps do), and a
 * suite callback, all recording into `log`.
 *
 * @example
 * ```ts
 * const log: ConformanceLog = { events: [], errors: [] }
 * const app = new Hono().route(setup.prefix, dingtalk(conformanceRoutesOptions(setup, log)))
 * ```
 */
export function conformanceRoutesOptions(
  setup: ConformanceSetup,
  log: ConformanceLog,
): DingTalkRoutesOptions & { prefix: string } {
  const fast = { baseUrl: setup.baseUrl, retry: { baseDelayMs: 1, maxDelayMs: 2, maxAttempts: 2 } }
  const client = createDingTalkClient(
    { appKey: setup.app.appKey, appSecret: setup.app.appSecret, corpId: setup.app.corpId },
    { ...fast, agentId: setup.app.agentId },
  )
  const suiteClient = createSuiteClient(
    {
      suiteKey: setup.suite.suiteKey,
      suiteSecret: setup.suite.suiteSecret,
      token: setup.suite.token,
      aesKey: setup.suite.aesKey,
    },
    { ...fast, store: memoryStore() },
  )
  const onError: NonNullable<CallbackHandlerOptions['onError']> = (error) => void log.errors.push(error.code)
  const contact = async (type: string, userIds: readonly string[]): Promise<void> => {
    log.events.push(`event:${type}:${userIds.join(',')}`)
    for (const userId of userIds) {
      const user = await client.contacts.users.get(userId).catch(() => undefined)
      if (user) log.events.push(`user:${user.userId}:${user.name}`)
    }
  }
  const callback: CallbackHandlerOptions = {
    token: setup.callback.token,
    aesKey: setup.callback.aesKey,
    client,
    onError,
    handlers: {
      user_add_org: (event) => contact(event.EventType, event.UserId),
      user_modify_org: (event) => contact(event.EventType, event.UserId),
      user_leave_org: (event) => void log.events.push(`event:user_leave_org:${event.UserId.join(',')}`),
      org_dept_create: (event) => void log.events.push(`event:org_dept_create:${event.DeptId.join(',')}`),
      // §14.1: HTTP-mode robot messages reach the same pipeline; the reply goes through the session webhook.
      robot_message: async (event) => {
        log.events.push(`robot:${event.conversation.type}:${event.text}`)
        await event.reply(`echo: ${event.text}`)
      },
    },
  }
  const suiteCallback: SuiteCallbackRouteOptions = {
    onError,
    handlers: {
      suite_ticket: () => void log.events.push('suite:suite_ticket'),
      tmp_auth_code: () => void log.events.push('suite:tmp_auth_code'),
    },
  }
  return {
    prefix: setup.prefix,
    client,
    suiteClient,
    callback,
    suiteCallback,
    jsapi: { allowedOrigins: setup.jsapi.allowedOrigins, jsApiList: setup.jsapi.jsApiList },
    robot: true,
    // The app's own URL is not known before it listens; the suite follows the redirect by hand.
    webLogin: {
      webLogin: createWebLogin(client, { appSecret: setup.app.appSecret }),
      redirectUri: `http://app.invalid${setup.prefix}/login`,
    },
  }
}

/**
 * An app started by the adapter under test.
 *
 * @example
 * ```ts
 * const served: ConformanceApp = { url: 'http://127.0.0.1:54321', close: () => server.close() }
 * ```
 */
export interface ConformanceApp {
  /** The server's origin, e.g. `http://127.0.0.1:54321` (the routes live under `setup.prefix`). */
  url: string
  close(): Promise<void>
  /**
   * For an app in another process that built its own options with `conformanceRoutesOptions`: what its
   * handlers observed. Default: the log of the options the suite passed in.
   */
  log?(): Promise<ConformanceLog>
}
