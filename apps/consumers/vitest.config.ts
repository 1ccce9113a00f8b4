import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: 'consumers',
    // Test files share one module graph per worker (no per-file re-import): a third of the CPU time. Tests
    // keep no state in modules, and no test mocks a module or stubs a global.
    isolate: false,
    // npm installs from the registry and real processes on a loaded 2-core machine: outcomes, never durations.
    testTimeout: 600_000,
    hookTimeout: 600_000,
    include: ['test/**/*.test.ts'],
  },
})
