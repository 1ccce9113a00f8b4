import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { type ParseArgsConfig, parseArgs } from 'node:util'
import type { CliIo } from './io'

/** Exit codes scripts can rely on. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const

/** A mistake in the command line: printed with a pointer to `--help`, exit code 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message)
    this.name = 'UsageError'
  }
}

type Options = NonNullable<ParseArgsConfig['options']>

/** `parseArgs` in strict mode, with its errors turned into {@link UsageError}s. */
export function parse<const O extends Options>(
  command: string,
  argv: string[],
  options: O,
  positionals = 0,
): {
  values: ReturnType<typeof parseArgs<{ options: O; allowPositionals: true; strict: true }>>['values']
  positionals: string[]
} {
  let parsed: ReturnType<typeof parseArgs<{ options: O; allowPositionals: true; strict: true }>>
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true })
  } catch (error) {
    const message = (error as Error).message.replace(/\. To specify a positional argument.*$/s, '')
    throw new UsageError(message, command)
  }
  if (parsed.positionals.length > positionals) {
    throw new UsageError(`unexpected argument "${parsed.positionals[positionals]}"`, command)
  }
  return { values: parsed.values, positionals: parsed.positionals }
}

/** A non-negative integer option. */
export function integer(command: string, name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  if (!/^\d+$/.test(value))
    throw new UsageError(`--${name} must be a non-negative integer, got "${value}"`, command)
  return Number(value)
}

/** Reads a file relative to the working directory, or stdin for `-`. */
export async function readInput(io: CliIo, path: string): Promise<string> {
  if (path === '-') return readStdin(io)
  return readFile(resolve(io.cwd, path), 'utf8')
}

export async function readStdin(io: CliIo): Promise<string> {
  const decoder = new TextDecoder()
  let text = ''
  for await (const chunk of io.stdin)
    text += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true })
  return text + decoder.decode()
}
