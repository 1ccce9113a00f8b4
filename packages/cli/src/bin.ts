#!/usr/bin/env node
import { run } from './index'

run(process.argv.slice(2)).then((code) => {
  process.exitCode = code
})
