import { asNumber, asString, type RequestFn } from '../api/context'
import { credentialsErrorOf } from '../errors/credentials'
import type { DingTalkResponse } from '../http/request'
import { signIsvRequest } from '../signing/isv'
import type { Authorizations } from './authorizations'
import { requireId, type SuiteContext } from './context'
import type { SuiteTickets } from './suite-token'
import type { CorpTokenMode, SuiteClient } from './types'

/**
 * A fresh corp access_token (§4.3 with the suite token and the stored permanent code, or the HMAC-signed
 * form of §4.4), uncached: `forCorp` clients cache it.
 */
export function corpTokenFetcher(
  ctx: SuiteContext,
  parts: { tickets: SuiteTickets; suiteRequest: RequestFn; corps: Authorizations; mode: CorpTokenMode },
): SuiteClient['getCorpToken'] {
  const signed = async (corpId: string): Promise<DingTalkResponse> => {
    requireId(corpId, 'corpId')
    const suiteTicket = await parts.tickets.require()
    const timestamp = String(ctx.now())
    // §4.4: signature = Base64(HMAC-SHA256(suiteSecret, timestamp + "\n" + suiteTicket)), ms timestamp.
    const signature = signIsvRequest({ secret: ctx.suiteSecret, timestamp, suiteTicket })
    ctx.redactor.remember(signature)
    try {
      return await ctx.request<DingTalkResponse>({
        path: '/service/get_corp_token',
        query: { accessKey: ctx.suiteKey, timestamp, suiteTicket, signature },
        json: { auth_corpid: corpId },
        auth: 'none',
      })
    } catch (error) {
      // §4.4: 853003 names the suiteKey (accessKey), 853004 the suiteSecret the signature was made with.
      throw credentialsErrorOf(error, 'suite')
    }
  }
  const withSuiteToken = async (corpId: string): Promise<DingTalkResponse> => {
    const { permanentCode } = await parts.corps.require(corpId)
    return parts.suiteRequest<DingTalkResponse>({
      path: '/service/get_corp_token',
      json: { auth_corpid: corpId, permanent_code: permanentCode },
    })
  }
  return async (corpId, options = {}) => {
    const mode = options.mode ?? parts.mode
    const body = mode === 'signed' ? await signed(corpId) : await withSuiteToken(corpId)
    const accessToken = asString(body.access_token)
    ctx.redactor.remember(accessToken)
    return { accessToken, expiresIn: asNumber(body.expires_in) }
  }
}
