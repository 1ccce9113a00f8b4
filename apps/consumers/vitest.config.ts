import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: 'consumers',
    // Test files share one module graph per worker (no per-file re-import): a third of the CPU time. Tests
    // keep no state in modules, and no test mocks a module or stubs a global.
    isolate: false,
    // Worker threads, not child processes: results and console output skip IPC (a sixth less CPU in all).
    pool: 'threads',
    // Transformed modules persist in node_modules/.experimental-vitest-cache, keyed by file content and config:
    // a run after a one-line change transforms that file, not the whole graph again.
    experimental: { fsModuleCache: true },
    // npm installs from the registry and real processes on a loaded 2-core machine: outcomes, never durations.
    testTimeout: 600_000,
    hookTimeout: 600_000,
    include: ['test/**/*.test.ts'],
  },
})
