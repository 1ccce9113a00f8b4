import type { AddressInfo } from 'node:net'
import { createWebLogin } from '@dingtalk-kit/core'
import { defaultFixture, type Emulator, startEmulator } from '@dingtalk-kit/emulator'
import {
  createDingTalkClient,
  createSuiteClient,
  DingTalkApiError,
  type DingTalkClient,
  type DingTalkHono,
  dingtalk,
  drainServer,
  message,
  type SuiteClient,
} from '@dingtalk-kit/hono'
import type { DingTalkTelemetry } from '@dingtalk-kit/otel'
import { createStreamClient, type StreamClient } from '@dingtalk-kit/stream'
import { serve } from '@hono/node-server'
import { type Context, Hono } from 'hono'
import { getSignedCookie, setSignedCookie } from 'hono/cookie'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { loginRefusal } from './login-guard'
import { page } from './page'

/**
 * How DingTalk delivers the app's events: HTTP callbacks (`POST /dingtalk/callback`), Stream mode (a
 * WebSocket the app opens), or both while moving from one to the other — the same handlers, each event once.
 */
export type DingTalkMode = 'http' | 'stream' | 'both'

/** The DingTalk app (and optional ISV suite) the example serves. */
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

/** Everything the example is configured with; `configFromEnv` builds it from environment variables. */
export interface ExampleConfig {
  /** On close (SIGTERM): how long callbacks in flight may take to reply before connections are cut. Default 10 000 ms. */
  drainTimeoutMs?: number
  /** Default 3000; 0 picks a free port. */
  port?: number
  /** Default `127.0.0.1`. */
  host?: string
  /** Where DingTalk reaches this app (callback registration). Default `http://{host}:{port}`. */
  publicUrl?: string
  /** Page origins allowed to get a dd.config. Default: the public URL's origin. */
  allowedOrigins?: string[]
  /** Signs the session cookie. Default: a random secret (sessions end when the process does). */
  sessionSecret?: string
  /** Register (or update) the corp callback at start. Default: only with the bundled emulator, not in Stream mode. */
  registerCallback?: boolean
  /** How events arrive (default `http`). */
  mode?: DingTalkMode
  /** OpenTelemetry (`DINGTALK_OTEL`, see telemetry.ts): the clients, routes and Stream client are observed. */
  telemetry?: DingTalkTelemetry
  /** Without it, a bundled emulator is started and its fixture's credentials are used. */
  dingtalk?: DingTalkSettings
}

/** A directory entry kept up to date from contact events. */
export interface DirectoryEntry {
  userId: string
  name: string
  title: string
  deptIds: number[]
}

/** How an approval ended, as fetched when DingTalk pushed its `bpms_instance_change`. */
export interface ApprovalOutcome {
  processInstanceId: string
  title: string
  status: string
  result: string
  approved: boolean
}

/** The example app, ready to be served by any Hono host. */
export interface ExampleApp {
  app: Hono
  dingtalk: DingTalkHono
  client: DingTalkClient
  suiteClient: SuiteClient | undefined
  /** The Stream client (modes `stream` and `both`), on the routes' event pipeline; started by {@link startApp}. */
  stream: StreamClient | undefined
  directory: Map<string, DirectoryEntry>
  approvals: Map<string, ApprovalOutcome>
}

/** A started example: its URL, the emulator it runs against (when bundled), and how to stop it. */
export interface RunningExample extends ExampleApp {
  url: string
  /** Registers (or, when one exists, updates) `{url}/dingtalk/callback` with DingTalk, which checks it (check_url). */
  registerCallback(): Promise<void>
  emulator: Emulator | undefined
  close(): Promise<void>
}

interface Session {
  userId: string
  name: string
  corpId: string
  isAdmin: boolean
}

const COOKIE = 'dt_session'

