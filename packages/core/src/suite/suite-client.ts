import { asArray, asBool, asNumber, asRecord, asString } from '../api/context'
import { rememberAppCredentials } from '../auth/app-credentials'
import { createTokenCache, type FetchedToken } from '../auth/token-cache'
import { createClientCore, type DingTalkClient, type DingTalkClientOptions } from '../client'
import { DingTalkError } from '../errors'
import { isTokenInvalid } from '../errors/catalogue'
import { DingTalkApiError, DingTalkCredentialsError } from '../errors/request-errors'
import { hashes } from '../hash/index'
import {
  createPipeline,
  type DingTalkRequest,
  type DingTalkResponse,
  tokenRefreshReporter,
} from '../http/pipeline'
import { Redactor } from '../http/redact'
import { signIsvRequest } from '../signing/isv'
import { memoryStore, type Store, storeKey } from '../store/store'

/** An ISV suite's credentials (§4.3); `token`/`aesKey` are its callback settings (§1.1). */
export interface SuiteCredentials {
  suiteKey: string
  suiteSecret: string
  /** Callback token of the suite (for the callback handler). */
  token?: string
  /** Callback EncodingAESKey of the suite (for the callback handler). */
  aesKey?: string
}

/** How `forCorp` clients obtain a corp's access_token. */
export type CorpTokenMode = 'suite_token' | 'signed'

/** Options of {@link createSuiteClient}: those of `createDingTalkClient` (shared by every corp client), plus: */
export interface SuiteClientOptions extends Omit<DingTalkClientOptions, 'agentId' | 'ssoSecret'> {
  /**
   * `suite_token` (default): `service/get_corp_token?suite_access_token=` with the stored permanent code (§4.3);
   * `signed`: the HMAC-signed form with `accessKey`, `timestamp`, `suiteTicket`, `signature` (§4.4).
   */
  corpTokenMode?: CorpTokenMode
  /** Clock for the §4.4 signature timestamp, epoch ms. Default `Date.now`. */
  now?: () => number
}

/** `service/get_permanent_code`'s answer. */
export interface PermanentCodeResult {
  corpId: string
  corpName: string
  permanentCode: string
  /** The channel permanent code, when the suite has one. */
  chPermanentCode: string
}

/** What the store keeps for an authorised corp. */
export interface CorpAuthorization {
  permanentCode: string
  agentId?: number | undefined
  corpName?: string | undefined
}

/** `service/get_auth_info`'s answer (§4.3). */
export interface SuiteAuthInfo {
  corp: {
    corpId: string
    corpName: string
    corpLogoUrl: string
    industry: string
    inviteCode: string
    licenseCode: string
    inviteUrl: string
    isAuthenticated: boolean
    authLevel: number | undefined
  }
  authUser: { userId: string }
  agents: {
    agentId: number
    agentName: string
    appId: number | undefined
    logoUrl: string
    adminList: string[]
  }[]
}

/** `service/get_agent`'s answer: `close` 0 disabled, 1 normal, 2 waiting for activation (§2.3 change_auth). */
export interface SuiteAgent {
  agentId: number
  name: string
  logoUrl: string
  description: string
  close: number | undefined
}

/**
 * A suite-level failure: `SUITE_TICKET_MISSING` (no suite_ticket has been pushed and stored yet — the
 * local form of DingTalk's 40085; `errcode` is 40085) or `CORP_NOT_AUTHORIZED` (no permanent code stored
 * for the corp).
 *
 * @example
 * ```ts
 * if (error instanceof DingTalkSuiteError && error.code === 'SUITE_TICKET_MISSING') console.warn('waiting for the suite_ticket push')
 * ```
 */
export class DingTalkSuiteError extends DingTalkError {
  /** The DingTalk errcode this corresponds to (40085 for a missing ticket, 48004 for a missing authorisation). */
  readonly errcode: number
  readonly suiteKey: string
  readonly corpId: string | undefined

  constructor(
    code: 'SUITE_TICKET_MISSING' | 'CORP_NOT_AUTHORIZED',
    details: { suiteKey: string; corpId?: string; message: string },
  ) {
    super(code, details.message)
    this.name = 'DingTalkSuiteError'
    this.errcode = code === 'SUITE_TICKET_MISSING' ? 40085 : 48004
    this.suiteKey = details.suiteKey
    this.corpId = details.corpId
  }
}

