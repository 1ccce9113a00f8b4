import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type ApprovalsController, createApprovalsController } from './approvals'
import {
  ApiError,
  type Ctx,
  type Internals,
  ipAllowed,
  type Payload,
  RawResponse,
  type RouteDef,
  type Routes,
  randomId,
  str,
} from './context'
import { type Fixture, loadFixture } from './fixture'
import type { PushResult } from './pusher'
import { PushManager, type PushSettings, TMP_AUTH_CODE_TTL_MS } from './pushes'
import { authRoutes, issueCode } from './routes/auth'
import { callbackRoutes } from './routes/callbacks'
import { contactRoutes } from './routes/contacts'
import { isvRoutes } from './routes/isv'
import { mediaRoutes } from './routes/media'
import { messageRoutes } from './routes/messages'
import { officeRoutes } from './routes/office'
import { createWebLoginController, type WebLoginController } from './routes/sns'
import {
  buildState,
  type EmulatorState,
  grantAuthorization,
  type PushRecord,
  type TokenRecord,
} from './state'
import { STREAM_OPEN_PATH, StreamGateway } from './stream/gateway'
import type { StreamEmulator, StreamSettings } from './stream/types'

/** A fault to inject into the emulator's answers. */
export type FaultKind = 'latency' | 'http5xx' | 'truncated' | 'nonJson' | 'reset' | 'punish' | 'busy'

/**
 * What {@link Emulator.faults}`.inject` takes.
 *
 * @example
 * ```ts
 * emu.faults.inject({ route: '/gettoken', kind: 'http5xx', status: 503, times: 2 })
 * ```
 */
export interface FaultSpec {
  /** Path the fault applies to, e.g. `/gettoken`; every path when absent. */
  route?: string
  /**
   * `latency` delays the answer by `ms`; `http5xx` answers HTTP `status` (default 502) with an HTML page;
   * `truncated` cuts the JSON answer in half (the request is still processed); `nonJson` answers an HTML
   * page with HTTP 200; `reset` destroys the connection; `punish` answers §10's rate-limit page
   * `{"status":1111,"wait":5,"punish":"deny",…}`; `busy` answers errcode -1 (系统繁忙).
   */
  kind: FaultKind
  /** How many requests the fault hits (default 1; `Infinity` for every request). */
  times?: number
  /** Delay for `latency` (default 100 ms). */
  ms?: number
  /** HTTP status for `http5xx` (default 502). */
  status?: number
}

/**
 * Controls injected faults.
 *
 * @example
 * ```ts
 * emu.faults.inject({ kind: 'busy', times: Infinity })
 * emu.faults.clear()
 * ```
 */
export interface FaultController {
  inject(spec: FaultSpec): void
  clear(): void
  /** Faults still armed, with the hits they have left. */
  list(): FaultSpec[]
}

/**
 * A per-app rate limit; requests above `limit` per `windowMs` get `errcode`.
 *
 * @example
 * ```ts
 * await startEmulator({ rateLimits: [{ route: '/get_jsapi_ticket', limit: 1, errcode: 45009 }] })
 * ```
 */
export interface RateLimitRule {
  /** Path the limit applies to (counted per path); all paths together when absent. */
  route?: string
  limit: number
  /** Window length in ms of the emulator clock (default 1000). */
  windowMs?: number
  /** 90002 (default) or 45009 (§9.2, §10). */
  errcode?: number
}

/**
 * One request as the emulator saw it. Secrets are replaced by `***`.
 *
 * @example
 * ```ts
 * expect(emu.log.at(-1)).toMatchObject({ path: '/gettoken', query: { appsecret: '***' }, errcode: 0 })
 * ```
 */
export interface RequestLogEntry {
  time: number
  method: string
  path: string
  query: Record<string, string>
  body: unknown
  /** The answer's errcode, when it was an envelope. */
  errcode?: number
  /** HTTP status; 0 when the connection was reset. */
  status: number
  /** The injected fault that shaped the answer, if any. */
  fault?: FaultKind
  ip: string
}

/**
 * Options of {@link startEmulator}.
 *
 * @example
 * ```ts
 * let t = Date.now()
 * const emu = await startEmulator({ now: () => t, suiteTicketIntervalMs: 0, push: { retries: 0 } })
 * ```
 */
