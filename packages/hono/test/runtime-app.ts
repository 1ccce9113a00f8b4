// Bundled by runtimes.test.ts and served on Node, Bun, Deno and workerd through the core's runtime harness.
// The setup arrives as env, so the app is built on the first request (workers-global.test.ts covers the
// module-scope construction users write). Only the default export leaves this module (workerd takes every
// named export for an entrypoint).
import type { Hono } from 'hono'
import type { ConformanceSetup } from '../../core/src/testing/conformance-options'
import { buildConformanceApp } from './runtime-app-build'

let app: Hono | undefined

export default {
  fetch(request: Request, env: { SETUP: string }, ctx: unknown): Response | Promise<Response> {
    app ??= buildConformanceApp(JSON.parse(env.SETUP) as ConformanceSetup)
    return app.fetch(request, env, ctx as never)
  },
}
