import { readFileSync } from 'node:fs'

/** The fence languages that are TypeScript (every other fence is left alone). */
const TS_LANGS = new Set(['ts', 'typescript', 'mts'])

/** What an HTML comment right above a fence may say (`<!-- snippet: flag … -->`). */
export type SnippetFlag = 'prelude' | 'continues' | 'declarations'

const FLAGS = new Set<string>(['prelude', 'continues', 'declarations'])

/** One ```ts fence of a Markdown file, with what its directive adds. */
export interface Snippet {
  /** The Markdown file, as given. */
  file: string
  /** 1-based line of the first line of code (the line after the opening fence). */
  line: number
  /** 0-based position among the TypeScript fences of its file. */
  index: number
  /** The code between the fences, without the fences' indentation. */
  code: string
  /** Code the directive puts before the snippet (declarations of the free names it uses). */
  prelude: string
  /**
   * `continues`: the snippet goes on from the previous TypeScript fence of the same file (which is put
   * before it). `declarations`: the fence lists signatures of `module`; each is checked against the export of
   * the same name.
   */
  flags: SnippetFlag[]
  /** With `declarations`: the module whose exports the listed signatures describe. */
  module?: string
}

const OPEN = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)[^`]*$/

function directiveAbove(
  lines: string[],
  fence: number,
  where: string,
): { flags: SnippetFlag[]; module?: string; prelude: string } {
  const none = { flags: [], prelude: '' }
  const last = lines[fence - 1]?.trim() ?? ''
  if (!last.endsWith('-->')) return none
  let start = fence - 1
  while (start >= 0 && !lines[start]!.trimStart().startsWith('<!--')) start--
  if (start < 0) return none
  const text = lines.slice(start, fence).join('\n').trim().replace(/^<!--/, '').replace(/-->$/, '')
  const match = /^\s*snippet:([^\n]*)\n?([\s\S]*)$/.exec(text)
  if (!match) return none
  const flags: SnippetFlag[] = []
  let module: string | undefined
  for (const word of match[1]!.trim().split(/\s+/).filter(Boolean)) {
    const [flag, value] = word.split('=', 2) as [string, string | undefined]
    if (!FLAGS.has(flag))
      throw new Error(`${where}: unknown snippet directive "${word}" (known: ${[...FLAGS].join(', ')})`)
    if (flag === 'declarations') {
      if (!value)
        throw new Error(`${where}: "declarations" needs the module it describes: declarations=<module>`)
      module = value
    }
    flags.push(flag as SnippetFlag)
  }
  return { flags, prelude: match[2]!.replace(/\s+$/, ''), ...(module ? { module } : {}) }
}

/** The TypeScript fences of one Markdown text (`file` is only used to name them). */
export function extractFromMarkdown(file: string, markdown: string): Snippet[] {
  const lines = markdown.split(/\r?\n/)
  const snippets: Snippet[] = []
  for (let i = 0; i < lines.length; i++) {
    const open = OPEN.exec(lines[i]!)
    if (!open) continue
    const [, indent, fence, lang] = open as unknown as [string, string, string, string]
    let end = i + 1
    const closing = new RegExp(`^\\s*${fence[0] === '`' ? '`' : '~'}{${fence.length},}\\s*$`)
    while (end < lines.length && !closing.test(lines[end]!)) end++
    if (end === lines.length) throw new Error(`${file}:${i + 1}: a fence that is never closed`)
    if (TS_LANGS.has(lang.toLowerCase())) {
      const body = lines
        .slice(i + 1, end)
        .map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l.trimStart()))
      snippets.push({
        file,
        line: i + 2,
        index: snippets.length,
        code: body.join('\n'),
        ...directiveAbove(lines, i, `${file}:${i + 1}`),
      })
    }
    i = end
  }
  return snippets
}

/**
 * Every TypeScript fence (```ts / ```typescript) of the given Markdown files, in order, with the
 * `<!-- snippet: … -->` directive written right above it, if any.
 *
 * @example
 * const snippets = extractSnippets(['README.md', 'packages/core/README.md'])
 * const problems = checkSnippets(snippets, { projectDir: 'tooling/docs-check' })
 */
export function extractSnippets(files: readonly string[]): Snippet[] {
  return files.flatMap((file) => extractFromMarkdown(file, readFileSync(file, 'utf8')))
}