/**
 * An ISV suite: its suite_access_token, the authorisation flow and one full client per authorised corp.
 *
 * @example
 * ```ts
 * const suite = createSuiteClient({ suiteKey, suiteSecret, token, aesKey }, { store: redisStore({ client }) })
 * // callback handler: suite_ticket → suite.saveSuiteTicket(t); tmp_auth_code → suite.handleTmpAuthCode(code)
 * const corp = suite.forCorp('ding123')
 * const user = await corp.contacts.users.get('manager123')
 * ```
 */
export interface SuiteClient {
  readonly suiteKey: string
  /** The suite's callback token, as given. */
  readonly token: string | undefined
  /** The suite's callback EncodingAESKey, as given. */
  readonly aesKey: string | undefined
  readonly store: Store
  /**
   * Calls a `service/*` endpoint with the suite_access_token (replayed once with a fresh token after
   * 40082/42009/48003).
   *
   * @example
   * ```ts
   * await suite.request({ path: '/service/get_unactive_corp', json: { app_id: 123 } })
   * ```
   */
  request<T = DingTalkResponse>(req: DingTalkRequest): Promise<T>
  /**
   * Stores the latest `suite_ticket` (pushed every 20 minutes, §2.3). Throws if the store write fails, so the
   * callback is answered with an error and DingTalk pushes again.
   *
   * @example
   * ```ts
   * await suite.saveSuiteTicket(event.SuiteTicket)
   * ```
   */
  saveSuiteTicket(ticket: string): Promise<void>
  /** The latest stored suite_ticket. @example const ticket = await suite.getSuiteTicket() */
  getSuiteTicket(): Promise<string | undefined>
  /**
   * The suite_access_token (cached and shared through the store, refreshed once per expiry). Throws
   * {@link DingTalkSuiteError} `SUITE_TICKET_MISSING` until a suite_ticket has been saved.
   *
   * @example
   * ```ts
   * const token = await suite.getSuiteAccessToken()
   * ```
   */
  getSuiteAccessToken(): Promise<string>
  /** Drops `token` from the cache if it is still the cached one. @example await suite.invalidateSuiteAccessToken(token) */
  invalidateSuiteAccessToken(token: string): Promise<void>
  /**
   * The whole `tmp_auth_code` flow (§4.3): `get_permanent_code` → permanent code stored durably →
   * `activate_suite`. Throws if any step (store write included) fails, so DingTalk re-pushes; a re-push of a
   * code already exchanged (its activation failed) only activates the corp it was exchanged for.
   *
   * @example
   * ```ts
   * const { corpId } = await suite.handleTmpAuthCode(event.AuthCode)
   * ```
   */
  handleTmpAuthCode(authCode: string): Promise<{ corpId: string }>
  /**
   * With a corpId: the stored permanent code of that corp (`undefined` when not authorised). With
   * `{ tmpAuthCode }`: calls `service/get_permanent_code` (40078 for an unknown or used code) without storing.
   *
   * @example
   * ```ts
   * const code = await suite.getPermanentCode('ding123')
   * const fresh = await suite.getPermanentCode({ tmpAuthCode: event.AuthCode })
   * ```
   */
  getPermanentCode(corpId: string): Promise<string | undefined>
  getPermanentCode(input: { tmpAuthCode: string }): Promise<PermanentCodeResult>
  /**
   * Stores a corp's permanent code (e.g. from a `SYNC_HTTP_PUSH_HIGH` `org_suite_auth` push). Throws if the
   * store write fails.
   *
   * @example
   * ```ts
   * await suite.savePermanentCode(corpId, data.permanent_code)
   * ```
   */
  savePermanentCode(
    corpId: string,
    permanentCode: string,
    info?: { agentId?: number; corpName?: string },
  ): Promise<void>
  /** Whether a permanent code is stored for the corp. @example if (!(await suite.hasCorp(corpId))) return */
  hasCorp(corpId: string): Promise<boolean>
  /**
   * `suite_relieve` (§2.3): the permanent code is void — drops it and the corp's tokens and tickets.
   *
   * @example
   * ```ts
   * await suite.removeCorp(event.AuthCorpId)
   * ```
   */
  removeCorp(corpId: string): Promise<void>
  /** `service/activate_suite` with the stored permanent code (§4.3). @example await suite.activateSuite(corpId) */
  activateSuite(corpId: string): Promise<void>
  /** `service/get_auth_info` (§4.3). @example const { agents } = await suite.getAuthInfo(corpId) */
  getAuthInfo(corpId: string): Promise<SuiteAuthInfo>
  /** `service/get_agent`; default agent: the stored one. @example const { close } = await suite.getAgent(corpId) */
  getAgent(corpId: string, agentId?: number): Promise<SuiteAgent>
  /** `service/set_corp_ipwhitelist`; wildcards only in the last two segments. @example await suite.setCorpIpWhitelist(corpId, ['1.2.3.*']) */
  setCorpIpWhitelist(corpId: string, ips: string[]): Promise<void>
  /**
   * A fresh (uncached) corp access_token: with the suite token and the stored permanent code (§4.3), or the
   * signed form of §4.4. Use `forCorp(corpId)` for a cached one.
   *
   * @example
   * ```ts
   * const { accessToken, expiresIn } = await suite.getCorpToken(corpId, { mode: 'signed' })
   * ```
   */
  getCorpToken(
    corpId: string,
    options?: { mode?: CorpTokenMode },
  ): Promise<{ accessToken: string; expiresIn: number | undefined }>
  /**
   * A full client (contacts, messages, jsapi…) acting for an authorised corp, with that corp's cached token
   * (store keys namespaced by suiteKey and corpId); its agentId comes from `get_auth_info` once.
   *
   * @example
   * ```ts
   * const corp = suite.forCorp(corpId)
   * const config = await corp.jsapi.createConfig({ url, jsApiList: ['biz.chat.pickConversation'] })
   * ```
   */
  forCorp(corpId: string): DingTalkClient
}

