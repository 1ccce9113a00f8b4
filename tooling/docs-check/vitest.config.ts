import { defineProject } from 'vitest/config'

export default defineProject({
  resolve: { conditions: ['@dingtalk-kit/source'] },
  ssr: { resolve: { conditions: ['@dingtalk-kit/source'] } },
  test: {
    name: 'docs-check',
    // Test files share one module graph per worker (no per-file re-import): a third of the CPU time. Tests
    // keep no state in modules, and no test mocks a module or stubs a global.
    isolate: false,
    // Worker threads, not child processes: results and console output skip IPC (a sixth less CPU in all).
    pool: 'threads',
    // Transformed modules persist in node_modules/.experimental-vitest-cache, keyed by file content and config:
    // a run after a one-line change transforms that file, not the whole graph again.
    experimental: { fsModuleCache: true },
    // One TypeScript program over every snippet and the packages' sources: seconds, more on a loaded machine.
    testTimeout: 120_000,
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
  },
})
