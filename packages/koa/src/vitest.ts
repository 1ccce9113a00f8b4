// `@dingtalk-kit/koa/vitest`: the adapter conformance suite for your own Koa app (needs vitest).
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type ConformanceApp, runAdapterConformance } from '@dingtalk-kit/core/vitest'
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
 * import { runKoaConformance } from '@dingtalk-kit/koa/vitest'
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
