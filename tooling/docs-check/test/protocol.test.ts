import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { expect, it } from 'vitest'
import { repositoryRoot } from '../src/index'

// Every `§n` / `§n.m` the code and the docs cite must be a heading of docs/protocol.md, so a reader can
// follow it. (The turbo `test` inputs of this package list the same folders.)
const protocol = join(repositoryRoot, 'docs/protocol.md')
const headings = new Set(
  [...readFileSync(protocol, 'utf8').matchAll(/^#{2,4} §(\d+(?:\.\d+)?) /gm)].map((m) => m[1]!),
)

function files(dir: string, accept: (name: string) => boolean): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (name === 'node_modules' || name === 'dist' || name === 'api') return []
    return statSync(path).isDirectory() ? files(path, accept) : accept(name) ? [path] : []
  })
}

const workspaces = ['packages', 'apps', 'test-matrix', 'tooling'].flatMap((group) =>
  readdirSync(join(repositoryRoot, group)).map((name) => join(repositoryRoot, group, name)),
)
const cited = [
  ...workspaces.flatMap((dir) => files(dir, (name) => /\.(ts|mts|js|mjs|md)$/.test(name))),
  ...files(join(repositoryRoot, 'docs'), (name) => name.endsWith('.md')).filter((f) => f !== protocol),
  join(repositoryRoot, 'README.md'),
]

it('has every section §1–§14, with §13.1–§13.7 (Stream mode) and §14.1–§14.4 (robots and cards)', () => {
  for (let n = 1; n <= 14; n++) expect(headings).toContain(String(n))
  for (let n = 1; n <= 7; n++) expect(headings).toContain(`13.${n}`)
  for (let n = 1; n <= 4; n++) expect(headings).toContain(`14.${n}`)
})

it('resolves every § citation in the code and the docs to a heading of docs/protocol.md', () => {
  const unresolved: string[] = []
  let citations = 0
  for (const file of cited) {
    const lines = readFileSync(file, 'utf8').split('\n')
    lines.forEach((line, i) => {
      // Sections of other documents ("RFC 9110 §9.3.6", "RFC 9111 §3, §4.2.2") are not ours to resolve.
      const own = line.replace(/RFC \d+ §[\d.]+(?:,? (?:and )?§[\d.]+)*/g, '')
      for (const m of own.matchAll(/§(\d+(?:\.\d+)?)/g)) {
        citations++
        if (!headings.has(m[1]!)) unresolved.push(`${relative(repositoryRoot, file)}:${i + 1}: §${m[1]}`)
      }
    })
  }
  expect(unresolved).toEqual([])
  expect(citations).toBeGreaterThan(300)
})
