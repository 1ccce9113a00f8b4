import { checkAgentId } from './agent-id'
import { type CallbacksApi, createCallbacksApi } from './api/callbacks'
import type { CardsOptions } from './api/card-types'
import { type CardsApi, createCardsApi } from './api/cards'
import { type ChatsApi, createChatsApi } from './api/chats'
import { type ContactsApi, createContactsApi } from './api/contacts'
import type { ApiContext } from './api/context'
import { createJsapiApi, type JsapiApi } from './api/jsapi'
import { createMediaApi, type MediaApi } from './api/media'
import { createMessagesApi, type MessagesApi } from './api/messages'
import { createOfficeApis, type OfficeApis } from './api/office'
import { createSsoApi, type SsoApi } from './api/sso'
import { rememberAppCredentials } from './auth/app-credentials'
import {
  createTokenCache,
  type FetchedToken,
  type TokenCache,
  type TokenCacheOptions,
} from './auth/token-cache'
import { credentialsErrorOf } from './errors/credentials'
import { runtimeFetch } from './http/deadline'
import { type ClientObserver, ClientObservers } from './http/observer'
import {
  type ClientHooks,
  createPipeline,
  type DingTalkRequest,
  type DingTalkResponse,
  type PipelineConfig,
  type RetryOptions,
  tokenRefreshReporter,
} from './http/pipeline'
import { RateLimitGate } from './http/rate-gate'
import { Redactor } from './http/redact'
import { createV1Pipeline, type DingTalkV1Request, resolveApiBaseUrl } from './http/v1'
import { createRobotsApi, type RobotsApi } from './robots/api'
import { memoryStore, type Store, storeKey } from './store/store'

/**
 * The credentials of an internal corp app (§4.2): an app’s `appKey`/`appSecret` (optionally with the
 * corpId, used in store keys and problem reports), or the legacy `corpId`/`corpSecret`.
 *
 * @example
 * ```ts
 * const byApp: DingTalkCredentials = { appKey: 'dingxxxx', appSecret: process.env.APP_SECRET!, corpId: 'ding123' }
 * const byCorp: DingTalkCredentials = { corpId: 'ding123', corpSecret: process.env.CORP_SECRET! }
 * ```
 */
export type DingTalkCredentials =
  | { appKey: string; appSecret: string; corpId?: string }
  | { corpId: string; corpSecret: string }

/**
 * Tuning of the access_token and jsapi_ticket caches (see `createTokenCache`).
 *
 * @example
 * ```ts
 * const tokens: TokenTuning = { refreshMarginMs: 10 * 60_000, leaseMs: 15_000 }
 * ```
 */
export type TokenTuning = Pick<
  TokenCacheOptions,
  | 'refreshMarginMs'
  | 'jitterMs'
  | 'fallbackTtlMs'
  | 'maxTtlMs'
  | 'leaseMs'
  | 'pollIntervalMs'
  | 'waitTimeoutMs'
  | 'retryAfterFailureMs'
  | 'now'
>

/**
 * Options of {@link createDingTalkClient}.
 *
 * @example
 * ```ts
 * const options: DingTalkClientOptions = {
 *   baseUrl: emulator.url,
 *   timeoutMs: 5000,
 *   store: redisStore({ client: redis }),
 *   retry: { maxRetries: 3, baseDelayMs: 1000 },
 * }
 * ```
 */
export interface DingTalkClientOptions {
  /** Default `https://oapi.dingtalk.com`; point it at `@dingtalk-kit/emulator` in tests. */
  baseUrl?: string
  /**
   * Base URL of the api.dingtalk.com (v1.0) endpoints of {@link DingTalkClient.requestV1}. Default:
   * `https://api.dingtalk.com` when `baseUrl` is oapi's default, else `baseUrl` itself (the emulator serves
   * both APIs on one port).
   */
  apiBaseUrl?: string
  /**
   * Default `globalThis.fetch`, looked up at each call. On Node its timeout goes to undici as the request's
   * `headersTimeout`/`bodyTimeout`; a `fetch` of your own is handed an `AbortSignal` that fires at `timeoutMs`.
   */
  fetch?: typeof fetch
  /** Per-attempt timeout. Default 10,000 ms. */
  timeoutMs?: number
  /** Where tokens, tickets and lease locks live. Share one (e.g. Redis) across instances. Default `memoryStore()`. */
  store?: Store
  retry?: RetryOptions
  hooks?: ClientHooks
  tokens?: TokenTuning
  /** The micro-app's agentId: the default for `client.jsapi.createConfig` and work notices. */
  agentId?: string | number
  /** The admin-console SSO secret, for `client.sso.getAdminUserInfo` (§5.2). */
  ssoSecret?: string
  /** `client.cards`' shared QPS budget and `QpsLimit` retries (default 40 QPS across the store). */
  cards?: CardsOptions
}

