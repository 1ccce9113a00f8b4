import { expect, it } from 'vitest'
import { checkSnippets } from './check'
import { extractFromMarkdown } from './extract'

const projectDir = new URL('..', import.meta.url).pathname

const check = (markdown: string) =>
  checkSnippets(extractFromMarkdown('doc.md', markdown), { projectDir, tsconfig: 'tsconfig.unit.json' })
const fence = (...lines: string[]): string[] => ['```ts', ...lines, '```']
const importSign = "import { sign } from '@dingtalk-kit/core'"

it('passes a snippet that uses real exports the right way', () => {
  const problems = check(
    fence(
      importSign,
      "const signature: string = sign({ token: 't', timestamp: '1', nonce: 'n', encrypt: 'e' })",
    ).join('\n'),
  )
  expect(problems).toEqual([])
})

it('fails a snippet that imports an export that does not exist, at its line in the Markdown', () => {
  const problems = check(['# t', '', ...fence("import { signn } from '@dingtalk-kit/core'")].join('\n'))
  expect(problems).toEqual([expect.objectContaining({ where: 'doc.md:4', code: 2724 })])
})

it('fails a snippet that calls an export with the wrong shape', () => {
  const problems = check(fence(importSign, "sign({ token: 't' })").join('\n'))
  expect(problems.map((p) => [p.where, p.code])).toEqual([['doc.md:3', 2345]])
})

it('fails a snippet that uses a name nothing declares, and passes it once a prelude declares it', () => {
  const body = fence(importSign, 'sign({ token: t, timestamp: ts, nonce: n, encrypt: e })')
  expect(check(body.join('\n')).map((p) => p.code)).toEqual([2304, 2304, 2304, 2304])
  const prelude = [
    '<!-- snippet: prelude',
    'declare const t: string, ts: string, n: string, e: string',
    '-->',
  ]
  expect(check([...prelude, ...body].join('\n'))).toEqual([])
})

it('runs a "continues" fence after the one before it', () => {
  const markdown = [
    ...fence(importSign, "const signature = sign({ token: 't', timestamp: '1', nonce: 'n', encrypt: 'e' })"),
    'then',
    '<!-- snippet: continues -->',
    ...fence('const n: number = signature'),
  ]
  expect(check(markdown.join('\n')).map((p) => [p.where, p.code])).toEqual([['doc.md:8', 2322]])
})

it('checks a "declarations" fence against the real export, both ways', () => {
  const documented = (field: string) =>
    [
      '<!-- snippet: declarations=@dingtalk-kit/core -->',
      ...fence(
        `function sign(params: { token: string; timestamp: string; nonce: string; ${field}: string }): string`,
      ),
    ].join('\n')
  expect(check(documented('encrypt'))).toEqual([])
  const drifted = check(documented('encrypted'))
  expect(drifted.map((p) => [p.where, p.code])).toEqual([['doc.md:2 (directive or generated check)', 2322]])
})
