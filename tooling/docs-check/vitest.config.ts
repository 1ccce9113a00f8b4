import { defineProject } from 'vitest/config'

export default defineProject({
  resolve: { conditions: ['@dingtalk-kit/source'] },
  ssr: { resolve: { conditions: ['@dingtalk-kit/source'] } },
  test: {
    name: 'docs-check',
    // One TypeScript program over every snippet and the packages' sources: seconds, more on a loaded machine.
    testTimeout: 120_000,
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
  },
})
