import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import { defineProject, type Plugin } from 'vitest/config'

// Every `@nestjs/*` import, in packages/nestjs's tests and sources too (whose own node_modules hold Nest 12),
// goes to this package's Nest 11 copies. Subpaths (`@nestjs/common/...`) follow their package.
const require = createRequire(import.meta.url)
const manifest = JSON.parse(readFileSync(new URL('package.json', import.meta.url), 'utf8')) as {
  devDependencies: Record<string, string>
}
/** Each `@nestjs/*` package in this package's devDependencies, and the folder of its (Nest 11) copy. */
export const nest11: Record<string, string> = Object.fromEntries(
  Object.keys(manifest.devDependencies)
    .filter((name) => name.startsWith('@nestjs/'))
    .map((name) => [name, dirname(require.resolve(`${name}/package.json`))]),
)
/** `@nestjs/x` and `@nestjs/x/...` to the Nest 11 copy's folder. */
export const nestAliases: { find: RegExp; replacement: string }[] = Object.entries(nest11).map(
  ([name, folder]) => ({ find: new RegExp(`^${name}(?=/|$)`), replacement: folder }),
)
// Aliases apply first: a bare `@nestjs/*` id left over has no Nest 11 copy here and would load Nest 12.
const onlyNest11: Plugin = {
  name: 'dingtalk-kit:only-nest-11',
  enforce: 'pre',
  resolveId(id, importer) {
    if (id.startsWith('@nestjs/'))
      throw new Error(
        `${id} (imported by ${importer}) has no Nest 11 copy: add it to test-matrix/nestjs-11's devDependencies`,
      )
  },
}

export default defineProject({
  plugins: [onlyNest11],
  resolve: { conditions: ['@dingtalk-kit/source'], alias: nestAliases },
  ssr: { resolve: { conditions: ['@dingtalk-kit/source'] } },
  test: {
    name: 'nestjs-11',
    // Test files share one module graph per worker (no per-file re-import): a third of the CPU time. Tests
    // keep no state in modules, and no test mocks a module or stubs a global.
    isolate: false,
    // Worker threads, not child processes: results and console output skip IPC (a sixth less CPU in all).
    pool: 'threads',
    // Transformed modules persist in node_modules/.experimental-vitest-cache, keyed by file content and config:
    // a run after a one-line change transforms that file, not the whole graph again.
    experimental: { fsModuleCache: true },
    // Loaded 2-core CI machines: tests assert outcomes and counts, never durations, so give them room.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    include: ['test/**/*.test.ts', '../../packages/nestjs/test/**/*.test.ts'],
  },
})
