import { expect, it } from 'vitest'
import { extractFromMarkdown } from './extract'

it('takes only TypeScript fences, with the line of their first line of code', () => {
  const markdown = [
    '# x',
    '```sh',
    'pnpm test',
    '```',
    '',
    '```ts',
    'const a = 1',
    '```',
    '~~~typescript',
    'let b',
    '~~~',
  ].join('\n')
  expect(extractFromMarkdown('x.md', markdown)).toEqual([
    { file: 'x.md', line: 7, index: 0, code: 'const a = 1', prelude: '', flags: [] },
    { file: 'x.md', line: 10, index: 1, code: 'let b', prelude: '', flags: [] },
  ])
})

it('strips the indentation of a fence inside a list item', () => {
  const [snippet] = extractFromMarkdown(
    'x.md',
    ['- item', '  ```ts', '  if (a) {', '    b()', '  }', '  ```'].join('\n'),
  )
  expect(snippet?.code).toBe('if (a) {\n  b()\n}')
})

it('reads the directive right above a fence, and only there', () => {
  const markdown = [
    '<!-- snippet: continues prelude',
    'declare const token: string',
    '-->',
    '```ts',
    'use(token)',
    '```',
    '<!-- snippet: continues -->',
    '',
    '```ts',
    'x',
    '```',
  ].join('\n')
  const [first, second] = extractFromMarkdown('x.md', markdown)
  expect(first).toMatchObject({ flags: ['continues', 'prelude'], prelude: 'declare const token: string' })
  expect(second).toMatchObject({ flags: [], prelude: '' })
})

it('refuses an unknown directive and an unclosed fence instead of passing them over', () => {
  expect(() =>
    extractFromMarkdown('x.md', ['<!-- snippet: skip -->', '```ts', 'x', '```'].join('\n')),
  ).toThrow(/unknown snippet directive "skip"/)
  expect(() => extractFromMarkdown('x.md', ['```ts', 'x'].join('\n'))).toThrow(/never closed/)
})
