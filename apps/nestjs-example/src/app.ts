import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { defaultFixture, type Emulator, generateAesKey, startEmulator } from '@dingtalk-kit/emulator'
import {
  DingTalkApiError,
  DingTalkClient,
  DingTalkRoutes,
  DingTalkSuiteClient,
  drainServer,
  type SuiteClient,
} from '@dingtalk-kit/nestjs'
import type { INestApplication } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { ExpressAdapter } from '@nestjs/platform-express'
import { AppModule } from './app.module'
import { type DirectoryEntry, DirectoryService } from './directory.service'
import { PlainHttpErrors } from './http-errors'
import type { DingTalkSettings, ExampleConfig, ResolvedSettings } from './settings'

export type { DirectoryEntry } from './directory.service'
export type { DingTalkSettings, ExampleConfig } from './settings'

/** The contact events the directory follows. */
export const CONTACT_EVENTS = ['user_add_org', 'user_modify_org', 'user_leave_org'] as const

/** A started example, from {@link startApp}. */
export interface RunningApp {
  app: INestApplication
  url: string
  client: DingTalkClient
  suiteClient: SuiteClient | undefined
  /** The users seen through contact events, by userId. */
  directory: Map<string, DirectoryEntry>
  /** The bundled emulator, when no credentials were given. */
  emulator: Emulator | undefined
  settings: DingTalkSettings
  /** Registers `{publicUrl}/dingtalk/callback` for the contact events (DingTalk checks it with check_url). */
  registerCallback(): Promise<void>
  close(): Promise<void>
}

/**
 * Creates the Nest application (not listening): the DingTalk routes under `/dingtalk`, a directory kept from
 * contact events, SSO into a signed HttpOnly session cookie, a page showing its `dd.config`, conversation
 * messages and the ISV suite routes.
 *
 * @example
 * ```ts
 * const app = await createApp({ dingtalk, allowedOrigins: ['https://app.example.com'], sessionSecret, secureCookie: true })
 * await app.listen(3000)
 * ```
 */
export async function createApp(settings: ResolvedSettings): Promise<INestApplication> {
  const app = await NestFactory.create(AppModule.register(settings), new ExpressAdapter(), {
    logger: ['error', 'warn'],
    abortOnError: false,
    // The callback route then checks the exact bytes DingTalk sent (repeated keys are refused).
    rawBody: true,
  })
  // Nothing that names the framework, echoes the request or repeats the JSON parser's message.
  app.getHttpAdapter().getInstance().disable('x-powered-by')
  app.useGlobalFilters(new PlainHttpErrors())
  return app
}

async function bundledEmulator(): Promise<{ emulator: Emulator; settings: DingTalkSettings }> {
  const emulator = await startEmulator({ suiteTicketIntervalMs: 0 })
  const org = defaultFixture.orgs[0]!
  const app = org.apps![0]!
  const suite = defaultFixture.suites![0]!
  return {
    emulator,
    settings: {
      baseUrl: emulator.url,
      appKey: app.appKey,
      appSecret: app.appSecret,
      corpId: org.corpId,
      agentId: app.agentId,
      callbackToken: 'nest-example-token',
      callbackAesKey: generateAesKey(),
      suite: {
        suiteKey: suite.suiteKey,
        suiteSecret: suite.suiteSecret,
        token: suite.token,
        aesKey: suite.aesKey,
      },
    },
  }
}

/**
 * Starts the example: the bundled emulator when `config.dingtalk` is absent, the app on `config.port`.
 *
 * @example
 * ```ts
 * const running = await startApp({ port: 0 })
 * console.log(running.url, [...running.directory.keys()])
 * await running.close()
 * ```
 */
export async function startApp(config: ExampleConfig = {}): Promise<RunningApp> {
  const bundled = config.dingtalk ? undefined : await bundledEmulator()
  const dingtalk = config.dingtalk ?? bundled!.settings
  const emulator = bundled?.emulator
  // Listen first: the page origins allowed to get a dd.config depend on the port.
  const server = createServer()
  server.listen(config.port ?? 3000, config.host ?? '127.0.0.1')
  try {
    await once(server, 'listening')
  } catch (error) {
    await emulator?.close()
    throw error
  }
  const { port } = server.address() as AddressInfo
  const url = `http://${config.host ?? '127.0.0.1'}:${port}`
  const publicUrl = (config.publicUrl ?? url).replace(/\/+$/, '')
  const app = await createApp({
    dingtalk,
    allowedOrigins: config.allowedOrigins ?? [
      ...new Set([new URL(publicUrl).origin, url, `http://localhost:${port}`]),
    ],
    sessionSecret: config.sessionSecret ?? randomBytes(32).toString('base64url'),
    secureCookie: publicUrl.startsWith('https:'),
  })
  await app.init()
  server.on('request', app.getHttpAdapter().getInstance())
  const suiteState = dingtalk.suite && emulator?.state.suites.get(dingtalk.suite.suiteKey)
  if (suiteState) suiteState.callbackUrl = `${publicUrl}/dingtalk/suite/callback`

  const client = app.get<DingTalkClient>(DingTalkClient)
  const registerCallback = async (): Promise<void> => {
    const registration = {
      tags: [...CONTACT_EVENTS],
      token: dingtalk.callbackToken,
      aesKey: dingtalk.callbackAesKey,
      url: `${publicUrl}/dingtalk/callback`,
    }
    try {
      await client.callbacks.register(registration)
    } catch (error) {
      // §2.4: 71006 = a callback is already registered for this corp; point it here instead.
      if (!(error instanceof DingTalkApiError) || error.errcode !== 71006) throw error
      await client.callbacks.update(registration)
    }
  }
  const routes = app.get<DingTalkRoutes>(DingTalkRoutes)
  const suiteClient = app.get<SuiteClient | undefined>(DingTalkSuiteClient)
  config.telemetry?.add({ client, ...(suiteClient ? { suiteClient } : {}), routes })
  const close = async (): Promise<void> => {
    // Stop accepting, let the callbacks in flight reply (DingTalk re-pushes one cut off), then close.
    await drainServer(server, {
      idle: () => Promise.all([routes.callback?.idle(), routes.suiteCallback?.idle()]),
      timeoutMs: config.drainTimeoutMs ?? 10_000,
    })
    await app.close()
    await emulator?.close()
  }
  const running: RunningApp = {
    app,
    url,
    client,
    suiteClient,
    directory: app.get(DirectoryService).entries,
    emulator,
    settings: dingtalk,
    registerCallback,
    close,
  }
  if (config.registerCallback ?? emulator !== undefined) {
    try {
      await registerCallback()
    } catch (error) {
      await close()
      throw error
    }
  }
  return running
}
