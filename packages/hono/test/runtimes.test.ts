import { fileURLToPath } from 'node:url'
import { type ConformanceLog, runAdapterConformance } from '@dingtalk-kit/core/testing'
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

// The same Hono app, bundled once, on Bun, Deno and workerd against the emulator on 127.0.0.1. Node is
// proven where Node users run Hono, on @hono/node-server (conformance.test.ts): the harness's own Node host
// buffers whole bodies before the app sees them, which is not how a Node deployment behaves.
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
