import { asNumber, asString, type RequestFn } from '../api/context'
import { createTokenCache, type FetchedToken, type TokenCache } from '../auth/token-cache'
import type { TokenTuning } from '../client'
import { isTokenInvalid } from '../errors/catalogue'
import { credentialsErrorOf } from '../errors/credentials'
import { DingTalkApiError } from '../errors/request-errors'
import { DingTalkSuiteError } from '../errors/suite'
import { type ClientHooks, tokenRefreshReporter } from '../http/hooks'
import type { ClientObservers } from '../http/observer'
import type { DingTalkRequest, DingTalkResponse } from '../http/request'
import { requireId, type SuiteContext, suiteKeyOf } from './context'

/** The suite_ticket DingTalk pushes (§2.3), kept in the store for every instance. */
export interface SuiteTickets {
  save(ticket: string): Promise<void>
  get(): Promise<string | undefined>
  /** The stored ticket, or {@link DingTalkSuiteError} `SUITE_TICKET_MISSING` (the local 40085). */
  require(): Promise<string>
}

export function suiteTickets(ctx: SuiteContext): SuiteTickets {
  const key = suiteKeyOf(ctx, 'suite_ticket')
  const get = async (): Promise<string | undefined> => {
    const ticket = await ctx.store.get(key)
    if (ticket) ctx.redactor.remember(ticket)
    return ticket || undefined
  }
  return {
    async save(ticket) {
      requireId(ticket, 'ticket')
      ctx.redactor.remember(ticket)
      await ctx.store.set(key, ticket)
    },
    get,
    async require() {
      const ticket = await get()
      if (ticket === undefined) {
        throw new DingTalkSuiteError('SUITE_TICKET_MISSING', {
          suiteKey: ctx.suiteKey,
          message:
            `No suite_ticket stored for suite ${ctx.suiteKey} yet (like errcode 40085): DingTalk pushes one every ` +
            '20 minutes to the suite callback — wait for it, or press "re-push" in the developer console.',
        })
      }
      return ticket
    },
  }
}

// §4.5: the codes that mean "this suite_access_token is no longer valid".
const SUITE_TOKEN_INVALID = new Set([40082, 42009, 48003])

/** §4.3: no token in the URL; the latest suite_ticket in the body. 40088 means the suite's own credentials. */
async function fetchSuiteToken(ctx: SuiteContext, tickets: SuiteTickets): Promise<FetchedToken> {
  const ticket = await tickets.require()
  let body: DingTalkResponse
  try {
    body = await ctx.request<DingTalkResponse>({
      path: '/service/get_suite_token',
      json: { suite_key: ctx.suiteKey, suite_secret: ctx.suiteSecret, suite_ticket: ticket },
      auth: 'none',
    })
  } catch (error) {
    throw credentialsErrorOf(error, 'suite')
  }
  const value = asString(body.suite_access_token)
  ctx.redactor.remember(value)
  return { value, expiresIn: asNumber(body.expires_in) }
}

/**
 * The suite_access_token, cached and shared through the store, and the request function of `service/*`
 * calls: the token in the query string, dropped and refreshed once when DingTalk rejects it (§4.5).
 */
export function suiteToken(
  ctx: SuiteContext,
  tickets: SuiteTickets,
  options: { tokens?: TokenTuning | undefined; hooks: ClientHooks; observers: ClientObservers },
): { cache: TokenCache; request: RequestFn } {
  const cache = createTokenCache({
    ...options.tokens,
    store: ctx.store,
    key: suiteKeyOf(ctx, 'suite_access_token'),
    kind: 'suite_access_token',
    onRefresh: tokenRefreshReporter(options.hooks),
    observer: options.observers.around,
    fetch: () => fetchSuiteToken(ctx, tickets),
  })
  async function request<T = DingTalkResponse>(req: DingTalkRequest): Promise<T> {
    if (req.auth !== undefined && req.auth !== 'suite_access_token') return ctx.request<T>(req)
    let replayed = false
    for (;;) {
      const token = await cache.get()
      try {
        return await ctx.request<T>({
          ...req,
          auth: 'none',
          query: { suite_access_token: token, ...req.query },
        })
      } catch (error) {
        const invalid =
          error instanceof DingTalkApiError &&
          (SUITE_TOKEN_INVALID.has(error.errcode) || isTokenInvalid(error.errcode, error.subCode))
        if (invalid && !replayed) {
          replayed = true
          await cache.invalidate(token)
          continue
        }
        throw error
      }
    }
  }
  return { cache, request }
}
