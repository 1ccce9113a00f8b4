// `@dingtalk-kit/koa/testing`: helpers that need no test runner (the conformance suite: `/vitest`).
import { signCallback } from '@dingtalk-kit/core/testing'

/**
 * Input of {@link signedCallback}.
 *
 * @example
 * ```ts
 * const input: SignedCallbackInput = { token, aesKey, receiveId: corpId, event: { EventType: 'user_add_org', UserId: ['u1'] } }
 * ```
 */
export interface SignedCallbackInput {
  token: string
  aesKey: string
  /** The corpId, appKey or suiteKey the callback is encrypted for. */
  receiveId: string
  /** The decrypted payload DingTalk would send (an object is JSON-encoded). */
  event: Record<string, unknown> | string
  /** Default `/dingtalk/callback`. */
  path?: string
  /** Default: now, in ms (§1.6). */
  timestamp?: string
  nonce?: string
}

/**
 * A callback signed and encrypted as DingTalk sends it (§1.5–§1.6), for testing your Koa app's event
 * handlers with supertest (or any HTTP client), without a DingTalk or an emulator.
 *
 * @example
 * ```ts
 * import { signedCallback } from '@dingtalk-kit/koa/testing'
 * const cb = await signedCallback({ token, aesKey, receiveId: corpId, event: { EventType: 'user_add_org', UserId: ['u1'], CorpId: corpId } })
 * const res = await request(app.callback()).post(cb.url).set(cb.headers).send(cb.body)
 * expect(res.status).toBe(200)
 * ```
 */
export async function signedCallback(
  input: SignedCallbackInput,
): Promise<{ url: string; headers: Record<string, string>; body: string }> {
  const { path = '/dingtalk/callback', ...rest } = input
  const signed = await signCallback(rest)
  return { url: `${path}?${signed.search}`, headers: signed.headers, body: signed.body }
}
