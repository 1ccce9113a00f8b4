import { readFileSync } from 'node:fs'
import { relative } from 'node:path'
import { expect, it } from 'vitest'
import { checkSnippets, extractSnippets, formatProblems, readmeFiles, repositoryRoot } from '../src/index'

const projectDir = new URL('..', import.meta.url).pathname
const files = readmeFiles()

it('finds the root README and every package README', () => {
  const names = files.map((f) => relative(repositoryRoot, f))
  expect(names).toContain('README.md')
  for (const pkg of ['core', 'koa', 'hono', 'nestjs', 'redis', 'stream', 'otel', 'emulator', 'cli'])
    expect(names).toContain(`packages/${pkg}/README.md`)
})

it('extracts every TypeScript fence of those READMEs (none is passed over)', () => {
  const snippets = extractSnippets(files)
  for (const file of files) {
    const fences = readFileSync(file, 'utf8').match(/^\s*(```|~~~)\s*(ts|typescript|mts)\s*$/gim) ?? []
    expect(snippets.filter((s) => s.file === file)).toHaveLength(fences.length)
  }
  expect(snippets.length).toBeGreaterThan(20)
})

it("type-checks every README snippet against the packages' sources", () => {
  const problems = checkSnippets(extractSnippets(files), { projectDir })
  expect(formatProblems(problems, repositoryRoot)).toBe('')
})
