import { once } from 'node:events'
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { defaultFixture, type Emulator, generateAesKey, startEmulator } from '@dingtalk-kit/emulator'
import {
  createDingTalkClient,
  createSuiteClient,
  DingTalkApiError,
  type DingTalkClient,
  type DingTalkKoa,
  DingTalkRequestError,
  dingtalk,
  drainServer,
  memoryStore,
  message,
  type SuiteClient,
  type User,
} from '@dingtalk-kit/koa'
import type { DingTalkTelemetry } from '@dingtalk-kit/otel'
import { createStreamClient, type StreamClient } from '@dingtalk-kit/stream'
import { bodyParser } from '@koa/bodyparser'
import Router from '@koa/router'
import Koa, { type Context } from 'koa'
import { loginRefusal } from './login-guard'
import { registerRobot } from './robot'

/**
 * How DingTalk delivers the app's events: HTTP callbacks (`POST /dingtalk/callback`), Stream mode (a
 * WebSocket the app opens), or both while moving from one to the other — the same handlers, each event once.
 */
export type DingTalkMode = 'http' | 'stream' | 'both'

/** Credentials of the corp app and, optionally, of an ISV suite. */
export interface DingTalkSettings {
  /** Default `https://oapi.dingtalk.com`. */
  baseUrl?: string
  /** Where Stream connections are opened (default `https://api.dingtalk.com`). */
  apiBaseUrl?: string
  appKey: string
  appSecret: string
  corpId: string
  agentId?: number
  /** The callback's token and EncodingAESKey; without them (Stream mode only) no callback route. */
  callbackToken?: string
  callbackAesKey?: string
  suite?: { suiteKey: string; suiteSecret: string; token: string; aesKey: string }
}

/** How to run the example; every field is optional. */
export interface ExampleConfig {
  /** DingTalk credentials; without them a bundled emulator is started and its credentials are used. */
  dingtalk?: DingTalkSettings
  /** On close (SIGTERM): how long callbacks in flight may take to reply before connections are cut. Default 10 000 ms. */
  drainTimeoutMs?: number
  /** Default 3000 (0 = any free port). */
  port?: number
  /** Default `127.0.0.1`. */
  host?: string
  /** The URL DingTalk reaches this app at (callback registration); default the listening URL. */
  publicUrl?: string
  /** Page origins allowed to get a `dd.config` signature; default the public and listening origins. */
  allowedOrigins?: string[]
  /** Keys signing the session cookie; default a random one (sessions end with the process). */
  sessionKeys?: string[]
  /** Register the corp callback at start-up (default: only with the bundled emulator, not in Stream mode). */
  registerCallback?: boolean
  /** How events arrive (default `http`). */
  mode?: DingTalkMode
  /** OpenTelemetry (`DINGTALK_OTEL`, see telemetry.ts): the clients, routes and Stream client are observed. */
  telemetry?: DingTalkTelemetry
}

/** A directory entry, kept up to date from contact events. */
export type DirectoryEntry = Pick<User, 'userId' | 'name' | 'title' | 'deptIdList'>

/** What {@link createApp} builds. */
export interface ExampleApp {
  koa: Koa
  dt: DingTalkKoa
  client: DingTalkClient
  suiteClient: SuiteClient | undefined
  /** The Stream client (modes `stream` and `both`), on the routes' event pipeline; started by {@link startApp}. */
  stream: StreamClient | undefined
  /** The users seen through contact events, by userId. */
  directory: Map<string, DirectoryEntry>
}

/** A started example, from {@link startApp}. */
export interface RunningApp extends ExampleApp {
  url: string
  /** The bundled emulator, when no credentials were given. */
  emulator: Emulator | undefined
  settings: DingTalkSettings
  /** Registers `{publicUrl}/dingtalk/callback` for the contact events (DingTalk checks it with check_url). */
  registerCallback(): Promise<void>
  close(): Promise<void>
}

/** The contact events the directory follows. */
export const CONTACT_EVENTS = ['user_add_org', 'user_modify_org', 'user_leave_org'] as const

interface Session {
  userId: string
  name: string
  corpId: string
  isAdmin: boolean
}

const SESSION = 'dt_session'
const page = readFile(new URL('../public/index.html', import.meta.url), 'utf8')

function readSession(ctx: Context): Session | undefined {
  const raw = ctx.cookies.get(SESSION, { signed: true })
  if (!raw) return undefined
  try {
    return JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Session
  } catch {
    return undefined
  }
}

function refuse(ctx: Context, status: number, error: string): void {
  ctx.status = status
  ctx.body = { error }
}

function fail(ctx: Context, error: unknown): void {
  if (!(error instanceof DingTalkRequestError)) throw error
  ctx.status = 502
  ctx.body =
    error instanceof DingTalkApiError
      ? { error: 'dingtalk_error', errcode: error.errcode, requestId: error.requestId }
      : { error: 'dingtalk_unreachable', code: error.code }
}

