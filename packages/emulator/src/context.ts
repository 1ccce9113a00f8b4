import { randomBytes } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import type { PushResult } from './pusher'
import type { EmulatorState, TokenRecord } from './state'

/** A DingTalk error envelope, thrown by route handlers and turned into `{errcode, errmsg, …}`. */
export class ApiError extends Error {
  readonly errcode: number
  readonly errmsg: string
  readonly extra: Record<string, unknown>

  constructor(errcode: number, errmsg: string, extra: Record<string, unknown> = {}) {
    super(`${errcode} ${errmsg}`)
    this.errcode = errcode
    this.errmsg = errmsg
    this.extra = extra
  }
}

/** A non-envelope answer (media downloads). */
export class RawResponse {
  readonly status: number
  readonly headers: Record<string, string>
  readonly body: Uint8Array

  constructor(status: number, headers: Record<string, string>, body: Uint8Array) {
    this.status = status
    this.headers = headers
    this.body = body
  }
}

export type Payload = Record<string, unknown>

export interface PushOutcome {
  result: PushResult
}

/** What route handlers may use of the running emulator. */
export interface Internals {
  state: EmulatorState
  now(): number
  tokenTtlMs: number
  /** `renew`: get_corp_token re-returns a corp's valid token; `replace`: a new one, the old one dead. */
  corpTokens: 'renew' | 'replace'
  issueToken(fields: Omit<TokenRecord, 'token' | 'issuedAt' | 'expiresAt'>): TokenRecord
  /** Pushes a contact/chat event to the corp's registered callback when its tag is registered. */
  emitCorpEvent(corpId: string, eventType: string, fields: Record<string, unknown>): void
  /** Sends `check_url` to a callback being registered and waits for the verdict (§2.4). */
  checkCallbackUrl(url: string, token: string, aesKey: string, receiveId: string): Promise<PushResult>
  /** Pushes tmp_auth_code (or its SYNC_HTTP form) after an authorisation. */
  newTmpAuthCode(corpId: string, suiteKey: string): string
}

export interface Ctx {
  emu: Internals
  method: string
  path: string
  query: URLSearchParams
  headers: IncomingHttpHeaders
  /** GET: the query; POST: the JSON object or form fields. */
  input: Record<string, unknown>
  form?: FormData
  token?: TokenRecord
  remoteIp: string
  topapi: boolean
}

export type AuthKind = 'access' | 'suite' | 'sso' | 'none'

export interface RouteDef {
  method: 'GET' | 'POST'
  auth: AuthKind
  body?: 'json' | 'multipart'
  maxBodyBytes?: number
  handle(ctx: Ctx): Payload | RawResponse | Promise<Payload | RawResponse>
}

export type Routes = Record<string, RouteDef>

export function randomId(bytes = 16): string {
  return randomBytes(bytes).toString('hex')
}

export function str(input: Record<string, unknown>, key: string): string | undefined {
  const value = input[key]
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  return undefined
}

export function num(input: Record<string, unknown>, key: string): number | undefined {
  const value = input[key]
  if (typeof value === 'number' && Number.isFinite(value)) return value
  if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return Number(value)
  return undefined
}

export function bool(input: Record<string, unknown>, key: string): boolean | undefined {
  const value = input[key]
  if (typeof value === 'boolean') return value
  if (value === 'true' || value === 1 || value === '1') return true
  if (value === 'false' || value === 0 || value === '0') return false
  return undefined
}

export function strList(input: Record<string, unknown>, key: string, separator = ','): string[] | undefined {
  const value = input[key]
  if (Array.isArray(value)) return value.map(String)
  if (typeof value === 'string') return value.split(separator).filter((s) => s.length > 0)
  if (typeof value === 'number') return [String(value)]
  return undefined
}

export function need<T>(value: T | undefined, errcode: number, errmsg: string): T {
  if (value === undefined || value === '') throw new ApiError(errcode, errmsg)
  return value
}

export function invalidParam(detail: string): ApiError {
  return new ApiError(40035, `不合法的参数: ${detail}`)
}

/** Minimal glob for DingTalk whitelists: `*` stands for one IPv4 segment. */
export function ipAllowed(ip: string, whitelist: string[]): boolean {
  const normalized = ip.startsWith('::ffff:') ? ip.slice(7) : ip
  return whitelist.some((entry) => {
    if (entry === normalized) return true
    const want = entry.split('.')
    const have = normalized.split('.')
    return want.length === 4 && have.length === 4 && want.every((seg, i) => seg === '*' || seg === have[i])
  })
}
