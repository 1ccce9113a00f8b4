import type { DingTalkClient, DingTalkClientOptions } from '../client'
import type { ClientObserver } from '../http/observer'
import type { DingTalkRequest, DingTalkResponse } from '../http/pipeline'
import type { Store } from '../store/store'

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
  /**
   * Adds an observer of the suite's API calls and refreshes (suite_access_token) and of those of every corp
   * client from `forCorp()`, now and later (see `DingTalkClient.observe`). Returns a function that removes it.
   *
   * @example
   * ```ts
   * const stop = suite.observe({ refresh: (r, run) => run().finally(() => console.log(r.kind, r.event?.outcome)) })
   * ```
   */
  observe(observer: ClientObserver): () => void
}