export interface EmulatorOptions {
  /** The initial state: an object or the path of a JSON file (default {@link defaultFixture}). */
  fixture?: Fixture | string
  /** Default 0 (a free port). */
  port?: number
  /** Default `127.0.0.1`. */
  host?: string
  /** The emulator's clock in ms (tokens, codes, tickets, rate limits). Default `Date.now`. */
  now?: () => number
  /** Lifetime of access tokens, suite tokens and jsapi tickets (default 7200, §4.2). */
  tokenTtlSeconds?: number
  /** How often a suite_ticket is pushed to each suite (default 20 minutes; 0 = never, §2.3). */
  suiteTicketIntervalMs?: number
  /** Caller IPs allowed for every app without its own `ipWhitelist` (60020 otherwise). */
  ipWhitelist?: string[]
  /** Per-app rate limits (90002/45009). */
  rateLimits?: RateLimitRule[]
  /** Largest JSON body accepted (default 1 MiB); larger bodies get errcode 40035. */
  maxBodyBytes?: number
  /** How callbacks are delivered. */
  push?: PushSettings
  /** The Stream gateway's timing and faults (§13). */
  stream?: StreamSettings
}

/**
 * Which access tokens {@link Emulator.expireTokens} expires.
 *
 * @example
 * ```ts
 * emu.expireTokens({ kind: 'corp', appKey: 'dingemuappkey0001' })
 * emu.expireTokens((t) => t.suiteKey !== undefined)
 * ```
 */
export type TokenFilter =
  | { kind?: TokenRecord['kind']; corpId?: string; appKey?: string; suiteKey?: string }
  | ((token: TokenRecord) => boolean)

/**
 * What {@link Emulator.authorize} did.
 *
 * @example
 * ```ts
 * const { authCode, push } = await emu.authorize('dingemucustomer0000001', 'suiteemu0000000001')
 * console.log(push?.result?.ok)
 * ```
 */
export interface AuthorizeResult {
  /** The tmp_auth_code (legacy suites). */
  authCode?: string
  /** The permanent code (SYNC_HTTP suites receive it in the push). */
  permanentCode?: string
  /** The push, when the suite has a callback URL; its `result` is set. */
  push?: PushRecord
}

/**
 * A running emulator, from {@link startEmulator}.
 *
 * @example
 * ```ts
 * const emu = await startEmulator()
 * const code = emu.issueAuthCode('dingemu5f0c1a2b3c4d5e6f', 'zhangsan')
 * // … exercise your app against emu.url …
 * expect(emu.count('/gettoken')).toBe(1)
 * await emu.close()
 * ```
 */
export interface Emulator {
  /** Base URL, e.g. `http://127.0.0.1:53211`; use it where you would use `https://oapi.dingtalk.com`. */
  readonly url: string
  readonly state: EmulatorState
  readonly log: RequestLogEntry[]
  readonly faults: FaultController
  /** Stops the server, every timer and every push in flight. */
  close(): Promise<void>
  /** How many requests reached `path` (faulted ones included). */
  count(path: string): number
  /** Expires matching access tokens now (42001 afterwards); returns how many. */
  expireTokens(filter?: TokenFilter): number
  /** Forgets a token (40014 afterwards); returns whether it existed. */
  invalidateToken(token: string): boolean
  /** Whether a jsapi ticket is the newest of its owner and not expired (§3.1). */
  isTicketValid(ticket: string): boolean
  /** A free-login code, as `dd.runtime.permission.requestAuthCode` gives (§5.1). */
  issueAuthCode(corpId: string, userid: string): string
  /** An admin SSO code, as the admin console's redirect carries (§5.2). */
  issueSsoCode(corpId: string, userid: string): string
  /** A corp authorises a suite: a tmp_auth_code (or, for SYNC_HTTP suites, the permanent code) is pushed. */
  authorize(corpId: string, suiteKey: string): Promise<AuthorizeResult>
  /** Pushes a fresh suite_ticket now to one suite (or all); resolves with the pushes' outcomes. */
  pushSuiteTicket(suiteKey?: string): Promise<PushResult[]>
  /** Pushes any event to a corp's registered callback (when the tag is registered). */
  emitCorpEvent(
    corpId: string,
    eventType: string,
    fields?: Record<string, unknown>,
  ): Promise<PushResult | undefined>
  /** Resolves once no callback push is in flight. */
  idle(): Promise<void>
  /** #19: act as an approver in the approval app (pushes bpms_task_change / bpms_instance_change). */
  readonly approvals: ApprovalsController
  /** #19: the web login's browser side (codes without the login page). */
  readonly webLogin: WebLoginController
  /** Stream mode (§13): the gateway's connections, pushes, faults and introspection. */
  readonly stream: StreamEmulator
}

