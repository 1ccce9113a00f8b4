import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { repositoryRoot } from '../src/index'

// CONTRIBUTING.md "Where tests go": a test beside its code (src/) runs in the test process only.
const STARTS_SOMETHING =
  /from '(node:http|node:https|node:net|node:child_process|ioredis|ws)'|\bstartEmulator\(|\bcreateServer\(|\bspawn\(|\bredis-server\b/

function tracked(pattern: string): string[] {
  const out = execFileSync('git', ['ls-files', '--', pattern], { cwd: repositoryRoot, encoding: 'utf8' })
  return out.split('\n').filter(Boolean)
}

it('no unit test beside the code starts a server, a process, the emulator or Redis', () => {
  const files = [
    'packages/*/src/**/*.test.ts',
    'apps/*/src/**/*.test.ts',
    'tooling/*/src/**/*.test.ts',
  ].flatMap(tracked)
  expect(files.length).toBeGreaterThan(20)
  const offenders = files.filter((file) =>
    STARTS_SOMETHING.test(readFileSync(join(repositoryRoot, file), 'utf8')),
  )
  expect(offenders).toEqual([])
})
