import { defineConfig } from 'tsdown'

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  platform: 'neutral',
  fixedExtension: false,
  target: 'es2022',
  sourcemap: true,
  // The tarball ships src/ (the maps point into it), so the maps need not carry a second copy of it.
  outputOptions: { sourcemapExcludeSources: true },
  clean: true,
})