const SECRET_QUERY = new Set([
  'access_token',
  'suite_access_token',
  'corpsecret',
  'appsecret',
  'signature',
  'suiteTicket',
  'code',
])
const SECRET_BODY = new Set([
  'suite_secret',
  'suite_ticket',
  'permanent_code',
  'tmp_auth_code',
  'aes_key',
  'token',
  'code',
  'appsecret',
  'corpsecret',
])
const JSON_TYPE = 'application/json;charset=UTF-8'
const HARD_BODY_CAP = 64 * 1024 * 1024

function redactQuery(params: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [key, value] of params) out[key] = SECRET_QUERY.has(key) ? '***' : value
  return out
}

function redactBody(body: unknown): unknown {
  if (Array.isArray(body)) return body.map(redactBody)
  if (body && typeof body === 'object') {
    const out: Record<string, unknown> = {}
    for (const [key, value] of Object.entries(body))
      out[key] = SECRET_BODY.has(key) ? '***' : redactBody(value)
    return out
  }
  return body
}

// §4.1: `\uXXXX` escapes are refused with 40033; an escaped backslash before `u` is plain text.
const UNICODE_ESCAPE = /(?<!\\)(?:\\\\)*\\u[0-9a-fA-F]{4}/

interface ArmedFault extends FaultSpec {
  remaining: number
}

interface BodyRead {
  bytes: Buffer
  size: number
  tooLarge: boolean
}

function readBody(req: IncomingMessage, limit: number): Promise<BodyRead> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > HARD_BODY_CAP) {
        req.destroy()
        reject(new Error('body over the hard cap'))
        return
      }
      if (size <= limit) chunks.push(chunk)
    })
    req.on('end', () => resolve({ bytes: Buffer.concat(chunks), size, tooLarge: size > limit }))
    req.on('error', reject)
  })
}

function sleep(ms: number, timers: Set<NodeJS.Timeout>): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      timers.delete(timer)
      resolve()
    }, ms)
    timers.add(timer)
  })
}