/**
 * The Koa app: the DingTalk routes under `/dingtalk`, a directory kept from contact events, SSO into a
 * signed HttpOnly session cookie, a page showing its `dd.config`, and conversation messages.
 */
export function createApp(settings: DingTalkSettings, config: ExampleConfig = {}): ExampleApp {
  const baseUrl = settings.baseUrl ? { baseUrl: settings.baseUrl } : {}
  const client = createDingTalkClient(
    { appKey: settings.appKey, appSecret: settings.appSecret, corpId: settings.corpId },
    { ...baseUrl, ...(settings.agentId === undefined ? {} : { agentId: settings.agentId }) },
  )
  const suiteClient = settings.suite
    ? createSuiteClient(settings.suite, { ...baseUrl, store: memoryStore() })
    : undefined
  const { callbackToken: token, callbackAesKey: aesKey } = settings
  const dt = dingtalk({
    client,
    ...(suiteClient ? { suiteClient } : {}),
    ...(token && aesKey ? { callback: { token, aesKey } } : {}),
    jsapi: { allowedOrigins: config.allowedOrigins ?? [], jsApiList: ['biz.chat.pickConversation'] },
    // §14.1: the robot in HTTP mode posts to /dingtalk/robot; over Stream its messages come on the same pipeline.
    robot: true,
  })
  registerRobot(dt, client)
  // The routes' pipeline: events over Stream reach the same handlers, and one that comes both ways runs once.
  const mode = config.mode ?? 'http'
  const stream =
    mode === 'http'
      ? undefined
      : createStreamClient({
          dispatcher: dt.dingtalk.dispatcher,
          ...(settings.apiBaseUrl ? { apiBaseUrl: settings.apiBaseUrl } : {}),
          ...(config.telemetry ? { hooks: config.telemetry.streamHooks } : {}),
        })
  config.telemetry?.add({ client, ...(suiteClient ? { suiteClient } : {}), routes: dt.dingtalk })

  const directory = new Map<string, DirectoryEntry>()
  for (const type of CONTACT_EVENTS) {
    dt.dingtalk.on(type, async (event) => {
      // The suite callback also carries contact events of customer corps; this directory is the own corp's.
      if (event.CorpId !== settings.corpId) return
      for (const userId of event.UserId) {
        if (event.EventType === 'user_leave_org') {
          directory.delete(userId)
          continue
        }
        const { name, title, deptIdList } = await client.contacts.users.get(userId)
        directory.set(userId, { userId, name, title, deptIdList })
      }
    })
  }

  const api = new Router({ prefix: '/api' })
  api.post('/login', async (ctx) => {
    // Login CSRF: JSON only, from one of this app's pages.
    const refused = loginRefusal(
      ctx.get('origin') || undefined,
      ctx.get('content-type'),
      config.allowedOrigins ?? [],
    )
    if (refused) return refuse(ctx, refused.status, refused.error)
    const { code, corpId } = (ctx.request.body ?? {}) as { code?: unknown; corpId?: unknown }
    const query: Record<string, string> = typeof code === 'string' ? { code } : {}
    if (typeof corpId === 'string') query.corpId = corpId
    // clientAddress: failed codes are limited per client before they reach DingTalk.
    const identity = await dt.dingtalk.handle({ method: 'GET', path: '/sso', query, clientAddress: ctx.ip })
    if (!identity) return
    ctx.status = identity.status
    ctx.set(identity.headers)
    ctx.body = identity.body
    if (identity.status !== 200) return
    const user = JSON.parse(identity.body) as {
      userId: string
      name: string
      corpId: string
      isAdmin: boolean
    }
    const session: Session = {
      userId: user.userId,
      name: user.name,
      corpId: user.corpId,
      isAdmin: user.isAdmin,
    }
    const value = Buffer.from(JSON.stringify(session)).toString('base64url')
    ctx.cookies.set(SESSION, value, { signed: true, httpOnly: true, sameSite: 'lax', overwrite: true })
  })
  api.post('/logout', (ctx) => {
    ctx.cookies.set(SESSION, null, { signed: true })
    ctx.status = 204
  })
  api.get('/me', (ctx) => {
    const session = readSession(ctx)
    if (!session) return refuse(ctx, 401, 'not_signed_in')
    ctx.body = session
  })
  api.get('/directory', (ctx) => {
    ctx.body = [...directory.values()]
  })
  api.post('/messages', async (ctx) => {
    const session = readSession(ctx)
    if (!session) return refuse(ctx, 401, 'not_signed_in')
    const { cid, text } = (ctx.request.body ?? {}) as { cid?: unknown; text?: unknown }
    if (typeof cid !== 'string' || typeof text !== 'string' || !cid || !text) {
      return refuse(ctx, 400, 'cid_and_text_required')
    }
    try {
      ctx.body = await client.messages.sendToConversation({
        sender: session.userId,
        cid,
        message: message.text(text),
      })
    } catch (error) {
      fail(ctx, error)
    }
  })
  api.get('/isv/corps/:corpId', async (ctx) => {
    if (!suiteClient) return refuse(ctx, 404, 'no_suite')
    const { corpId } = ctx.params as { corpId: string }
    if (!(await suiteClient.hasCorp(corpId))) return refuse(ctx, 404, 'corp_not_authorized')
    try {
      const info = await suiteClient.getAuthInfo(corpId)
      ctx.body = { corpId, corpName: info.corp.corpName }
    } catch (error) {
      fail(ctx, error)
    }
  })
  api.get('/isv/corps/:corpId/users/:userId', async (ctx) => {
    if (!suiteClient) return refuse(ctx, 404, 'no_suite')
    const { corpId, userId } = ctx.params as { corpId: string; userId: string }
    try {
      const { name, title } = await suiteClient.forCorp(corpId).contacts.users.get(userId)
      ctx.body = { corpId, userId, name, title }
    } catch (error) {
      fail(ctx, error)
    }
  })

  const koa = new Koa()
  koa.keys = config.sessionKeys ?? [generateAesKey()]
  koa
    .use(dt.middleware())
    // JSON only: no form bodies (a cross-site form can post those without asking).
    .use(bodyParser({ enableTypes: ['json'] }))
    .use(api.routes())
    .use(api.allowedMethods())
    .use(async (ctx, next) => {
      if (ctx.method !== 'GET' || ctx.path !== '/') return next()
      ctx.type = 'html'
      ctx.body = await page
    })
  koa.on('error', reportError)
  return { koa, dt, client, suiteClient, stream, directory }
}

