import { defineProject } from 'vitest/config'

export default defineProject({
  resolve: { conditions: ['@dingtalk-kit/source'] },
  ssr: { resolve: { conditions: ['@dingtalk-kit/source'] } },
  test: { name: 'koa', include: ['src/**/*.test.ts', 'test/**/*.test.ts'] },
})