/**
 * Starts a local DingTalk (`oapi.dingtalk.com` + its callback pusher) on a free loopback port.
 *
 * @example
 * ```ts
 * const emu = await startEmulator()
 * const app = defaultFixture.orgs[0]!.apps![0]!
 * const res = await fetch(`${emu.url}/gettoken?appkey=${app.appKey}&appsecret=${app.appSecret}`)
 * console.log(await res.json()) // { errcode: 0, errmsg: 'ok', access_token: '…', expires_in: 7200 }
 * await emu.close()
 * ```
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const now = options.now ?? Date.now
  const state = buildState(loadFixture(options.fixture), now())
  const tokenTtlMs = (options.tokenTtlSeconds ?? 7200) * 1000
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024
  const log: RequestLogEntry[] = []
  const armed: ArmedFault[] = []
  const timers = new Set<NodeJS.Timeout>()
  const rateCounters = new Map<string, number>()
  const pushes = new PushManager(state, now, options.push ?? {})
  // Stream mode (stream/): corp events go over Stream to apps that take them there.
  const stream = new StreamGateway(state, now, options.stream)
  pushes.streamRoute = (corpId, event, receiveId) => stream.routeCorpEvent(corpId, event, receiveId)
  const routes: Routes = {
    ...authRoutes,
    ...contactRoutes,
    ...mediaRoutes,
    ...messageRoutes,
    ...callbackRoutes,
    ...isvRoutes,
    ...officeRoutes, // #19
  }

  const internals: Internals = {
    state,
    now,
    tokenTtlMs,
    issueToken(fields) {
      const t = now()
      for (const existing of state.tokens.values()) {
        if (existing.owner === fields.owner && existing.expiresAt > t) {
          // §4.2: fetching again within validity returns the same token and extends it.
          existing.expiresAt = t + tokenTtlMs
          return existing
        }
      }
      const record: TokenRecord = { ...fields, token: randomId(16), issuedAt: t, expiresAt: t + tokenTtlMs }
      state.tokens.set(record.token, record)
      return record
    },
    emitCorpEvent(corpId, eventType, fields) {
      pushes.corpEvent(corpId, eventType, fields)
    },
    checkCallbackUrl(url, token, aesKey, receiveId) {
      return pushes.checkUrl(url, token, aesKey, receiveId)
    },
    newTmpAuthCode(corpId, suiteKey) {
      const code = randomId(16)
      state.tmpAuthCodes.set(code, { code, corpId, suiteKey, expiresAt: now() + TMP_AUTH_CODE_TTL_MS })
      return code
    },
  }

  function takeFaults(path: string): { latencyMs: number; action?: ArmedFault } {
    let latencyMs = 0
    let action: ArmedFault | undefined
    for (const fault of armed) {
      if (fault.remaining <= 0 || (fault.route !== undefined && fault.route !== path)) continue
      if (fault.kind === 'latency') {
        latencyMs += fault.ms ?? 100
        fault.remaining--
      } else if (!action) {
        action = fault
        fault.remaining--
      }
    }
    for (let i = armed.length - 1; i >= 0; i--) if (armed[i]!.remaining <= 0) armed.splice(i, 1)
    return { latencyMs, ...(action ? { action } : {}) }
  }

  function tokenError(code: number, msg: string, topapi: boolean): ApiError {
    if (!topapi) return new ApiError(code, msg)
    // §9.1/§4.5: topapi reports token failures as 88 with the legacy code in sub_code.
    const sub = code === 41001 ? 40000 : code
    return new ApiError(88, `ding talk error[subcode=${sub},submsg=${msg}]`, {
      sub_code: String(sub),
      sub_msg: msg,
    })
  }

  function authenticate(route: RouteDef, query: URLSearchParams, topapi: boolean): TokenRecord | undefined {
    if (route.auth === 'none') return undefined
    const suite = route.auth === 'suite'
    const param = suite ? 'suite_access_token' : 'access_token'
    const value = query.get(param)
    if (!value) throw tokenError(41001, `缺少${param}参数`, topapi)
    const record = state.tokens.get(value)
    const kind = route.auth === 'access' ? 'corp' : route.auth
    if (!record || record.kind !== kind) {
      throw tokenError(suite ? 40082 : 40014, suite ? '不合法的suiteToken' : '不合法的access_token', topapi)
    }
    if (record.expiresAt <= now()) {
      throw tokenError(suite ? 42009 : 42001, suite ? 'suitetoken失效' : 'access_token超时', topapi)
    }
    return record
  }

  function appOf(ctx: Ctx): { id: string; whitelist?: string[] } {
    const token = ctx.token
    if (token?.suiteKey && token.kind === 'corp' && token.corpId) {
      const list = state.orgs.get(token.corpId)?.isvIpWhitelist.get(token.suiteKey)
      return { id: token.suiteKey, ...(list ? { whitelist: list } : {}) }
    }
    if (token?.suiteKey) return { id: token.suiteKey }
    const appKey = token?.appKey ?? str(ctx.input, 'appkey')
    if (appKey) {
      for (const org of state.orgs.values()) {
        const app = org.apps.get(appKey)
        if (app) return { id: appKey, ...(app.ipWhitelist ? { whitelist: app.ipWhitelist } : {}) }
      }
      return { id: appKey }
    }
    const corpId = token?.corpId ?? str(ctx.input, 'corpid')
    const suiteKey = str(ctx.input, 'suite_key') ?? str(ctx.input, 'accessKey')
    return { id: corpId ?? suiteKey ?? 'anonymous' }
  }

  function guard(ctx: Ctx): void {
    const app = appOf(ctx)
    const whitelist = app.whitelist ?? options.ipWhitelist
    if (whitelist && !ipAllowed(ctx.remoteIp, whitelist)) {
      throw new ApiError(60020, `访问ip不在白名单之中, request ip=${ctx.remoteIp}`)
    }
    const t = now()
    for (const [index, rule] of (options.rateLimits ?? []).entries()) {
      if (rule.route !== undefined && rule.route !== ctx.path) continue
      const windowMs = rule.windowMs ?? 1000
      const key = `${index}:${app.id}:${Math.floor(t / windowMs)}`
      const used = (rateCounters.get(key) ?? 0) + 1
      rateCounters.set(key, used)
      if (used > rule.limit) {
        const errcode = rule.errcode ?? 90002
        throw new ApiError(errcode, errcode === 45009 ? '接口调用超过限制' : '服务器当前接口调用被暂时禁用')
      }
    }
  }

  async function parseInput(
    route: RouteDef,
    req: IncomingMessage,
    query: URLSearchParams,
    body: BodyRead,
    entry: RequestLogEntry,
    topapi: boolean,
  ): Promise<{ input: Record<string, unknown>; form?: FormData }> {
    if (route.method === 'GET') return { input: Object.fromEntries(query) }
    const contentType = String(req.headers['content-type'] ?? '').toLowerCase()
    if (body.tooLarge) {
      entry.body = `<${body.size} bytes>`
      if (route.body === 'multipart') throw new ApiError(45001, '多媒体文件大小超过限制')
      throw new ApiError(
        40035,
        `不合法的参数: request body larger than ${route.maxBodyBytes ?? maxBodyBytes} bytes`,
      )
    }
    if (route.body === 'multipart') {
      if (!contentType.startsWith('multipart/form-data')) throw new ApiError(43008, '参数需要multipart类型')
      let form: FormData
      try {
        form = await new Request('http://emulator/', {
          method: 'POST',
          headers: { 'content-type': contentType },
          body: new Uint8Array(body.bytes),
        }).formData()
      } catch {
        throw new ApiError(43008, '参数需要multipart类型: the multipart body cannot be parsed')
      }
      const fields: Record<string, unknown> = {}
      for (const [key, value] of form) {
        fields[key] = typeof value === 'string' ? value : { filename: value.name, size: value.size }
      }
      entry.body = redactBody(fields)
      return { input: Object.fromEntries(query), form }
    }
    const text = body.bytes.toString('utf8')
    if (topapi && contentType.startsWith('application/x-www-form-urlencoded')) {
      // §4.1: topapi endpoints also take form bodies.
      const input = Object.fromEntries(new URLSearchParams(text))
      entry.body = redactBody(input)
      return { input }
    }
    if (!contentType.includes('application/json')) {
      entry.body = `<${body.size} bytes of ${contentType || 'no content type'}>`
      throw new ApiError(
        43004,
        `无效的HTTP HEADER Content-Type: ${contentType || 'none'}, need application/json`,
      )
    }
    if (text.trim().length === 0) throw new ApiError(44002, 'POST的数据包为空')
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      entry.body = `<${body.size} bytes of malformed JSON>`
      throw new ApiError(47001, '解析JSON/XML内容错误')
    }
    entry.body = redactBody(parsed)
    if (UNICODE_ESCAPE.test(text)) throw new ApiError(40033, '不合法的请求字符，不能包含\\uxxxx格式的字符')
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new ApiError(47001, '解析JSON/XML内容错误: the body must be a JSON object')
    }
    return { input: parsed as Record<string, unknown> }
  }

  function send(
    res: ServerResponse,
    entry: RequestLogEntry,
    status: number,
    headers: Record<string, string>,
    body: Uint8Array | string,
  ): void {
    entry.status = status
    const bytes = typeof body === 'string' ? Buffer.from(body) : body
    res.writeHead(status, { ...headers, 'Content-Length': String(bytes.byteLength) })
    res.end(bytes)
  }

  function sendEnvelope(
    res: ServerResponse,
    entry: RequestLogEntry,
    topapi: boolean,
    payload: Payload,
    truncated: boolean,
  ): void {
    const envelope: Payload = { errcode: 0, errmsg: 'ok', ...payload }
    if (topapi) envelope.request_id = randomId(6)
    entry.errcode = typeof envelope.errcode === 'number' ? envelope.errcode : undefined
    let text = JSON.stringify(envelope)
    if (truncated) text = text.slice(0, Math.max(1, Math.floor(text.length / 2)))
    send(res, entry, 200, { 'Content-Type': JSON_TYPE }, text)
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator')
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname
    const topapi = path.startsWith('/topapi/')
    const method = req.method ?? 'GET'
    const entry: RequestLogEntry = {
      time: now(),
      method,
      path,
      query: redactQuery(url.searchParams),
      body: undefined,
      status: 0,
      ip: req.socket.remoteAddress ?? '',
    }
    log.push(entry)
    const fault = takeFaults(path)
    if (fault.action?.kind === 'reset') {
      entry.fault = 'reset'
      req.socket.destroy()
      return
    }
    const route = routes[path]
    const body = await readBody(req, route?.maxBodyBytes ?? maxBodyBytes)
    if (fault.latencyMs > 0) {
      entry.fault = 'latency'
      await sleep(fault.latencyMs, timers)
    }
    const action = fault.action
    if (action) entry.fault = action.kind
    if (action?.kind === 'http5xx') {
      const status = action.status ?? 502
      const html = `<html><head><title>${status}</title></head><body><center><h1>${status} Bad Gateway</h1></center><hr><center>Tengine</center></body></html>`
      return send(res, entry, status, { 'Content-Type': 'text/html' }, html)
    }
    if (action?.kind === 'nonJson') {
      const html =
        '<!DOCTYPE html><html><head><title>钉钉</title></head><body>系统繁忙，请稍后再试</body></html>'
      return send(res, entry, 200, { 'Content-Type': 'text/html;charset=UTF-8' }, html)
    }
    if (action?.kind === 'punish') {
      // §10: the IP ban page carries no errcode at all.
      const page = { status: 1111, wait: 5, source: 'x5', punish: 'deny', uuid: randomId(8) }
      return send(res, entry, 200, { 'Content-Type': JSON_TYPE }, JSON.stringify(page))
    }
    if (path === STREAM_OPEN_PATH) {
      const answer = await stream.open(method, String(req.headers.accept ?? ''), body.bytes.toString('utf8'))
      entry.body = answer.logBody
      return send(res, entry, answer.status, { 'Content-Type': answer.contentType }, answer.body)
    }
    const truncated = action?.kind === 'truncated'
    try {
      if (action?.kind === 'busy') throw new ApiError(-1, '系统繁忙')
      if (!route) {
        if (topapi) throw new ApiError(22, `Invalid method[${path}]`, { sub_msg: `不合法ApiName ${path}` })
        throw new ApiError(404, `请求的URI地址不存在: ${path}`)
      }
      if (method !== route.method) {
        throw route.method === 'GET'
          ? new ApiError(43001, '需要GET请求')
          : new ApiError(43002, '需要POST请求')
      }
      const token = authenticate(route, url.searchParams, topapi)
      const parsed = await parseInput(route, req, url.searchParams, body, entry, topapi)
      const ctx: Ctx = {
        emu: internals,
        method,
        path,
        query: url.searchParams,
        headers: req.headers,
        input: parsed.input,
        ...(parsed.form ? { form: parsed.form } : {}),
        ...(token ? { token } : {}),
        remoteIp: entry.ip,
        topapi,
      }
      guard(ctx)
      const result = await route.handle(ctx)
      if (result instanceof RawResponse) return send(res, entry, result.status, result.headers, result.body)
      sendEnvelope(res, entry, topapi, result, truncated)
    } catch (error) {
      if (error instanceof ApiError) {
        sendEnvelope(
          res,
          entry,
          topapi,
          { errcode: error.errcode, errmsg: error.errmsg, ...error.extra },
          truncated,
        )
        return
      }
      sendEnvelope(
        res,
        entry,
        topapi,
        { errcode: -1, errmsg: `系统繁忙 (emulator bug: ${(error as Error).message})` },
        truncated,
      )
    }
  }

  const server = createServer((req, res) => {
    req.on('error', () => {})
    res.on('error', () => {})
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end()
      else res.destroy()
    })
  })
  server.on('clientError', (_error, socket) => socket.destroy())
  server.on('upgrade', stream.upgrade)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address() as AddressInfo
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  stream.listenOn(`http://${host}:${address.port}`)

  const intervalMs = options.suiteTicketIntervalMs ?? 20 * 60 * 1000
  let ticketTimer: NodeJS.Timeout | undefined
  if (intervalMs > 0) {
    ticketTimer = setInterval(() => {
      for (const suite of state.suites.values()) pushes.suiteTicket(suite)
    }, intervalMs)
    ticketTimer.unref()
  }

  let closed: Promise<void> | undefined
  const emulator: Emulator = {
    url: `http://${host}:${address.port}`,
    state,
    log,
    faults: {
      inject(spec) {
        if (spec.times !== undefined && !(spec.times > 0)) throw new TypeError('times must be positive')
        armed.push({ ...spec, remaining: spec.times ?? 1 })
      },
      clear() {
        armed.length = 0
      },
      list() {
        return armed.map(({ remaining, ...spec }) => ({ ...spec, times: remaining }))
      },
    },
    close() {
      closed ??= (async () => {
        if (ticketTimer) clearInterval(ticketTimer)
        for (const timer of timers) clearTimeout(timer)
        timers.clear()
        await pushes.close()
        await stream.close()
        await new Promise<void>((resolve) => {
          server.close(() => resolve())
          server.closeAllConnections()
        })
      })()
      return closed
    },
    count(path) {
      const wanted = path.startsWith('/') ? path : `/${path}`
      return log.filter((e) => e.path === wanted).length
    },
    expireTokens(filter) {
      const past = now() - 1
      let n = 0
      for (const token of state.tokens.values()) {
        const match =
          typeof filter === 'function'
            ? filter(token)
            : (filter?.kind === undefined || filter.kind === token.kind) &&
              (filter?.corpId === undefined || filter.corpId === token.corpId) &&
              (filter?.appKey === undefined || filter.appKey === token.appKey) &&
              (filter?.suiteKey === undefined || filter.suiteKey === token.suiteKey)
        if (match && token.expiresAt > past) {
          token.expiresAt = past
          n++
        }
      }
      return n
    },
    invalidateToken(token) {
      return state.tokens.delete(token)
    },
    isTicketValid(ticket) {
      const record = state.tickets.get(ticket)
      return !!record && state.currentTickets.get(record.owner) === ticket && record.expiresAt > now()
    },
    issueAuthCode(corpId, userid) {
      return issueCode(internals, 'app', corpId, userid)
    },
    issueSsoCode(corpId, userid) {
      return issueCode(internals, 'sso', corpId, userid)
    },
    async authorize(corpId, suiteKey) {
      const suite = state.suites.get(suiteKey)
      if (!suite) throw new Error(`unknown suiteKey ${suiteKey}`)
      const org = state.orgs.get(corpId)
      if (!org) throw new Error(`unknown corpId ${corpId}`)
      if (suite.pushStyle === 'syncHttp') {
        const auth = grantAuthorization(state, corpId, suiteKey)
        const push = pushes.orgSuiteAuth(suite, auth)
        if (push) await push.done
        return { permanentCode: auth.permanentCode, ...(push ? { push } : {}) }
      }
      const authCode = internals.newTmpAuthCode(corpId, suiteKey)
      const push = pushes.tmpAuthCode(suite, authCode)
      if (push) await push.done
      return { authCode, ...(push ? { push } : {}) }
    },
    async pushSuiteTicket(suiteKey) {
      const suites = suiteKey === undefined ? [...state.suites.values()] : [state.suites.get(suiteKey)]
      const results: PushResult[] = []
      for (const suite of suites) {
        if (!suite) throw new Error(`unknown suiteKey ${suiteKey}`)
        const push = pushes.suiteTicket(suite)
        if (push) results.push(await push.done)
      }
      return results
    },
    async emitCorpEvent(corpId, eventType, fields = {}) {
      const push = pushes.corpEvent(corpId, eventType, fields)
      return push ? await push.done : undefined
    },
    idle() {
      return pushes.idle()
    },
    approvals: createApprovalsController(internals), // #19
    webLogin: createWebLoginController(internals), // #19
    stream: stream.api,
  }
  return emulator
}