function randomSecret(): string {
  const bytes = new Uint8Array(32)
  globalThis.crypto.getRandomValues(bytes)
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

/** Builds the example's Hono app: DingTalk routes under /dingtalk, the page, session login, directory, messages. */
export function createApp(
  settings: DingTalkSettings,
  options: {
    allowedOrigins: string[]
    sessionSecret: string
    secureCookie?: boolean
    /** Where browsers reach this app: the web login's redirect URL is `{publicUrl}/dingtalk/login`. */
    publicUrl?: string
    extra?: (app: Hono) => void
    mode?: DingTalkMode
    telemetry?: DingTalkTelemetry
  },
): ExampleApp {
  const base = settings.baseUrl ? { baseUrl: settings.baseUrl } : {}
  const client = createDingTalkClient(
    { appKey: settings.appKey, appSecret: settings.appSecret, corpId: settings.corpId },
    { ...base, ...(settings.agentId === undefined ? {} : { agentId: settings.agentId }) },
  )
  const suiteClient = settings.suite ? createSuiteClient(settings.suite, base) : undefined
  const directory = new Map<string, DirectoryEntry>()

  const { callbackToken: token, callbackAesKey: aesKey } = settings
  const sessionCookie = {
    httpOnly: true,
    sameSite: 'Lax',
    path: '/',
    secure: options.secureCookie ?? false,
    maxAge: 8 * 3600,
  } as const
  const dt = dingtalk({
    client,
    ...(suiteClient ? { suiteClient } : {}),
    ...(token && aesKey ? { callback: { token, aesKey } } : {}),
    jsapi: {
      allowedOrigins: options.allowedOrigins,
      jsApiList: ['biz.chat.pickConversation', 'biz.contact.choose', 'device.notification.alert'],
    },
    // GET /dingtalk/login: log a browser in with DingTalk outside DingTalk (QR code), when the app knows its URL.
    ...(options.publicUrl === undefined
      ? {}
      : {
          webLogin: {
            webLogin: createWebLogin(client, { appSecret: settings.appSecret }),
            redirectUri: `${options.publicUrl}/dingtalk/login`,
            onSignIn: async (user, _request, locals) => {
              const profile = await client.contacts.users.get(user.userId ?? '')
              const session: Session = {
                userId: profile.userId,
                name: profile.name,
                corpId: settings.corpId,
                isAdmin: profile.admin,
              }
              const c = locals as Context
              await setSignedCookie(c, COOKIE, JSON.stringify(session), options.sessionSecret, sessionCookie)
              return { status: 302, headers: { location: '/' }, body: '' }
            },
          },
        }),
  })
  const refresh = async (userIds: readonly string[]): Promise<void> => {
    for (const userId of userIds) {
      const user = await client.contacts.users.get(userId)
      directory.set(userId, { userId, name: user.name, title: user.title, deptIds: user.deptIdList })
    }
  }
  // On the routes' pipeline, which every transport feeds: the callback and, in Stream mode, the Stream client.
  // The suite callback also carries the contact events of customer corps: this directory (and the corp app's
  // client, which cannot read their users) is the own corp's. Fetching a customer's user with it would fail
  // every time, the callback would answer 503, and DingTalk would push the event again, up to 100 times.
  const own = (event: { CorpId?: string }): boolean =>
    event.CorpId === undefined || event.CorpId === settings.corpId
  dt.dingtalk.on('user_add_org', (event) => (own(event) ? refresh(event.UserId) : undefined))
  dt.dingtalk.on('user_modify_org', (event) => (own(event) ? refresh(event.UserId) : undefined))
  dt.dingtalk.on('user_leave_org', (event) => {
    if (!own(event)) return
    for (const userId of event.UserId) directory.delete(userId)
  })
  // An approval ended: DingTalk says so, the instance itself says how.
  const approvals = new Map<string, ApprovalOutcome>()
  dt.dingtalk.on('bpms_instance_change', async (event) => {
    if (!own(event) || (event.type !== 'finish' && event.type !== 'terminate')) return
    const instance = await client.approvals.get(event.processInstanceId)
    const { processInstanceId, title, status, result, approved } = instance
    approvals.set(processInstanceId, { processInstanceId, title, status, result, approved })
  })

  const app = new Hono()
  app.route('/dingtalk', dt)
  app.get('/', (c) => c.html(page({ corpId: settings.corpId })))

  // Free-login through the core's SSO route (code format, 40078/40029 → 401, corpId → 400/403, per-client
  // failure limit); login CSRF: JSON only, from an allowed page.
  app.post('/api/login', async (c) => {
    const refused = loginRefusal(c.req.header('origin'), c.req.header('content-type'), options.allowedOrigins)
    if (refused) return c.json({ error: refused.error }, refused.status)
    const body = await c.req.json<{ code?: unknown; corpId?: unknown }>().catch(() => undefined)
    const query: Record<string, string> = {}
    if (typeof body?.code === 'string') query.code = body.code
    if (typeof body?.corpId === 'string') query.corpId = body.corpId
    // clientAddress (Node): failed codes are limited per client before they reach DingTalk.
    const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming
    const clientAddress = incoming?.socket?.remoteAddress
    const identity = await dt.dingtalk.handle({
      method: 'GET',
      path: '/sso',
      query,
      ...(clientAddress === undefined ? {} : { clientAddress }),
    })
    if (!identity) return c.json({ error: 'not_found' }, 404)
    if (identity.status !== 200) {
      return c.body(identity.body, identity.status as ContentfulStatusCode, identity.headers)
    }
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
    await setSignedCookie(c, COOKIE, JSON.stringify(session), options.sessionSecret, sessionCookie)
    return c.json(session)
  })

  const session = async (c: Context): Promise<Session | undefined> => {
    const raw = await getSignedCookie(c, options.sessionSecret, COOKIE)
    return typeof raw === 'string' ? (JSON.parse(raw) as Session) : undefined
  }

  app.get('/api/me', async (c) => {
    const me = await session(c)
    return me ? c.json(me) : c.json({ error: 'not signed in' }, 401)
  })
  app.post('/api/logout', (c) => {
    c.header('set-cookie', `${COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax`)
    return c.body(null, 204)
  })

  app.get('/api/directory', (c) => c.json([...directory.values()]))

  app.get('/api/approvals/:id', (c) => {
    const outcome = approvals.get(c.req.param('id'))
    return outcome ? c.json(outcome) : c.json({ error: 'not finished (or unknown)' }, 404)
  })

  app.post('/api/messages', async (c) => {
    const me = await session(c)
    if (!me) return c.json({ error: 'not signed in' }, 401)
    const { cid, text } = await c.req.json<{ cid?: string; text?: string }>().catch(() => ({}) as never)
    if (!cid || !text) return c.json({ error: 'cid and text are required' }, 400)
    const { receivers } = await client.messages.sendToConversation({
      sender: me.userId,
      cid,
      message: message.text(text),
    })
    return c.json({ receivers })
  })

  app.get('/api/isv/corps/:corpId', async (c) => {
    if (!suiteClient) return c.json({ error: 'no ISV suite configured' }, 404)
    const corpId = c.req.param('corpId')
    if (!(await suiteClient.hasCorp(corpId))) return c.json({ corpId, authorized: false })
    const info = await suiteClient.getAuthInfo(corpId)
    return c.json({ corpId, authorized: true, info })
  })

  app.onError((error, c) => {
    console.error('request failed:', error instanceof Error ? error.message : error)
    return c.json({ error: 'internal error' }, 500)
  })
  options.extra?.(app)
  const stream =
    (options.mode ?? 'http') === 'http'
      ? undefined
      : createStreamClient({
          dispatcher: dt.dingtalk.dispatcher, // its client's AppKey/AppSecret connect
          ...(settings.apiBaseUrl ? { apiBaseUrl: settings.apiBaseUrl } : {}),
          ...(options.telemetry ? { hooks: options.telemetry.streamHooks } : {}),
        })
  options.telemetry?.add({ client, ...(suiteClient ? { suiteClient } : {}), routes: dt.dingtalk })
  return { app, dingtalk: dt, client, suiteClient, stream, directory, approvals }
}

const EMULATOR_CALLBACK = {
  token: 'hono-example-token',
  aesKey: 'HonoExample0AesKey0123456789abcdefghijklmno',
}

/** Starts the example on Node: with `config.dingtalk` against DingTalk, otherwise against a bundled emulator. */
export async function startApp(config: ExampleConfig = {}): Promise<RunningExample> {
  let emulator: Emulator | undefined
  let settings = config.dingtalk
  if (!settings) {
    emulator = await startEmulator({ suiteTicketIntervalMs: 0 })
    const org = defaultFixture.orgs[0]!
    const fixtureApp = org.apps![0]!
    const suite = defaultFixture.suites![0]!
    settings = {
      baseUrl: emulator.url,
      apiBaseUrl: emulator.url,
      appKey: fixtureApp.appKey,
      appSecret: fixtureApp.appSecret,
      corpId: org.corpId,
      agentId: fixtureApp.agentId,
      callbackToken: EMULATOR_CALLBACK.token,
      callbackAesKey: EMULATOR_CALLBACK.aesKey,
      suite: {
        suiteKey: suite.suiteKey,
        suiteSecret: suite.suiteSecret,
        token: suite.token!,
        aesKey: suite.aesKey!,
      },
    }
  }
  const host = config.host ?? '127.0.0.1'
  const dt = settings
  // Listen first (port 0 picks one), then build the app: its default allowed origin is its own URL.
  let example: ExampleApp | undefined
  let url = ''
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    // The env (@hono/node-server's incoming/outgoing) goes along: the routes read the client's address from it.
    const fetch = (request: Request, env: unknown): Response | Promise<Response> =>
      example ? example.app.fetch(request, env) : new Response('starting', { status: 503 })
    const s = serve({ fetch, port: config.port ?? 3000, hostname: host }, (info: AddressInfo) => {
      url = `http://${host}:${info.port}`
      resolve(s)
    })
  })
  const publicUrl = (config.publicUrl ?? url).replace(/\/+$/, '')
  const built = createApp(settings, {
    // The page is this app's own: its public origin, and the local names it is opened under in development.
    allowedOrigins: config.allowedOrigins ?? [
      ...new Set([new URL(publicUrl).origin, url, `http://localhost:${new URL(url).port}`]),
    ],
    sessionSecret: config.sessionSecret ?? randomSecret(),
    secureCookie: publicUrl.startsWith('https:'),
    publicUrl,
    ...(config.mode ? { mode: config.mode } : {}),
    ...(config.telemetry ? { telemetry: config.telemetry } : {}),
    extra: (app) => {
      // With the bundled emulator: mint free-login codes, which the DingTalk client gives a real page.
      const emu = emulator
      if (!emu) return
      app.get('/dev/auth-code', (c) =>
        c.json({
          code: emu.issueAuthCode(c.req.query('corpId') ?? dt.corpId, c.req.query('userId') ?? 'zhangsan'),
        }),
      )
    },
  })
  example = built

  if (emulator && settings.suite) {
    emulator.state.suites.get(settings.suite.suiteKey)!.callbackUrl = `${publicUrl}/dingtalk/suite/callback`
  }
  const registerCallback = async (): Promise<void> => {
    const { callbackToken: token, callbackAesKey: aesKey } = dt
    if (!token || !aesKey) throw new Error('Registering the callback needs its token and EncodingAESKey')
    const registration = {
      url: `${publicUrl}/dingtalk/callback`,
      token,
      aesKey,
      tags: ['user_add_org', 'user_modify_org', 'user_leave_org', 'bpms_instance_change', 'bpms_task_change'],
    }
    try {
      await built.client.callbacks.register(registration)
    } catch (error) {
      // §2.4 71006: a callback is already registered (a restart) → point it here.
      if (!(error instanceof DingTalkApiError) || error.errcode !== 71006) throw error
      await built.client.callbacks.update(registration)
    }
  }
  const close = async (): Promise<void> => {
    // Frames in flight finish and are ACKed before the socket closes.
    await built.stream?.close()
    await emulator?.idle()
    // Stop accepting, let the callbacks in flight reply (DingTalk re-pushes one cut off), then close.
    await drainServer(server, {
      idle: () => built.dingtalk.dingtalk.idle(),
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
  return { ...built, url: publicUrl, registerCallback, emulator, close }
}