/**
 * A DingTalk `oapi` client for one internal app: cached tokens and tickets plus one request pipeline.
 *
 * @example
 * ```ts
 * const client = createDingTalkClient({ appKey, appSecret })
 * const ticket = await client.getJsapiTicket()
 * const user = await client.request({ path: '/topapi/v2/user/get', json: { userid: 'manager123' } })
 * ```
 */
export interface DingTalkClient extends OfficeApis {
  readonly baseUrl: string
  readonly store: Store
  /** The appKey, when the client was created with one. */
  readonly appKey: string | undefined
  /** The corpId, when known. */
  readonly corpId: string | undefined
  /**
   * Calls an endpoint: injects the token, sends JSON/multipart, parses the envelope, refreshes an invalid
   * token and replays once, retries busy/rate-limited/transient failures; throws a `DingTalkRequestError`.
   */
  request<T = DingTalkResponse>(req: DingTalkRequest): Promise<T>
  /** Base URL of the api.dingtalk.com (v1.0) endpoints. */
  readonly apiBaseUrl: string
  /**
   * Calls an api.dingtalk.com (v1.0) endpoint (robots, cards, Stream, OAuth2 login) with the same cached
   * access_token as {@link DingTalkClient.request}, in the `x-acs-dingtalk-access-token` header; JSON goes
   * as raw UTF-8. Resolves with the JSON payload (`{}` for an empty body). A token DingTalk rejects (HTTP 401,
   * `InvalidAuthentication`) is dropped, refreshed and the call replayed once; `QpsLimit` (HTTP 403/429) is
   * retried with backoff, then thrown as `DingTalkRateLimitError`; any other error body
   * `{ code, message, requestid }` throws `DingTalkV1ApiError`. Same hooks, retries and redaction as `request`.
   *
   * @example
   * ```ts
   * const { processQueryKey } = await client.requestV1<{ processQueryKey: string }>({
   *   method: 'POST',
   *   path: '/v1.0/robot/oToMessages/batchSend',
   *   json: { robotCode: appKey, userIds: ['manager123'], msgKey: 'sampleText', msgParam: JSON.stringify({ content: '你好' }) },
   * })
   * ```
   */
  requestV1<T = Record<string, unknown>>(req: DingTalkV1Request): Promise<T>
  /**
   * The app’s access_token (cached; refreshed once across the process and the store). If the store fails,
   * it is fetched and cached in this process instead (DingTalk re-returns the same token, §4.2).
   */
  getAccessToken(): Promise<string>
  /** Drops `token` from the cache if it is still the cached one (after DingTalk rejected it). */
  invalidateAccessToken(token: string): Promise<void>
  /**
   * The jsapi_ticket for `dd.config` (§3.1). Cached and shared like the token: a new ticket invalidates the
   * old one at DingTalk, so it is fetched once per expiry across every instance on the store. If the store
   * fails, a still-valid ticket keeps being served; otherwise this throws the `DingTalkStoreError` rather
   * than fetch a ticket that would invalidate the other instances’ tickets.
   */
  getJsapiTicket(): Promise<string>
  /** Drops `ticket` from the cache if it is still the cached one. */
  invalidateJsapiTicket(ticket: string): Promise<void>
  /**
   * Adds an observer of every API call (oapi and v1.0) and every token/ticket refresh of this client — e.g.
   * `@dingtalk-kit/otel`, which traces them. Returns a function that removes it. Corp clients of a suite
   * (`suite.forCorp()`) share the suite client's observers. Without observers a call costs nothing extra.
   *
   * @example
   * ```ts
   * const stop = client.observe({
   *   call: (call, run) => run().finally(() => console.log(call.path, call.errcode, call.attempts)),
   * })
   * ```
   */
  observe(observer: ClientObserver): () => void
  /** `dd.config` payloads for the front end (§3). */
  readonly jsapi: JsapiApi
  /** Free-login identity and admin SSO (§5). */
  readonly sso: SsoApi
  /** Users and departments, legacy and `topapi/v2` (§6). */
  readonly contacts: ContactsApi
  /** Upload and download of media files (§7). */
  readonly media: MediaApi
  /** Conversation messages, corp messages and work notices (§8.1). */
  readonly messages: MessagesApi
  /** Group chats (§8.3). */
  readonly chats: ChatsApi
  /** Registered callbacks of the corp (§2.4). */
  readonly callbacks: CallbacksApi
  /** Robots (§13.7, §14.3): DM and group sends, recall, read status, message files. */
  readonly robots: RobotsApi
  /** Interactive cards and AI cards, rate-limited across instances (§14.4). */
  readonly cards: CardsApi
}