// §4.5: the codes that mean "this suite_access_token is no longer valid".
const SUITE_TOKEN_INVALID = new Set([40082, 42009, 48003])

function parseAuthorization(raw: string | undefined): CorpAuthorization | undefined {
  if (raw === undefined || raw === '') return undefined
  try {
    const data = asRecord(JSON.parse(raw))
    const permanentCode = asString(data.permanentCode)
    if (permanentCode === '') return undefined
    return { permanentCode, agentId: asNumber(data.agentId), corpName: asString(data.corpName) || undefined }
  } catch {
    return { permanentCode: raw }
  }
}

function requireId(value: string, name: string): void {
  if (typeof value !== 'string' || value.length === 0)
    throw new TypeError(`${name} must be a non-empty string`)
}

/**
 * Creates the client of an ISV suite (third-party app). State lives in `store` (suite ticket, suite token,
 * per-corp permanent codes and tokens), so many instances — and many suites — can share one store.
 *
 * @example
 * ```ts
 * import { createSuiteClient } from '@dingtalk-kit/core'
 *
 * const suite = createSuiteClient(
 *   { suiteKey: process.env.SUITE_KEY!, suiteSecret: process.env.SUITE_SECRET!, token, aesKey },
 *   { store },
 * )
 * await suite.saveSuiteTicket(ticketFromPush)
 * const corp = suite.forCorp('ding123')
 * await corp.messages.sendWorkNotice({ userIds: ['manager123'], message: message.text('欢迎使用') })
 * ```
 */
