import { join } from 'node:path'
import { expect, it } from 'vitest'
import { checkSnippets, extractSnippets, formatProblems, repositoryRoot } from '../src/index'

const projectDir = new URL('..', import.meta.url).pathname
// The guides under docs/ written against this checker (the others are not yet).
const GUIDES = ['docs/stream.md', 'docs/robots.md', 'docs/observability.md'].map((file) =>
  join(repositoryRoot, file),
)

it('type-checks every snippet of the checked guides against the packages’ sources', () => {
  const snippets = extractSnippets(GUIDES)
  expect(snippets.length).toBeGreaterThanOrEqual(4)
  expect(formatProblems(checkSnippets(snippets, { projectDir }), repositoryRoot)).toBe('')
})
