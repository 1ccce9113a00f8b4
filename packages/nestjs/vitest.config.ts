import { defineProject } from 'vitest/config'

export default defineProject({
  resolve: { conditions: ['@dingtalk-kit/source'] },
  ssr: { resolve: { conditions: ['@dingtalk-kit/source'] } },
  test: {
    name: 'nestjs',
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
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
  },
})
