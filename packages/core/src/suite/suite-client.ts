import { rememberAppCredentials } from '../auth/app-credentials'
import type { DingTalkClientOptions } from '../client'
import { runtimeFetch } from '../http/deadline'
import { ClientObservers } from '../http/observer'
import { createPipeline } from '../http/pipeline'
import { Redactor } from '../http/redact'
import { retryPolicy } from '../http/retry'
import { memoryStore } from '../store/store'
import { authorizations } from './authorizations'
import { requireId, type SuiteContext } from './context'
import { corpClients } from './corp-clients'
import { corpTokenFetcher } from './corp-token'
import { serviceCalls } from './service-calls'
import { suiteTickets, suiteToken } from './suite-token'
import { handleTmpAuthCode } from './tmp-auth-code'
import type { SuiteClient, SuiteClientOptions, SuiteCredentials } from './types'

export type {
  CorpAuthorization,
  CorpTokenMode,
  PermanentCodeResult,
  SuiteAgent,
  SuiteAuthInfo,
  SuiteClient,
  SuiteClientOptions,
  SuiteCredentials,
} from './types'

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
  const observers = new ClientObservers()
  const redactor = new Redactor(256)
  redactor.remember(suiteSecret)
  redactor.remember(credentials.aesKey)
  redactor.remember(credentials.token)
  const request = createPipeline({
    baseUrl,
    fetch: options.fetch ?? runtimeFetch,
    timeoutMs: options.timeoutMs ?? 10_000,
    retry: retryPolicy(options.retry),
    hooks,
    redactor,
    tokens: {},
    observers,
  })
  const ctx: SuiteContext = { suiteKey, suiteSecret, store, redactor, now: options.now ?? Date.now, request }
  const tickets = suiteTickets(ctx)
  const token = suiteToken(ctx, tickets, { tokens: options.tokens, hooks, observers })
  const corps = authorizations(ctx)
  const service = serviceCalls(ctx, token.request, corps)
  const mode = options.corpTokenMode ?? 'suite_token'
  const getCorpToken = corpTokenFetcher(ctx, { tickets, suiteRequest: token.request, corps, mode })
  const clientOptions: DingTalkClientOptions = { ...options, baseUrl, store, hooks }
  const clients = corpClients(ctx, {
    getCorpToken,
    agentIdOf: service.agentIdOf,
    options: clientOptions,
    observers,
  })

  const suite: SuiteClient = {
    suiteKey,
    token: credentials.token,
    aesKey: credentials.aesKey,
    store,
    request: token.request,
    saveSuiteTicket: tickets.save,
    getSuiteTicket: tickets.get,
    getSuiteAccessToken: () => token.cache.get(),
    invalidateSuiteAccessToken: (value) => token.cache.invalidate(value),
    handleTmpAuthCode: (authCode) => handleTmpAuthCode(ctx, { corps, service, clients }, authCode),
    getPermanentCode: (async (input: string | { tmpAuthCode: string }) => {
      if (typeof input === 'string') {
        requireId(input, 'corpId')
        return (await corps.read(input))?.permanentCode
      }
      return service.fetchPermanentCode(input.tmpAuthCode)
    }) as SuiteClient['getPermanentCode'],
    async savePermanentCode(corpId, permanentCode, info = {}) {
      requireId(corpId, 'corpId')
      requireId(permanentCode, 'permanentCode')
      redactor.remember(permanentCode)
      await corps.write(corpId, { permanentCode, agentId: info.agentId, corpName: info.corpName })
      await clients.forget(corpId)
    },
    async hasCorp(corpId) {
      requireId(corpId, 'corpId')
      return (await corps.read(corpId)) !== undefined
    },
    async removeCorp(corpId) {
      requireId(corpId, 'corpId')
      await corps.remove(corpId)
      await clients.forget(corpId)
    },
    async activateSuite(corpId) {
      const { permanentCode } = await corps.require(corpId)
      await service.activate(corpId, permanentCode)
    },
    getAuthInfo: service.getAuthInfo,
    getAgent: service.getAgent,
    setCorpIpWhitelist: service.setCorpIpWhitelist,
    getCorpToken,
    forCorp: clients.get,
    observe: (observer) => observers.add(observer),
  }
  rememberAppCredentials(suite, { clientId: suiteKey, clientSecret: suiteSecret })
  return suite
}
