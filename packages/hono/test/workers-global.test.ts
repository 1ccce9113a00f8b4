import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runAdapterConformance } from '@dingtalk-kit/core/vitest'
import { bundleModule, serveModule } from '../../core/test/runtimes/harness'

// Cloudflare Workers refuses random values, timers and I/O at global scope ("Disallowed operation called
// within global scope"). Users build the client, the store and the routes at module scope and
// `export default app`, so the whole conformance suite runs against exactly that: an entry written for this
// run with the setup as a literal, the app built when workerd evaluates the module — without nodejs_compat.
const build = fileURLToPath(new URL('./runtime-app-build.ts', import.meta.url))

runAdapterConformance('hono on workerd, built at global scope', async (_options, setup) => {
  const dir = await mkdtemp(join(tmpdir(), 'dingtalk-workers-global-'))
  const entry = join(dir, 'entry.ts')
  await writeFile(
    entry,
    [
      `import { buildConformanceApp } from ${JSON.stringify(build)}`,
      `const app = buildConformanceApp(${JSON.stringify(setup)})`,
      'export default app',
      '',
    ].join('\n'),
  )
  const bundle = await bundleModule(entry)
  const served = await serveModule('workerd', bundle.file, {
    workerd: { localNetwork: true, compatibilityFlags: [] },
    startTimeoutMs: 30_000,
  })
  return {
    url: served.url,
    close: async () => {
      await served.close()
      await bundle.cleanup()
      await rm(dir, { recursive: true, force: true })
    },
    log: async () => (await (await fetch(`${served.url}/__conformance/log`)).json()) as never,
  }
})
