import { defineConfig } from 'tsdown'

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    crypto: 'src/crypto/index.ts',
    events: 'src/events/index.ts',
    errors: 'src/errors/index.ts',
    testing: 'src/testing/index.ts',
    vitest: 'src/testing/vitest.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  platform: 'neutral',
  target: 'es2022',
  sourcemap: true,
  // The tarball ships src/ (the maps point into it), so the maps need not carry a second copy of it.
  outputOptions: { sourcemapExcludeSources: true },
  clean: true,
})
