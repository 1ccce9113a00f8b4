// What `pnpm test` needs besides Node and pnpm. Runs first, so a fresh machine stops at once with one line per
// missing program, naming it and how to get it — instead of a test failing with ENOENT halfway through.
import { spawnSync } from 'node:child_process'

const runs = (command, args) => {
  const result = spawnSync(command, args, { stdio: 'ignore', timeout: 30_000 })
  return result.error === undefined && result.status === 0
}

const chromium = process.env.CHROMIUM_PATH || 'chromium'
const prerequisites = [
  {
    ok: () => runs('redis-server', ['--version']),
    line: 'redis-server is missing (the Redis store tests and the benchmark start their own): apt-get install redis-server (Debian/Ubuntu) or brew install redis (macOS)',
  },
  {
    ok: () => runs(chromium, ['--version']),
    line: `${chromium} is missing (the JSAPI page test drives a headless Chromium): apt-get install chromium (Debian/Ubuntu), or set CHROMIUM_PATH to a Chromium or Chrome binary (macOS: brew install --cask chromium)`,
  },
]

const missing = prerequisites.filter((p) => !p.ok())
for (const p of missing) console.error(`pnpm test: ${p.line}`)
process.exit(missing.length === 0 ? 0 : 1)
