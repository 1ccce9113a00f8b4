import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const GUIDE = 'docs/stream.md'

// The guide's ```ts snippets, compiled against the packages' sources with the repository's strict settings:
// a snippet that no longer matches the API fails here.
it(`every \`\`\`ts snippet of ${GUIDE} type-checks against the real API`, () => {
  const markdown = readFileSync(join(ROOT, GUIDE), 'utf8')
  const snippets = [...markdown.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!)
  expect(snippets.length).toBeGreaterThanOrEqual(4)
  const files = new Map(snippets.map((code, i) => [join(ROOT, 'docs', `snippet-${i + 1}.ts`), code]))

  const base = ts.getParsedCommandLineOfConfigFile(
    join(ROOT, 'tsconfig.base.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'))
      },
    },
  )!
  const options: ts.CompilerOptions = {
    ...base.options,
    noEmit: true,
    baseUrl: ROOT,
    paths: { '@dingtalk-kit/*': ['packages/*/src/index.ts'] },
    typeRoots: [join(ROOT, 'node_modules/@types')],
  }
  const host = ts.createCompilerHost(options)
  const getSourceFile = host.getSourceFile
  host.getSourceFile = (name, version, onError) => {
    const code = files.get(name)
    return code === undefined
      ? getSourceFile(name, version, onError)
      : ts.createSourceFile(name, code, version)
  }
  const fileExists = host.fileExists
  host.fileExists = (name) => files.has(name) || fileExists(name)
  const program = ts.createProgram([...files.keys()], options, host)
  const problems = ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file !== undefined && files.has(d.file.fileName))
    .map((d) => {
      const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0)
      return `${d.file!.fileName.slice(ROOT.length)}:${line + 1} ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`
    })
  expect(problems).toEqual([])
}, 120_000)
