import type { DingTalkClient } from '../client'
import type { Store } from '../store/store'
import type { DingTalkEvent, DingTalkEventType, EventOf, SyncHttpItem } from './types'

/**
 * What the event pipeline needs from an ISV suite client (the suite client of `@dingtalk-kit/core`
 * satisfies it). Each method persists before it resolves: an event is acknowledged only after its built-in
 * step resolved, so a failure makes DingTalk deliver it again (§2.3).
 *
 * @example
 * ```ts
 * createCallbackHandler({ token, aesKey, suiteClient: createSuiteClient({ suiteKey, suiteSecret }, { store }), store })
 * ```
 */
export interface SuiteCallbackClient {
  readonly suiteKey: string
  /** The suite client's store; the pipeline de-duplicates in it unless given its own. */
  readonly store?: Store
  /** Stores the latest suite_ticket (§2.3, §4.3). */
  saveSuiteTicket(ticket: string): Promise<void>
  /** `service/get_permanent_code` → store → `service/activate_suite` (§2.3, within 5 s). */
  handleTmpAuthCode(authCode: string): Promise<{ corpId: string }>
  /** Drops everything stored for a corp that removed the suite (§2.3 suite_relieve). */
  removeCorp(corpId: string): Promise<void>
  /** Optional, for `SYNC_HTTP_PUSH_*` suites: stores the pushed permanent code (§2.3 org_suite_auth). */
  savePermanentCode?(
    corpId: string,
    permanentCode: string,
    info?: { agentId?: number; corpName?: string },
  ): Promise<void>
  /** Optional: `service/activate_suite` with the stored permanent code (§4.3). */
  activateSuite?(corpId: string): Promise<void>
  /** Optional: `service/get_agent`; `close` 2 means "waiting for activation" (§2.3 change_auth). */
  getAgent?(corpId: string): Promise<{ close: number | undefined }>
}

/**
 * How an event reached the app: `callback` (an encrypted HTTP callback), `stream` (a Stream-mode frame,
 * §13) or another transport's name.
 *
 * @example
 * ```ts
 * dispatcher.onAny((event, ctx) => metrics.count(`events.${ctx.transport}`))
 * ```
 */
export type EventTransport = 'callback' | 'stream' | (string & {})

/**
 * What a handler receives besides the event. `L` types `locals`, the adapter's request context.
 *
 * @example
 * ```ts
 * callback.on('user_add_org', async (e, ctx) => { await ctx.client?.request({ path: '/topapi/v2/user/get', json: { userid: e.UserId[0] } }) })
 * ```
 */
export interface EventContext<S extends SuiteCallbackClient = SuiteCallbackClient, L = unknown> {
  /** The receive-id the message was encrypted for (HTTP callbacks), or the Stream client's clientId. */
  receiveId: string
  /** The store key that de-duplicates this event (`undefined` for URL and licence checks). */
  dedupeKey: string | undefined
  /** The decrypted payload (or the `SYNC_HTTP_PUSH_*` item, or the Stream frame's data) as parsed JSON. */
  raw: unknown
  /** The `SYNC_HTTP_PUSH_*` item the event was normalised from, if any. */
  sync: SyncHttpItem | undefined
  /** The corp app client given in the options. */
  client: DingTalkClient | undefined
  /** The suite client given in the options. */
  suiteClient: S | undefined
  /**
   * What the adapter passed with this request as `locals` (its framework context: Koa's `ctx`, Hono's `c`),
   * so event handlers reach their request without AsyncLocalStorage. `undefined` when none was passed, and
   * for events that did not come over HTTP.
   */
  locals: L | undefined
  /** How the event arrived. */
  transport: EventTransport
  /** The transport's envelope: for Stream, the downstream frame (§13.2); `undefined` for HTTP callbacks. */
  frame: unknown
}

/**
 * A handler of one event type. What it returns is the event's answer where the transport has one (a card
 * callback's update, §13.3); otherwise it is ignored. A returned promise is awaited; a throw asks DingTalk to
 * deliver the event again.
 *
 * @example
 * ```ts
 * const onJoin: EventHandler<'user_add_org'> = (e) => syncUsers(e.UserId)
 * ```
 */
export type EventHandler<
  K extends DingTalkEventType,
  S extends SuiteCallbackClient = SuiteCallbackClient,
  L = unknown,
> = (event: EventOf<K>, context: EventContext<S, L>) => unknown

/**
 * A handler of every event.
 *
 * @example
 * ```ts
 * const audit: AnyEventHandler = (e, ctx) => console.log(e.EventType, ctx.dedupeKey)
 * ```
 */
export type AnyEventHandler<S extends SuiteCallbackClient = SuiteCallbackClient, L = unknown> = (
  event: DingTalkEvent,
  context: EventContext<S, L>,
) => unknown

/**
 * Handlers by event type, for the `handlers` option.
 *
 * @example
 * ```ts
 * const handlers: EventHandlers = { user_leave_org: (e) => disableUsers(e.UserId) }
 * ```
 */
export type EventHandlers<S extends SuiteCallbackClient = SuiteCallbackClient, L = unknown> = {
  [K in DingTalkEventType]?: EventHandler<K, S, L>
}

/**
 * Where the pipeline writes what it rejected, why it asked for a redelivery, and which handlers failed.
 * Never given a secret.
 *
 * @example
 * ```ts
 * createCallbackHandler({ token, aesKey, receiveId, logger: { warn: (msg, data) => log.warn(data, msg) } })
 * ```
 */
export interface CallbackLogger {
  debug?(message: string, data?: Record<string, unknown>): void
  warn?(message: string, data?: Record<string, unknown>): void
  error?(message: string, data?: Record<string, unknown>): void
}

/**
 * Lets edge hosts keep background work alive after the reply (Workers' `ctx.waitUntil`), and carries the
 * adapter's request context to the event handlers.
 *
 * @example
 * ```ts
 * export default { fetch: (request: Request, env: unknown, ctx: ExecutionContext) => callback.fetch(request, ctx) }
 * ```
 */
export interface WaitUntilContext {
  waitUntil?(promise: Promise<unknown>): void
  /** Handed to the event handlers of this request as `EventContext.locals` (adapters pass their context). */
  locals?: unknown
}
