import { join, relative, resolve } from 'node:path'
import ts from 'typescript'
import type { Snippet } from './extract'

/** One type error, placed in the Markdown file. */
export interface SnippetProblem {
  /** `file:line` in the Markdown (the fence's line for an error in the directive's prelude). */
  where: string
  /** TypeScript's code, e.g. 2305 for a missing export. */
  code: number
  message: string
}

export interface CheckOptions {
  /**
   * The folder whose `tsconfig.json` and `node_modules` the snippets are compiled with, as if they were
   * files in it (so `import … from '@dingtalk-kit/koa'` resolves the way a user's import does, here to the
   * workspace package's source through the `@dingtalk-kit/source` condition).
   */
  projectDir: string
  /** The tsconfig in `projectDir` to compile them with. Default `tsconfig.snippets.json`. */
  tsconfig?: string
}

interface Composed {
  snippet: Snippet
  path: string
  text: string
  /** 0-based line ranges of the virtual file and where each maps to. */
  ranges: { from: number; to: number; snippet: Snippet; kind: 'code' | 'prelude' }[]
}

const NAME = /[^A-Za-z0-9]+/g
const previousPrograms = new Map<string, ts.Program>()

/** The declared names at the top of a `declarations` fence: the exports it describes. */
function declaredNames(code: string): { name: string; isType: boolean }[] {
  const source = ts.createSourceFile('declarations.ts', code, ts.ScriptTarget.Latest, false)
  const names: { name: string; isType: boolean }[] = []
  for (const statement of source.statements) {
    if (ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement))
      names.push({ name: statement.name.text, isType: true })
    else if ((ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement)) && statement.name)
      names.push({ name: statement.name.text, isType: false })
  }
  return names
}

function compose(snippets: readonly Snippet[], projectDir: string): Composed[] {
  const composed: Composed[] = []
  const lastOfFile = new Map<string, Composed>()
  for (const snippet of snippets) {
    const lines: string[] = []
    const ranges: Composed['ranges'] = []
    const push = (text: string, owner: Snippet, kind: 'code' | 'prelude'): void => {
      if (text === '') return
      const from = lines.length
      lines.push(...text.split('\n'))
      ranges.push({ from, to: lines.length, snippet: owner, kind })
    }
    if (snippet.flags.includes('continues')) {
      const previous = lastOfFile.get(snippet.file)
      if (!previous)
        throw new Error(`${snippet.file}:${snippet.line - 1}: "continues" but no TypeScript fence before it`)
      const body = previous.text.split('\n').slice(0, -2) // without its closing `export {}`
      for (const r of previous.ranges) {
        const from = lines.length
        lines.push(...body.slice(r.from, r.to))
        ranges.push({ from, to: lines.length, snippet: r.snippet, kind: r.kind })
      }
    }
    if (snippet.flags.includes('declarations')) {
      const names = declaredNames(snippet.code)
      if (names.length === 0)
        throw new Error(`${snippet.file}:${snippet.line - 1}: "declarations" but the fence declares nothing`)
      push(`import type * as __Real from '${snippet.module}'`, snippet, 'prelude')
      push(snippet.prelude, snippet, 'prelude')
      push('declare namespace __Documented {', snippet, 'prelude')
      push(snippet.code, snippet, 'code')
      const checks = [
        '}',
        'type __Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false',
        ...names.map(({ name, isType }) =>
          isType
            ? `const __${name}_as_documented: __Same<__Documented.${name}, __Real.${name}> = true`
            : `const __${name}_as_documented: __Same<typeof __Documented.${name}, typeof __Real.${name}> = true`,
        ),
      ]
      push(checks.join('\n'), snippet, 'prelude')
    } else {
      push(snippet.prelude, snippet, 'prelude')
      push(snippet.code, snippet, 'code')
    }
    lines.push('', 'export {}')
    const path = join(projectDir, '.snippets', `${snippet.file.replace(NAME, '_')}_${snippet.index}.ts`)
    const item = { snippet, path, text: lines.join('\n'), ranges }
    composed.push(item)
    lastOfFile.set(snippet.file, item)
  }
  return composed
}

function compilerOptions(projectDir: string, tsconfig: string): ts.CompilerOptions {
  const configPath = join(projectDir, tsconfig)
  const parsed = ts.getParsedCommandLineOfConfigFile(
    configPath,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'))
      },
    },
  )
  if (!parsed) throw new Error(`cannot read ${configPath}`)
  return { ...parsed.options, noEmit: true }
}

/**
 * Type-checks each snippet as a module of its own in `projectDir` (with its directive's prelude, and the
 * fence before it for `continues`) in one TypeScript program, and returns every error, placed in the
 * Markdown. An empty list means every snippet compiles against the packages as they are.
 *
 * @example
 * const problems = checkSnippets(extractSnippets(['README.md']), { projectDir: 'tooling/docs-check' })
 * for (const p of problems) console.error(`${p.where}: TS${p.code} ${p.message}`)
 */
export function checkSnippets(snippets: readonly Snippet[], options: CheckOptions): SnippetProblem[] {
  const projectDir = resolve(options.projectDir)
  const composed = compose(snippets, projectDir)
  const byPath = new Map(composed.map((c) => [c.path, c]))
  const compiler = compilerOptions(projectDir, options.tsconfig ?? 'tsconfig.snippets.json')
  const host = ts.createCompilerHost(compiler, true)
  const { fileExists, readFile, getSourceFile } = host
  host.fileExists = (name) => byPath.has(resolve(name)) || fileExists.call(host, name)
  host.readFile = (name) => byPath.get(resolve(name))?.text ?? readFile.call(host, name)
  host.getSourceFile = (name, language, onError, create) => {
    const virtual = byPath.get(resolve(name))
    return virtual
      ? ts.createSourceFile(name, virtual.text, language, true)
      : getSourceFile.call(host, name, language, onError, create)
  }
  // The previous program's unchanged files (the packages' sources, the libraries' types) are reused.
  const program = ts.createProgram({
    rootNames: composed.map((c) => c.path),
    options: compiler,
    host,
    oldProgram: previousPrograms.get(projectDir),
  })
  previousPrograms.set(projectDir, program)
  const problems: SnippetProblem[] = []
  const seen = new Set<string>()
  for (const file of composed) {
    const source = program.getSourceFile(file.path)
    if (!source) throw new Error(`the snippet ${file.snippet.file}:${file.snippet.line} did not compile`)
    const diagnostics = [
      ...program.getSyntacticDiagnostics(source),
      ...program.getSemanticDiagnostics(source),
    ]
    for (const d of diagnostics) {
      const line = d.start === undefined ? 0 : source.getLineAndCharacterOfPosition(d.start).line
      const range = file.ranges.find((r) => line >= r.from && line < r.to)
      const owner = range?.snippet ?? file.snippet
      const where =
        range?.kind === 'code'
          ? `${owner.file}:${owner.line + line - range.from}`
          : `${owner.file}:${owner.line - 1} (directive or generated check)`
      const message = ts.flattenDiagnosticMessageText(d.messageText, '\n')
      const key = `${where} ${d.code} ${message}`
      if (seen.has(key)) continue
      seen.add(key)
      problems.push({ where, code: d.code, message })
    }
  }
  return problems
}

/** One line per problem, paths relative to `cwd`. */
export function formatProblems(problems: readonly SnippetProblem[], cwd = process.cwd()): string {
  return problems
    .map((p) => `${p.where.startsWith('/') ? relative(cwd, p.where) : p.where}: TS${p.code} ${p.message}`)
    .join('\n')
}
