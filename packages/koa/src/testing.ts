import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createCallbackCrypto } from '@dingtalk-kit/core'
import { type ConformanceApp, runAdapterConformance } from '@dingtalk-kit/core/testing'
import type Koa from 'koa'
import type { Middleware } from 'koa'
import { type DingTalkKoa, dingtalk } from './index'

/**
 * Runs the DingTalk adapter conformance suite (vitest, `@dingtalk-kit/emulator` installed) against your own
 * Koa app: `build` gets the DingTalk middleware and returns the app as you assemble it (body parser, auth,
 * CSRF, error handling…), so the suite proves that your middleware stack lets DingTalk's callbacks and the
 * jsapi-config and SSO routes through unchanged. The app is served on 127.0.0.1 for the suite's duration.
 *
 * @example
 * ```ts
 * // dingtalk.conformance.test.ts
 * import { runKoaConformance } from '@dingtalk-kit/koa/testing'
 * runKoaConformance('my app', (dingtalkMiddleware) => createMyApp({ before: [dingtalkMiddleware] }))
 * ```
 */
export function runKoaConformance(
  name: string,
  build: (middleware: Middleware, dt: DingTalkKoa) => Koa,
): void {
  runAdapterConformance(name, async (options) => {
    const dt = dingtalk(options)
    const server = createServer(build(dt.middleware(), dt).callback())
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const app: ConformanceApp = {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      close: () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections()
          server.close(() => resolve())
        }),
    }
    return app
  })
}

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
  const query = new URLSearchParams({
    msg_signature: crypto.sign(timestamp, nonce, encrypt),
    timeStamp: timestamp,
    nonce,
  })
  return {
    url: `${input.path ?? '/dingtalk/callback'}?${query}`,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ encrypt }),
  }
}
