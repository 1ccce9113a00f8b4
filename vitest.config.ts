import { defineConfig } from 'vitest/config'

// One vitest project per workspace package: `pnpm vitest` at the root runs them all,
// `pnpm --filter <pkg> test` runs one (turbo does the latter in CI).
export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*', 'test-matrix/*', 'tooling/*'],
  },
})
