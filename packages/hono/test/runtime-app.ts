// Bundled by runtimes.test.ts and served on Node, Bun, Deno and workerd through the core's runtime harness:
// the conformance app built from the setup the suite passes as env, its handlers' log at /__conformance/log.
// Only the default export leaves this module (workerd takes every named export for an entrypoint).
import { Hono } from 'hono'
import {
  type ConformanceLog,
  type ConformanceSetup,
  conformanceRoutesOptions,
} from '../../core/src/testing/conformance-options'
import { dingtalk } from '../src/index'

const log: ConformanceLog = { events: [], errors: [] }
let app: Hono | undefined

function build(setup: ConformanceSetup): Hono {
  const { prefix, ...options } = conformanceRoutesOptions(setup, log)
  const built = new Hono()
  built.get('/__conformance/log', (c) => c.json(log))
  return built.route(prefix, dingtalk(options))
}

export default {
  fetch(request: Request, env: { SETUP: string }, ctx: unknown): Response | Promise<Response> {
    app ??= build(JSON.parse(env.SETUP) as ConformanceSetup)
    return app.fetch(request, env, ctx as never)
  },
}
