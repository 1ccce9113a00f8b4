import { createCallbackCrypto } from '../crypto/callback-crypto'

/**
 * Input of {@link signCallback}.
 *
 * @example
 * ```ts
 * const input: SignCallbackInput = { token, aesKey, receiveId: corpId, event: { EventType: 'user_add_org', UserId: ['u1'] } }
 * ```
 */
export interface SignCallbackInput {
  token: string
  aesKey: string
  /** The corpId, appKey or suiteKey the callback is encrypted for. */
  receiveId: string
  /** The decrypted payload DingTalk would send (an object is JSON-encoded). */
  event: Record<string, unknown> | string
  /** Default: now, in ms (§1.6). */
  timestamp?: string
  nonce?: string
  /** `new` (default): `msg_signature` + `timeStamp`; `legacy`: `signature` + `timestamp` (§1.6). */
  queryStyle?: 'new' | 'legacy'
}

/**
 * A callback signed and encrypted as DingTalk sends it: its query, headers and body.
 *
 * @example
 * ```ts
 * const signed: SignedCallback = await signCallback(input)
 * await fetch(`${url}/dingtalk/callback?${signed.search}`, { method: 'POST', headers: signed.headers, body: signed.body })
 * ```
 */
export interface SignedCallback {
  /** The signed query parameters. */
  query: Record<string, string>
  /** The same as a query string, without `?`. */
  search: string
  headers: Record<string, string>
  /** `{"encrypt":"…"}` */
  body: string
  encrypt: string
}

/**
 * Signs and encrypts a callback exactly as DingTalk does (§1.3–§1.6), for testing an app's callback route
 * with any HTTP client, without DingTalk or an emulator. Needs no test runner.
 *
 * @example
 * ```ts
 * import { signCallback } from '@dingtalk-kit/core/testing'
 * const cb = await signCallback({ token, aesKey, receiveId: corpId, event: { EventType: 'user_add_org', UserId: ['u1'], CorpId: corpId } })
 * const response = await fetch(`http://127.0.0.1:3000/dingtalk/callback?${cb.search}`, { method: 'POST', headers: cb.headers, body: cb.body })
 * ```
 */
export async function signCallback(input: SignCallbackInput): Promise<SignedCallback> {
  const crypto = createCallbackCrypto({
    token: input.token,
    aesKey: input.aesKey,
    receiveId: input.receiveId,
  })
  const encrypt = await crypto.encrypt(
    typeof input.event === 'string' ? input.event : JSON.stringify(input.event),
  )
  const timestamp = input.timestamp ?? String(Date.now())
  const nonce = input.nonce ?? Math.random().toString(36).slice(2, 10)
  const signature = crypto.sign(timestamp, nonce, encrypt)
  const query: Record<string, string> =
    input.queryStyle === 'legacy'
      ? { signature, timestamp, nonce }
      : { msg_signature: signature, timeStamp: timestamp, nonce }
  return {
    query,
    search: new URLSearchParams(query).toString(),
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ encrypt }),
    encrypt,
  }
}