export function createSuiteClient(
  credentials: SuiteCredentials,
  options: SuiteClientOptions = {},
): SuiteClient {
  const { suiteKey, suiteSecret } = credentials
  if (!suiteKey || !suiteSecret) throw new TypeError('createSuiteClient needs suiteKey and suiteSecret')
  const baseUrl = (options.baseUrl ?? 'https://oapi.dingtalk.com').replace(/\/+$/, '')
  const store = options.store ?? memoryStore()
  const hooks = options.hooks ?? {}
  const now = options.now ?? Date.now
  const redactor = new Redactor(256)
  redactor.remember(suiteSecret)
  redactor.remember(credentials.aesKey)
  redactor.remember(credentials.token)
  const clientOptions: DingTalkClientOptions = { ...options, baseUrl, store, hooks }

  const request = createPipeline({
    baseUrl,
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    timeoutMs: options.timeoutMs ?? 10_000,
    retry: {
      maxRetries: options.retry?.maxRetries ?? 3,
      baseDelayMs: options.retry?.baseDelayMs ?? 1000,
      maxDelayMs: options.retry?.maxDelayMs ?? 8000,
    },
    hooks,
    redactor,
    tokens: {},
  })

  const key = (kind: string, corpId?: string): string => storeKey({ owner: suiteKey, corpId, kind })
  const ticketKey = key('suite_ticket')

  const getSuiteTicket = async (): Promise<string | undefined> => {
    const ticket = await store.get(ticketKey)
    if (ticket) redactor.remember(ticket)
    return ticket || undefined
  }

  const requireTicket = async (): Promise<string> => {
    const ticket = await getSuiteTicket()
    if (ticket === undefined) {
      throw new DingTalkSuiteError('SUITE_TICKET_MISSING', {
        suiteKey,
        message:
          `No suite_ticket stored for suite ${suiteKey} yet (like errcode 40085): DingTalk pushes one every ` +
          '20 minutes to the suite callback — wait for it, or press "re-push" in the developer console.',
      })
    }
    return ticket
  }

  const onRefresh = tokenRefreshReporter(hooks)

  const suiteToken = createTokenCache({
    ...options.tokens,
    store,
    key: key('suite_access_token'),
    kind: 'suite_access_token',
    onRefresh,
    fetch: async (): Promise<FetchedToken> => {
      const ticket = await requireTicket()
      let body: DingTalkResponse
      try {
        // §4.3: no token in the URL; the latest suite_ticket in the body.
        body = await request<DingTalkResponse>({
          path: '/service/get_suite_token',
          json: { suite_key: suiteKey, suite_secret: suiteSecret, suite_ticket: ticket },
          auth: 'none',
        })
      } catch (error) {
        if (error instanceof DingTalkApiError && error.errcode === 40088) {
          throw new DingTalkCredentialsError({
            errcode: error.errcode,
            errmsg: error.errmsg,
            subCode: error.subCode,
            subMsg: error.subMsg,
            requestId: error.requestId,
            request: error.request,
            attempts: error.attempts,
            credentials: ['suiteKey', 'suiteSecret'],
          })
        }
        throw error
      }
      const value = asString(body.suite_access_token)
      redactor.remember(value)
      return { value, expiresIn: asNumber(body.expires_in) }
    },
  })

  async function suiteRequest<T = DingTalkResponse>(req: DingTalkRequest): Promise<T> {
    if (req.auth !== undefined && req.auth !== 'suite_access_token') return request<T>(req)
    let replayed = false
    for (;;) {
      const token = await suiteToken.get()
      try {
        return await request<T>({ ...req, auth: 'none', query: { suite_access_token: token, ...req.query } })
      } catch (error) {
        const invalid =
          error instanceof DingTalkApiError &&
          (SUITE_TOKEN_INVALID.has(error.errcode) || isTokenInvalid(error.errcode, error.subCode))
        if (invalid && !replayed) {
          replayed = true
          await suiteToken.invalidate(token)
          continue
        }
        throw error
      }
    }
  }

  const readAuthorization = async (corpId: string): Promise<CorpAuthorization | undefined> => {
    const record = parseAuthorization(await store.get(key('permanent_code', corpId)))
    if (record) redactor.remember(record.permanentCode)
    return record
  }

  const requireAuthorization = async (corpId: string): Promise<CorpAuthorization> => {
    requireId(corpId, 'corpId')
    const record = await readAuthorization(corpId)
    if (record === undefined) {
      throw new DingTalkSuiteError('CORP_NOT_AUTHORIZED', {
        suiteKey,
        corpId,
        message: `No permanent code stored for corp ${corpId} and suite ${suiteKey}: the corp has not authorised the suite (or relieved it).`,
      })
    }
    return record
  }

  const writeAuthorization = (corpId: string, record: CorpAuthorization): Promise<void> =>
    store.set(key('permanent_code', corpId), JSON.stringify(record))

  const corpClients = new Map<string, DingTalkClient>()

  const dropCorpState = async (corpId: string): Promise<void> => {
    corpClients.delete(corpId)
    await store.delete(key('access_token', corpId))
    await store.delete(key('jsapi_ticket', corpId))
  }

  const getCorpToken: SuiteClient['getCorpToken'] = async (corpId, tokenOptions = {}) => {
    const mode = tokenOptions.mode ?? options.corpTokenMode ?? 'suite_token'
    let body: DingTalkResponse
    if (mode === 'signed') {
      requireId(corpId, 'corpId')
      const suiteTicket = await requireTicket()
      const timestamp = String(now())
      // §4.4: signature = Base64(HMAC-SHA256(suiteSecret, timestamp + "\n" + suiteTicket)), ms timestamp.
      const signature = signIsvRequest({ secret: suiteSecret, timestamp, suiteTicket })
      redactor.remember(signature)
      body = await request<DingTalkResponse>({
        path: '/service/get_corp_token',
        query: { accessKey: suiteKey, timestamp, suiteTicket, signature },
        json: { auth_corpid: corpId },
        auth: 'none',
      })
    } else {
      const { permanentCode } = await requireAuthorization(corpId)
      body = await suiteRequest<DingTalkResponse>({
        path: '/service/get_corp_token',
        json: { auth_corpid: corpId, permanent_code: permanentCode },
      })
    }
    const accessToken = asString(body.access_token)
    redactor.remember(accessToken)
    return { accessToken, expiresIn: asNumber(body.expires_in) }
  }

  async function fetchPermanentCode(tmpAuthCode: string): Promise<PermanentCodeResult> {
    requireId(tmpAuthCode, 'tmpAuthCode')
    redactor.remember(tmpAuthCode)
    const body = await suiteRequest<DingTalkResponse>({
      path: '/service/get_permanent_code',
      json: { tmp_auth_code: tmpAuthCode },
    })
    const corp = asRecord(body.auth_corp_info)
    const permanentCode = asString(body.permanent_code)
    redactor.remember(permanentCode)
    return {
      corpId: asString(corp.corpid),
      corpName: asString(corp.corp_name),
      permanentCode,
      chPermanentCode: asString(body.ch_permanent_code),
    }
  }

  const activate = async (corpId: string, permanentCode: string): Promise<void> => {
    await suiteRequest({
      path: '/service/activate_suite',
      json: { suite_key: suiteKey, auth_corpid: corpId, permanent_code: permanentCode },
    })
  }

  const getAuthInfo = async (corpId: string): Promise<SuiteAuthInfo> => {
    const record = await requireAuthorization(corpId)
    const body = await suiteRequest<DingTalkResponse>({
      path: '/service/get_auth_info',
      json: { auth_corpid: corpId, permanent_code: record.permanentCode, suite_key: suiteKey },
    })
    const corp = asRecord(body.auth_corp_info)
    return {
      corp: {
        corpId: asString(corp.corpid),
        corpName: asString(corp.corp_name),
        corpLogoUrl: asString(corp.corp_logo_url),
        industry: asString(corp.industry),
        inviteCode: asString(corp.invite_code),
        licenseCode: asString(corp.license_code),
        inviteUrl: asString(corp.invite_url),
        isAuthenticated: asBool(corp.is_authenticated),
        authLevel: asNumber(corp.auth_level),
      },
      authUser: { userId: asString(asRecord(body.auth_user_info).userId) },
      agents: asArray(asRecord(body.auth_info).agent).map((raw) => {
        const a = asRecord(raw)
        return {
          agentId: asNumber(a.agentid) ?? 0,
          agentName: asString(a.agent_name),
          appId: asNumber(a.appid),
          logoUrl: asString(a.logo_url),
          adminList: asArray(a.admin_list).map(String),
        }
      }),
    }
  }

  const agentIdOf = async (corpId: string): Promise<number | undefined> => {
    const record = await requireAuthorization(corpId)
    if (record.agentId !== undefined) return record.agentId
    const agentId = (await getAuthInfo(corpId)).agents[0]?.agentId
    if (agentId !== undefined) {
      const latest = await readAuthorization(corpId)
      if (latest?.permanentCode === record.permanentCode)
        await writeAuthorization(corpId, { ...latest, agentId })
    }
    return agentId
  }

  const suite: SuiteClient = {
    suiteKey,
    token: credentials.token,
    aesKey: credentials.aesKey,
    store,
    request: suiteRequest,
    async saveSuiteTicket(ticket) {
      requireId(ticket, 'ticket')
      redactor.remember(ticket)
      await store.set(ticketKey, ticket)
    },
    getSuiteTicket,
    getSuiteAccessToken: () => suiteToken.get(),
    invalidateSuiteAccessToken: (token) => suiteToken.invalidate(token),
    async handleTmpAuthCode(authCode) {
      requireId(authCode, 'tmpAuthCode')
      // A tmp code is single-use (40078 the second time, §4.3): when activation failed after the exchange,
      // DingTalk's re-push of the same code must activate the corp it was exchanged for, so that corp is
      // remembered for a day under the code's hash (never the code itself).
      const exchanged = key(`tmp_auth_code_${hashes().sha256Hex(authCode)}`)
      const known = await store.get(exchanged)
      const record = known === undefined ? undefined : await readAuthorization(known)
      if (known !== undefined && record !== undefined) {
        await activate(known, record.permanentCode)
        return { corpId: known }
      }
      const result = await fetchPermanentCode(authCode)
      if (result.corpId === '' || result.permanentCode === '') {
        throw new DingTalkError(
          'INVALID_RESPONSE',
          'get_permanent_code answered without corpid or permanent_code',
        )
      }
      // Persist before activating: a lost permanent code cannot be fetched again (the tmp code is single-use).
      await writeAuthorization(result.corpId, {
        permanentCode: result.permanentCode,
        ...(result.corpName ? { corpName: result.corpName } : {}),
      })
      await store.set(exchanged, result.corpId, 24 * 3600_000)
      await dropCorpState(result.corpId)
      await activate(result.corpId, result.permanentCode)
      return { corpId: result.corpId }
    },
    getPermanentCode: (async (input: string | { tmpAuthCode: string }) => {
      if (typeof input === 'string') {
        requireId(input, 'corpId')
        return (await readAuthorization(input))?.permanentCode
      }
      return fetchPermanentCode(input.tmpAuthCode)
    }) as SuiteClient['getPermanentCode'],
    async savePermanentCode(corpId, permanentCode, info = {}) {
      requireId(corpId, 'corpId')
      requireId(permanentCode, 'permanentCode')
      redactor.remember(permanentCode)
      await writeAuthorization(corpId, { permanentCode, agentId: info.agentId, corpName: info.corpName })
      await dropCorpState(corpId)
    },
    async hasCorp(corpId) {
      requireId(corpId, 'corpId')
      return (await readAuthorization(corpId)) !== undefined
    },
    async removeCorp(corpId) {
      requireId(corpId, 'corpId')
      await store.delete(key('permanent_code', corpId))
      await dropCorpState(corpId)
    },
    async activateSuite(corpId) {
      const { permanentCode } = await requireAuthorization(corpId)
      await activate(corpId, permanentCode)
    },
    getAuthInfo,
    async getAgent(corpId, agentId) {
      const record = await requireAuthorization(corpId)
      const id = agentId ?? (await agentIdOf(corpId))
      const body = await suiteRequest<DingTalkResponse>({
        path: '/service/get_agent',
        json: { suite_key: suiteKey, auth_corpid: corpId, permanent_code: record.permanentCode, agentid: id },
      })
      return {
        agentId: asNumber(body.agentid) ?? id ?? 0,
        name: asString(body.name),
        logoUrl: asString(body.logo_url),
        description: asString(body.description),
        close: asNumber(body.close),
      }
    },
    async setCorpIpWhitelist(corpId, ips) {
      requireId(corpId, 'corpId')
      await suiteRequest({
        path: '/service/set_corp_ipwhitelist',
        json: { auth_corpid: corpId, ip_whitelist: ips },
      })
    },
    getCorpToken,
    forCorp(corpId) {
      requireId(corpId, 'corpId')
      let client = corpClients.get(corpId)
      if (client === undefined) {
        client = createClientCore(
          {
            owner: suiteKey,
            appKey: undefined,
            corpId,
            keyCorpId: corpId,
            secrets: [],
            fetchAccessToken: async () => {
              const token = await getCorpToken(corpId)
              return { value: token.accessToken, expiresIn: token.expiresIn }
            },
            agentId: () => agentIdOf(corpId),
          },
          clientOptions,
        )
        corpClients.set(corpId, client)
      }
      return client
    },
  }
  rememberAppCredentials(suite, { clientId: suiteKey, clientSecret: suiteSecret })
  return suite
}
