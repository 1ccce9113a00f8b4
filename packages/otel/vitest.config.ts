import { defineProject } from 'vitest/config'

export default defineProject({
  resolve: { conditions: ['@dingtalk-kit/source'] },
  ssr: { resolve: { conditions: ['@dingtalk-kit/source'] } },
  test: {
    name: 'otel',
    // Loaded 2-core CI machines: tests assert outcomes and counts, never durations, so give them room.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
  },
})
