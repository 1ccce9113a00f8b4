import { signCallback } from '@dingtalk-kit/core/testing'

/**
 * Input of {@link callbackRequest}.
 *
 * @example
 * ```ts
 * const input: CallbackRequestInput = { token, aesKey, receiveId: corpId, event: { EventType: 'user_add_org', UserId: ['u1'] } }
 * ```
 */
export interface CallbackRequestInput {
  token: string
  aesKey: string
  /** The corpId, appKey or suiteKey the callback is encrypted for. */
  receiveId: string
  /** The decrypted payload DingTalk would send (an object is JSON-encoded). */
  event: Record<string, unknown> | string
  /** Default `http://localhost/dingtalk/callback`. */
  url?: string
  /** Default: now, in ms (§1.6). */
  timestamp?: string
  nonce?: string
}

/**
 * A callback `Request` signed and encrypted as DingTalk sends it (§1.5–§1.6), for testing your Hono app's
 * handlers with `app.request()` on any runtime (Web Crypto only).
 *
 * @example
 * ```ts
 * import { callbackRequest } from '@dingtalk-kit/hono/testing'
 * const response = await app.request(await callbackRequest({ token, aesKey, receiveId: corpId, event: { EventType: 'user_add_org', UserId: ['u1'], CorpId: corpId } }))
 * expect(response.status).toBe(200)
 * ```
 */
export async function callbackRequest(input: CallbackRequestInput): Promise<Request> {
  const { url = 'http://localhost/dingtalk/callback', ...rest } = input
  const signed = await signCallback(rest)
  return new Request(`${url}?${signed.search}`, {
    method: 'POST',
    headers: signed.headers,
    body: signed.body,
  })
}
