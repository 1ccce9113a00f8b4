import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { cli } from './helpers'

const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8')

/** Splits a shell command line on blanks, honouring single quotes (all the README's examples use). */
function words(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]!)
}

/** The README's example that starts with `dingtalk-kit <command>`: its argv and the `# stdout:`/`# stderr:` lines after it. */
function example(command: string): { argv: string[]; stdout: string[]; stderr: string[] } {
  const lines = readme.split('\n')
  const start = lines.findIndex((line) => line.startsWith(`dingtalk-kit ${command} \\`))
  if (start < 0) throw new Error(`the CLI README has no multi-line \`dingtalk-kit ${command}\` example`)
  let end = start
  while (lines[end]!.endsWith('\\')) end++
  const commandLine = lines
    .slice(start, end + 1)
    .map((line) => line.replace(/\\$/, ''))
    .join(' ')
  const output: { stdout: string[]; stderr: string[] } = { stdout: [], stderr: [] }
  let stream: 'stdout' | 'stderr' | undefined
  for (const line of lines.slice(end + 1)) {
    const labelled = /^# (stdout|stderr): (.*)$/.exec(line)
    if (labelled) {
      stream = labelled[1] as 'stdout' | 'stderr'
      output[stream].push(labelled[2]!)
    } else if (stream && /^# {8}/.test(line)) output[stream].push(line.slice(10))
    else break
  }
  return { argv: words(commandLine).slice(1), ...output }
}

describe('the CLI README', () => {
  it('its decrypt example runs as written and prints what it says', async () => {
    const { argv, stdout, stderr } = example('decrypt')
    expect(argv).not.toContain('…')
    expect(argv.join(' ')).not.toContain('…')
    const r = await cli(argv)
    expect(r.code).toBe(0)
    expect(r.stdout.trimEnd().split('\n')).toEqual(stdout)
    expect(r.stderr.trimEnd().split('\n')).toEqual(stderr)
  })
})
