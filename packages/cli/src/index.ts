import pkg from '../package.json' with { type: 'json' }
import { EXIT, UsageError } from './args'
import { decryptCommand, encryptCommand, verifyCommand } from './commands/crypto'
import { doctorCommand } from './commands/doctor'
import { emulatorCommand } from './commands/emulator'
import { listenCommand } from './commands/listen'
import { robotCommand } from './commands/robot'
import { signJsapiCommand } from './commands/sign-jsapi'
import { triggerCommand } from './commands/trigger'
import { HELP } from './help'
import { type CliIo, Output, resolveIo } from './io'

export type { CliIo, OutputStream } from './io'

type Command = (argv: string[], io: CliIo, out: Output) => Promise<number>

const COMMANDS: Record<string, Command> = {
  emulator: emulatorCommand,
  trigger: triggerCommand,
  listen: listenCommand,
  decrypt: decryptCommand,
  encrypt: encryptCommand,
  verify: verifyCommand,
  'sign-jsapi': signJsapiCommand,
  doctor: doctorCommand,
  robot: robotCommand,
}

/**
 * The exit codes of {@link run}: 0 success, 1 a check failed, 2 usage error.
 *
 * @example
 * ```ts
 * if ((await run(['doctor'])) === EXIT_CODES.failed) console.error('fix the configuration first')
 * ```
 */
export const EXIT_CODES: { readonly ok: 0; readonly failed: 1; readonly usage: 2 } = EXIT

/**
 * Runs the `dingtalk-kit` command line and resolves with its exit code (0 success, 1 a check failed,
 * 2 usage error). Everything it touches is injectable, so tests and other tools can run it in-process.
 *
 * @example
 * ```ts
 * import { run } from '@dingtalk-kit/cli'
 *
 * let output = ''
 * const code = await run(
 *   ['sign-jsapi', '--ticket', ticket, '--nonce', 'abc', '--timestamp', '1414588745', '--url', 'http://a.b/c#x'],
 *   { stdout: { write: (s: string) => (output += s) } },
 * )
 * ```
 */
export async function run(argv: readonly string[], io: Partial<CliIo> = {}): Promise<number> {
  const resolved = resolveIo(io)
  const out = new Output(resolved)
  const [name, ...rest] = argv
  try {
    if (name === undefined || name === '-h' || name === '--help') {
      out.out(HELP.main)
      return name === undefined ? EXIT.usage : EXIT.ok
    }
    if (name === '-v' || name === '--version') {
      out.out(pkg.version)
      return EXIT.ok
    }
    if (name === 'help') {
      const topic = rest[0]
      if (topic !== undefined && HELP[topic] === undefined) throw new UsageError(`unknown command "${topic}"`)
      out.out(HELP[topic ?? 'main'])
      return EXIT.ok
    }
    const command = COMMANDS[name]
    if (!command) {
      const near = Object.keys(COMMANDS).filter((c) => c.startsWith(name.slice(0, 3)))
      throw new UsageError(
        `unknown command "${name}"${near.length > 0 ? ` — did you mean ${near.join(' or ')}?` : ''}`,
      )
    }
    if (rest.includes('--help') || rest.includes('-h')) {
      out.out(HELP[name])
      return EXIT.ok
    }
    return await command([...rest], resolved, out)
  } catch (error) {
    if (error instanceof UsageError) {
      out.err(`${out.paint('red', 'error', true)}: ${error.message}`)
      out.err(`Run dingtalk-kit ${error.command ? `${error.command} ` : ''}--help for usage.`)
      return EXIT.usage
    }
    out.err(`${out.paint('red', 'error', true)}: ${error instanceof Error ? error.message : String(error)}`)
    return EXIT.failed
  }
}
