import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    name: 'consumers',
    // npm installs from the registry and real processes on a loaded 2-core machine: outcomes, never durations.
    testTimeout: 600_000,
    hookTimeout: 600_000,
    include: ['test/**/*.test.ts'],
  },
})
