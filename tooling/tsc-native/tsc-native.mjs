#!/usr/bin/env node
// `tsc-native …` runs TypeScript 7's native compiler (the Go port, about 5× faster here) with the given
// arguments. It lives in a package of its own because TypeScript 7 and 5 both install a `tsc` bin: side by
// side in the root, whichever pnpm links last would win. TypeScript 7 has no compiler API, so TypeDoc, tsdown
// and the docs check keep loading TypeScript 5.9 (the root's `typescript`). The wrapper needs nothing of
// Node 22: on Node 20 TypeScript's own launcher spawns the native binary instead of exec'ing it.
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'

const typescript = dirname(createRequire(import.meta.url).resolve('typescript/package.json'))
await import(pathToFileURL(join(typescript, 'lib/tsc.js')).href)