// What Node and the body parser say when the client went away mid-request.
const HANG_UPS = new Set([
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ERR_STREAM_PREMATURE_CLOSE',
  'HPE_INVALID_EOF_STATE',
])

/**
 * Koa's `error` event, instead of its default (a stack trace on stderr for each one): a client that hung up
 * mid-request is a debug line, an error shown to the client (4xx) is nothing, anything else is logged.
 */
function reportError(
  error: Error & { code?: string; status?: number; expose?: boolean },
  ctx?: Context,
): void {
  const gone =
    ctx?.req.destroyed === true ||
    HANG_UPS.has(error.code ?? '') ||
    /^(Parse Error|request aborted|aborted)$/.test(error.message)
  if (gone) {
    console.debug(
      `client went away: ${ctx?.method ?? '?'} ${ctx?.path ?? '?'} (${error.code ?? error.message})`,
    )
    return
  }
  if (error.status === 404 || error.expose === true) return
  console.error('request failed:', error)
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
      apiBaseUrl: emulator.url,
      appKey: app.appKey,
      appSecret: app.appSecret,
      corpId: org.corpId,
      agentId: app.agentId,
      callbackToken: 'koa-example-token',
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
  const settings = config.dingtalk ?? bundled!.settings
  const server = createServer()
  server.listen(config.port ?? 3000, config.host ?? '127.0.0.1')
  try {
    await once(server, 'listening')
  } catch (error) {
    await bundled?.emulator.close()
    throw error
  }
  const { port } = server.address() as AddressInfo
  const url = `http://${config.host ?? '127.0.0.1'}:${port}`
  const publicUrl = (config.publicUrl ?? url).replace(/\/+$/, '')
  const allowedOrigins = config.allowedOrigins ?? [
    ...new Set([new URL(publicUrl).origin, url, `http://localhost:${port}`]),
  ]
  const built = createApp(settings, { ...config, allowedOrigins })
  server.on('request', built.koa.callback())
  const emulator = bundled?.emulator
  const suiteState = settings.suite && emulator?.state.suites.get(settings.suite.suiteKey)
  if (suiteState) suiteState.callbackUrl = `${publicUrl}/dingtalk/suite/callback`

  const registerCallback = async (): Promise<void> => {
    const { callbackToken: token, callbackAesKey: aesKey } = settings
    if (!token || !aesKey) throw new Error('Registering the callback needs its token and EncodingAESKey')
    const registration = { tags: [...CONTACT_EVENTS], token, aesKey, url: `${publicUrl}/dingtalk/callback` }
    try {
      await built.client.callbacks.register(registration)
    } catch (error) {
      // §2.4: 71006 = a callback is already registered for this corp; point it here instead.
      if (!(error instanceof DingTalkApiError) || error.errcode !== 71006) throw error
      await built.client.callbacks.update(registration)
    }
  }
  const close = async (): Promise<void> => {
    // Frames in flight finish and are ACKed before the socket closes.
    await built.stream?.close()
    // Stop accepting, let the callbacks in flight reply (DingTalk re-pushes one cut off), then close.
    await drainServer(server, {
      idle: () => built.dt.dingtalk.idle(),
      timeoutMs: config.drainTimeoutMs ?? 10_000,
    })
    await emulator?.close()
  }
  try {
    if (config.registerCallback ?? (emulator !== undefined && config.mode !== 'stream'))
      await registerCallback()
    await built.stream?.start()
  } catch (error) {
    await close()
    throw error
  }
  return { ...built, url, emulator, settings, registerCallback, close }
}
