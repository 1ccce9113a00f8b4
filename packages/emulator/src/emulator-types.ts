import type { ApprovalsController } from './approvals'
import type { CardsController } from './cards'
import type { FaultController } from './faults'
import type { Fixture } from './fixture'
import type { RateLimitRule } from './limits'
import type { PushResult } from './pusher'
import type { PushSettings } from './pushes'
import type { RequestLogEntry } from './request-log'
import type { RobotController } from './robot/controller'
import type { WebLoginController } from './routes/sns'
import type { EmulatorState, PushRecord, TokenRecord } from './state'
import type { StreamEmulator, StreamSettings } from './stream/types'

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
  /**
   * What `service/get_corp_token` does within a corp token's validity (§4.3, not confirmed for DingTalk):
   * `renew` (default) re-returns the valid token, like `gettoken`; `replace` issues a new one and the previous
   * one answers 40014 from then on — what a newer document says. Test that several instances survive either.
   */
  corpTokens?: 'renew' | 'replace'
  /** How often a suite_ticket is pushed to each suite (default 20 minutes; 0 = never, §2.3). */
  suiteTicketIntervalMs?: number
  /** Caller IPs allowed for every app without its own `ipWhitelist` (60020 otherwise). */
  ipWhitelist?: string[]
  /** Per-app rate limits (90002/45009). */
  rateLimits?: RateLimitRule[]
  /** Largest JSON body accepted (default 1 MiB); larger bodies get errcode 40035. */
  maxBodyBytes?: number
  /**
   * Answer 40033 for every `\uXXXX` escape in a JSON body, as DingTalk's old error table says. Default
   * `false`: like DingTalk today, escaped text (Chinese) is accepted and only escaped control characters
   * (`\u0000` from a `%00`) get 40033 (§4.1). Turn it on to prove a client sends raw UTF-8.
   */
  strictEscapes?: boolean
  /**
   * How callbacks are delivered. Default: as DingTalk (`DINGTALK_PUSH_SETTINGS`: up to 100 re-pushes, 1 s
   * doubling to 10 min); tests that expect a failure pass `{ retries: 0 }`.
   */
  push?: PushSettings
  /** The Stream gateway's timing and faults (§13). */
  stream?: StreamSettings
  /** How long a robot message's session webhook works (default 90 minutes). */
  robotSessionTtlMs?: number
  /**
   * Card API requests per app per second above which the card routes answer HTTP 403 `QpsLimit` (Stream
   * reference §7: about 40). Default 40; 0 turns the limit off.
   */
  cardQps?: number
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
  /**
   * Base URL, e.g. `http://127.0.0.1:53211`; use it where you would use `https://oapi.dingtalk.com` or
   * `https://api.dingtalk.com` (both APIs answer on this one port: `/v1.0/…` paths are api.dingtalk.com).
   */
  readonly url: string
  readonly state: EmulatorState
  readonly log: RequestLogEntry[]
  readonly faults: FaultController
  /** The callback delivery settings in force: `options.push` over DingTalk's defaults (§2.1). */
  readonly push: Readonly<Required<PushSettings>>
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
  /** Robots (§13.6, §14): conversations, messages said to the app's robot, its replies, custom robots. */
  readonly robot: RobotController
  /** #16: interactive card instances (data, deliveries, flowStatus, streamed content), the QPS limit. */
  readonly cards: CardsController
}
