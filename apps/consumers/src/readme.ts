import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT } from './workspace'

/** A quickstart of the root README, as it is written there. */
export interface Quickstart {
  heading: string
  /** Packages of the `npm i …` lines (without flags), and of the `npm i -D …` lines. */
  dependencies: string[]
  devDependencies: string[]
  /** The TypeScript block, verbatim. */
  code: string
}

/**
 * The quickstart under the README heading that starts with `### <title>`: the first ```sh block's `npm i`
 * lines and the first ```ts block of that section. Read at run time, so the test follows the README.
 */
export function quickstart(title: string, readme = join(ROOT, 'README.md')): Quickstart {
  const lines = readFileSync(readme, 'utf8').split('\n')
  const start = lines.findIndex((line) => line === `### ${title}` || line.startsWith(`### ${title} `))
  if (start < 0) throw new Error(`README.md has no "### ${title}" quickstart`)
  const end = lines.findIndex((line, i) => i > start && /^#{1,3} /.test(line))
  const section = lines.slice(start + 1, end < 0 ? undefined : end)
  const block = (lang: string): string[] => {
    const open = section.indexOf(`\`\`\`${lang}`)
    if (open < 0) throw new Error(`the "${title}" quickstart has no \`\`\`${lang} block`)
    const close = section.indexOf('```', open + 1)
    return section.slice(open + 1, close)
  }
  const dependencies: string[] = []
  const devDependencies: string[] = []
  for (const line of block('sh')) {
    const words = line.replace(/#.*$/, '').trim().split(/\s+/)
    if (words[0] !== 'npm' || !['i', 'install', 'add'].includes(words[1] ?? '')) continue
    const dev = words.includes('-D') || words.includes('--save-dev')
    const packages = words.slice(2).filter((word) => !word.startsWith('-'))
    ;(dev ? devDependencies : dependencies).push(...packages)
  }
  if (dependencies.length === 0) throw new Error(`the "${title}" quickstart has no npm i line`)
  return { heading: lines[start]!, dependencies, devDependencies, code: `${block('ts').join('\n')}\n` }
}