interface TokenBody extends DingTalkResponse {
  access_token?: string
  ticket?: string
  expires_in?: number | string
}

const seconds = (value: unknown): number | undefined => {
  const n = typeof value === 'string' ? Number(value) : value
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined
}

/**
 * Creates a client for one internal corp app. Tokens and tickets go through `store`, so N instances on a
 * shared store make one `gettoken` / `get_jsapi_ticket` call per expiry between them.
 *
 * @example
 * ```ts
 * import { createDingTalkClient } from '@dingtalk-kit/core'
 *
 * const client = createDingTalkClient(
 *   { appKey: process.env.DINGTALK_APP_KEY!, appSecret: process.env.DINGTALK_APP_SECRET! },
 *   { hooks: { onRetry: (e) => console.warn('retrying', e.path, e.reason) } },
 * )
 * const { result } = await client.request<{ result: { userid: string } }>({
 *   path: '/topapi/v2/user/getuserinfo',
 *   json: { code },
 * })
 * ```
 */
export function createDingTalkClient(
  credentials: DingTalkCredentials,
  options: DingTalkClientOptions = {},
): DingTalkClient {
  const appStyle = 'appKey' in credentials
  const appKey = appStyle ? credentials.appKey : undefined
  const corpId = credentials.corpId
  const secret = appStyle ? credentials.appSecret : credentials.corpSecret
  const owner = appKey ?? credentials.corpId
  if (!owner || !secret) {
    throw new TypeError(
      appStyle
        ? 'createDingTalkClient needs appKey and appSecret'
        : 'createDingTalkClient needs corpId and corpSecret',
    )
  }

  const fetchAccessToken = async (request: ClientRequest): Promise<FetchedToken> => {
    const query = appStyle ? { appkey: owner, appsecret: secret } : { corpid: owner, corpsecret: secret }
    let body: TokenBody
    try {
      body = await request<TokenBody>({ path: '/gettoken', query, auth: 'none' })
    } catch (error) {
      throw credentialsErrorOf(error, appStyle ? 'app' : 'corp')
    }
    const value = typeof body.access_token === 'string' ? body.access_token : ''
    return { value, expiresIn: seconds(body.expires_in) }
  }

  const client = createClientCore(
    {
      owner,
      appKey,
      corpId,
      keyCorpId: appStyle ? corpId : undefined,
      secrets: [secret],
      fetchAccessToken,
    },
    options,
  )
  if (appKey !== undefined) rememberAppCredentials(client, { clientId: appKey, clientSecret: secret })
  return client
}

/** The request function a {@link ClientIdentity} fetches its token with (the client's own pipeline). */
export type ClientRequest = <T = DingTalkResponse>(req: DingTalkRequest) => Promise<T>

/**
 * Internal: who a client's tokens belong to and how its access_token is obtained — a corp app's own
 * secret (`createDingTalkClient`) or an ISV suite's corp token (`suite.forCorp`).
 */
export interface ClientIdentity {
  /** Owner part of the store keys (appKey, corpId or suiteKey). */
  owner: string
  appKey: string | undefined
  corpId: string | undefined
  /** corpId part of the store keys. */
  keyCorpId: string | undefined
  /** Values the redactor removes everywhere. */
  secrets: string[]
  fetchAccessToken(request: ClientRequest): Promise<FetchedToken>
  /** Overrides `options.agentId` (ISV: learnt per corp). */
  agentId?: () => Promise<string | number | undefined>
  /** Observers shared with other clients (a suite's corp clients share the suite's). */
  observers?: ClientObservers
}

