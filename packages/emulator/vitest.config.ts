import { defineProject } from 'vitest/config'

export default defineProject({
  resolve: { conditions: ['@dingtalk-kit/source'] },
  ssr: { resolve: { conditions: ['@dingtalk-kit/source'] } },
  test: {
    name: 'emulator',
    // Test files share one module graph per worker (no per-file re-import): a third of the CPU time. Tests
    // keep no state in modules, and no test mocks a module or stubs a global.
    isolate: false,
    // Loaded 2-core CI machines: tests assert outcomes and counts, never durations, so give them room.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
  },
})
