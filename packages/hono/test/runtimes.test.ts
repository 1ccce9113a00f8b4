import type { AddressInfo } from 'node:net'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { type ConformanceLog, runAdapterConformance } from '@dingtalk-kit/core/vitest'
import { serve } from '@hono/node-server'
import { afterAll, beforeAll } from 'vitest'
// The core's runtime harness (Node, Bun, Deno, workerd from npm; see its header comment).
import { type Bundle, bundleModule, RUNTIMES, serveModule } from '../../core/test/runtimes/harness'

let bundle: Bundle

beforeAll(async () => {
  bundle = await bundleModule(fileURLToPath(new URL('./runtime-app.ts', import.meta.url)))
}, 60_000)

afterAll(async () => {
  await bundle?.cleanup()
})

// The same Hono app, bundled once, on Bun, Deno and workerd (the harness) and on Node through
// @hono/node-server (where Node users run Hono; the harness's own Node host buffers whole bodies before the app
// sees them, which no Node deployment does), against the emulator on 127.0.0.1.
const CASES = [
  ...RUNTIMES.filter((r) => r !== 'node').map((runtime) => ({
    name: runtime,
    runtime,
    flags: [] as string[],
  })),
  // With nodejs_compat, workerd offers AsyncLocalStorage: the concurrent path instead of one-at-a-time.
  { name: 'workerd with nodejs_compat', runtime: 'workerd' as const, flags: ['nodejs_compat'] },
]

for (const { name, runtime, flags } of CASES) {
  runAdapterConformance(`hono on ${name}`, async (_options, setup) => {
    const served = await serveModule(runtime, bundle.file, {
      env: { SETUP: JSON.stringify(setup) },
      workerd: { localNetwork: true, compatibilityFlags: flags },
      startTimeoutMs: 30_000,
    })
    return {
      url: served.url,
      close: () => served.close(),
      log: async () => (await (await fetch(`${served.url}/__conformance/log`)).json()) as ConformanceLog,
    }
  })
}

runAdapterConformance('hono on node (@hono/node-server)', async (_options, setup) => {
  const module = (await import(pathToFileURL(bundle.file).href)) as {
    default: { fetch(request: Request, env: { SETUP: string }, ctx: unknown): Response | Promise<Response> }
  }
  const env = { SETUP: JSON.stringify(setup) }
  return new Promise((resolve) => {
    const server = serve(
      { fetch: (request) => module.default.fetch(request, env, undefined), port: 0, hostname: '127.0.0.1' },
      (info: AddressInfo) => {
        const url = `http://127.0.0.1:${info.port}`
        resolve({
          url,
          close: () =>
            new Promise<void>((done) => {
              if ('closeAllConnections' in server) server.closeAllConnections()
              server.close(() => done())
            }),
          log: async () => (await (await fetch(`${url}/__conformance/log`)).json()) as ConformanceLog,
        })
      },
    )
  })
})
