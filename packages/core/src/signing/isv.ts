import { DingTalkError } from '../errors/base'
import { hashes } from '../hash/index'

/** Inputs of the HMAC-SHA256 request signature of §4.4. */
export interface IsvSignatureInput {
  /** The suiteSecret (ISV), appSecret (SNS) or customSecret (custom apps). */
  secret: string
  /** Milliseconds since the epoch, as sent in the `timestamp` query parameter. */
  timestamp: string | number
  /** The latest suite_ticket; omit for the SNS form that signs the timestamp alone. */
  suiteTicket?: string
}

/**
 * The request signature of §4.4: Base64 of HMAC-SHA256(secret, `timestamp` or `timestamp\nsuiteTicket`).
 * Returned raw; {@link isvSignedQuery} URL-encodes it as DingTalk requires.
 *
 * @example
 * ```ts
 * signIsvRequest({ secret: 'testappSecret', timestamp: 1546084445901 })
 * // → 'HCbG3xNE3vzhO+u7qCUL1jS5hsu2n5r2cFhnTrtyDAE='
 * ```
 */
export function signIsvRequest(input: IsvSignatureInput): string {
  const timestamp = String(input.timestamp)
  if (typeof input.secret !== 'string' || input.secret.length === 0) {
    throw new DingTalkError(
      'ISV_MISSING_SECRET',
      'The request signature needs the suiteSecret (or appSecret).',
    )
  }
  if (!/^\d+$/.test(timestamp)) {
    throw new DingTalkError('ISV_INVALID_TIMESTAMP', 'The request signature timestamp must be milliseconds.')
  }
  const message = input.suiteTicket === undefined ? timestamp : `${timestamp}\n${input.suiteTicket}`
  return hashes().hmacSha256Base64(input.secret, message)
}

/**
 * The query string of a signed ISV call (§4.4), e.g. `service/get_corp_token` in its signed form:
 * `accessKey`, `timestamp`, `suiteTicket`, `signature` — percent-encoded (RFC 3986, as DingTalk asks).
 *
 * @example
 * ```ts
 * const query = isvSignedQuery({ accessKey: suiteKey, secret: suiteSecret, suiteTicket })
 * await fetch(`https://oapi.dingtalk.com/service/get_corp_token?${query}`, { method: 'POST', ... })
 * ```
 */
export function isvSignedQuery(input: {
  accessKey: string
  secret: string
  suiteTicket?: string
  timestamp?: string | number
}): string {
  const timestamp = String(input.timestamp ?? Date.now())
  const signature = signIsvRequest({
    secret: input.secret,
    timestamp,
    ...(input.suiteTicket === undefined ? {} : { suiteTicket: input.suiteTicket }),
  })
  const parts = [`accessKey=${encodeURIComponent(input.accessKey)}`, `timestamp=${timestamp}`]
  if (input.suiteTicket !== undefined) parts.push(`suiteTicket=${encodeURIComponent(input.suiteTicket)}`)
  parts.push(`signature=${encodeURIComponent(signature)}`)
  return parts.join('&')
}