/** Internal: builds a client (pipeline, token + ticket caches, API groups) for an identity. */
export function createClientCore(
  identity: ClientIdentity,
  options: DingTalkClientOptions = {},
): DingTalkClient {
  const { owner, appKey, corpId } = identity
  const baseUrl = (options.baseUrl ?? 'https://oapi.dingtalk.com').replace(/\/+$/, '')
  const store = options.store ?? memoryStore()
  const hooks = options.hooks ?? {}
  const redactor = new Redactor()
  for (const secret of identity.secrets) redactor.remember(secret)

  const onRefresh = tokenRefreshReporter(hooks)
  const observers = identity.observers ?? new ClientObservers()

  const tokens: { access_token?: TokenCache } = {}
  const pipeline: PipelineConfig = {
    baseUrl,
    fetch: options.fetch ?? runtimeFetch,
    timeoutMs: options.timeoutMs ?? 10_000,
    retry: {
      maxRetries: options.retry?.maxRetries ?? 3,
      baseDelayMs: options.retry?.baseDelayMs ?? 1000,
      maxDelayMs: options.retry?.maxDelayMs ?? 8000,
    },
    hooks,
    redactor,
    tokens,
    corpId,
    observers,
  }
  // §10: one gate for the oapi and v1.0 pipelines, so every caller of this client waits out a limit together.
  pipeline.gate = new RateLimitGate(pipeline.retry)
  const request = createPipeline(pipeline)
  const apiBaseUrl = resolveApiBaseUrl(options)
  const requestV1 = createV1Pipeline({ ...pipeline, baseUrl: apiBaseUrl })

  const fetchAccessToken = async (): Promise<FetchedToken> => {
    const fetched = await identity.fetchAccessToken(request)
    redactor.remember(fetched.value)
    return fetched
  }

  const fetchJsapiTicket = async (): Promise<{ value: string; expiresIn: number | undefined }> => {
    // §3.1: `type=jsapi` is accepted by every documented variant.
    const body = await request<TokenBody>({ path: '/get_jsapi_ticket', query: { type: 'jsapi' } })
    const value = typeof body.ticket === 'string' ? body.ticket : ''
    redactor.remember(value)
    return { value, expiresIn: seconds(body.expires_in) }
  }

  const cache = (kind: 'access_token' | 'jsapi_ticket', fetch: TokenCacheOptions['fetch']): TokenCache =>
    createTokenCache({
      ...options.tokens,
      store,
      key: storeKey({ owner, corpId: identity.keyCorpId, kind }),
      kind,
      fetch,
      onRefresh,
      observer: observers.around,
      // §3.1: a new ticket invalidates the old one everywhere: never fetch one without the shared lock, and
      // read the shared one before every signature, so no instance signs with a ticket another replaced.
      storeFailure: kind === 'jsapi_ticket' ? 'throw' : 'local',
      readThrough: kind === 'jsapi_ticket',
    })

  const accessToken = cache('access_token', fetchAccessToken)
  const jsapiTicket = cache('jsapi_ticket', fetchJsapiTicket)
  tokens.access_token = {
    get: () => accessToken.get(),
    invalidate: (value) => accessToken.invalidate(value),
  }

  const agentId = checkAgentId(options.agentId)
  if (options.ssoSecret !== undefined) redactor.remember(options.ssoSecret)
  const api: ApiContext = {
    request,
    store,
    owner,
    corpId,
    agentId: identity.agentId ?? (async () => agentId),
    getJsapiTicket: () => jsapiTicket.get(),
    remember: (value) => redactor.remember(value),
    ssoSecret: options.ssoSecret,
  }

  return {
    baseUrl,
    store,
    appKey,
    corpId,
    request,
    apiBaseUrl,
    requestV1,
    getAccessToken: () => accessToken.get(),
    invalidateAccessToken: (token) => accessToken.invalidate(token),
    getJsapiTicket: () => jsapiTicket.get(),
    invalidateJsapiTicket: (ticket) => jsapiTicket.invalidate(ticket),
    observe: (observer) => observers.add(observer),
    jsapi: createJsapiApi(api),
    sso: createSsoApi(api),
    contacts: createContactsApi(api),
    media: createMediaApi(api),
    messages: createMessagesApi(api),
    chats: createChatsApi(api),
    callbacks: createCallbacksApi(api),
    robots: createRobotsApi({ requestV1, fetch: pipeline.fetch, appKey }),
    cards: createCardsApi({
      requestV1,
      store,
      limiterKey: storeKey({ owner, corpId: identity.keyCorpId, kind: 'card_qps' }),
      appKey,
      apiBaseUrl,
      getAccessToken: () => accessToken.get(),
      redact: (text) => redactor.text(text),
      options: options.cards,
    }),
    ...createOfficeApis(api),
  }
}
