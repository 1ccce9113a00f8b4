import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import pkg from '../package.json' with { type: 'json' }
import { HELP } from '../src/help'
import { cli, stream, until } from './helpers'

const cwd = fileURLToPath(new URL('..', import.meta.url))
const COMMANDS = ['emulator', 'trigger', 'decrypt', 'encrypt', 'verify', 'sign-jsapi', 'doctor']
const TICKET_ARGS = [
  'sign-jsapi',
  '--ticket',
  'a-secret-ticket',
  '--nonce',
  'n',
  '--timestamp',
  '1',
  '--url',
  'http://a.b/',
]

describe('the command line', () => {
  it('prints help for the tool and for every command', async () => {
    const main = await cli(['--help'])
    expect(main.code).toBe(0)
    for (const command of COMMANDS) expect(main.stdout).toContain(command)
    expect(main.stdout).toContain('Exit codes: 0 success, 1 a check failed, 2 usage error')
    for (const command of COMMANDS) {
      const viaFlag = await cli([command, '--help'])
      const viaHelp = await cli(['help', command])
      expect(viaFlag).toMatchObject({ code: 0, stdout: `${HELP[command]}\n` })
      expect(viaHelp).toMatchObject({ code: 0, stdout: `${HELP[command]}\n` })
      expect(viaFlag.stdout).toMatch(/^Usage: dingtalk-kit /)
    }
  })

  it('exits 2 for no command, an unknown command and an unknown option', async () => {
    const none = await cli([])
    expect(none.code).toBe(2)
    expect(none.stdout).toContain('Usage: dingtalk-kit <command>')
    const unknown = await cli(['decypt'])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain('unknown command "decypt" — did you mean decrypt?')
    const option = await cli(['verify', '--tokn', 'x'])
    expect(option.code).toBe(2)
    expect(option.stderr).toContain("Unknown option '--tokn'")
    expect(option.stderr).toContain('Run dingtalk-kit verify --help for usage.')
    expect((await cli(['help', 'nothing'])).code).toBe(2)
  })

  it('prints the version', async () => {
    expect(await cli(['--version'])).toMatchObject({ code: 0, stdout: `${pkg.version}\n` })
  })

  it('uses colour only on a TTY with NO_COLOR unset', async () => {
    const esc = '\u001b['
    const captured = stream(true)
    expect((await cli(TICKET_ARGS, { io: { stdout: captured } })).code).toBe(0)
    expect(captured.text).toContain(esc)
    const noColor = stream(true)
    await cli(TICKET_ARGS, { env: { NO_COLOR: '1' }, io: { stdout: noColor } })
    expect(noColor.text).not.toContain(esc)
    expect(noColor.text).toContain('signature')
    const piped = await cli(TICKET_ARGS)
    expect(piped.stdout).not.toContain(esc)
    expect(captured.text + noColor.text + piped.stdout).not.toContain('a-secret-ticket')
  })
})

function spawnBin(args: string[]): {
  child: ReturnType<typeof spawn>
  out: { stdout: string; stderr: string }
  exit: Promise<number | null>
} {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=@dingtalk-kit/source', 'src/bin.ts', ...args],
    {
      cwd,
      env: { ...process.env, NO_COLOR: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  const out = { stdout: '', stderr: '' }
  child.stdout?.on('data', (d: Buffer) => (out.stdout += d.toString()))
  child.stderr?.on('data', (d: Buffer) => (out.stderr += d.toString()))
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
  return { child, out, exit }
}

describe('the bin, spawned', () => {
  it('exits with the command’s code', async () => {
    const ok = spawnBin(TICKET_ARGS)
    const usage = spawnBin(['sign-jsapi'])
    expect(await ok.exit).toBe(0)
    expect(ok.out.stdout).toMatch(/signature {5}[0-9a-f]{40}/)
    expect(await usage.exit).toBe(2)
    expect(usage.out.stderr).toContain('missing --ticket')
  }, 30_000)

  it('runs the emulator until SIGTERM and exits 0', async () => {
    const emu = spawnBin(['emulator', '--port', '0'])
    try {
      await until(() => /DINGTALK_BASE_URL=\S+\n/.test(emu.out.stdout), 'the emulator banner', 20_000)
      const url = /DINGTALK_BASE_URL=(\S+)\n/.exec(emu.out.stdout)![1]!
      const res = (await (
        await fetch(`${url}/gettoken?appkey=dingemuappkey0001&appsecret=emu-app-secret`)
      ).json()) as {
        errcode: number
      }
      expect(res.errcode).toBe(0)
      await until(() => emu.out.stdout.includes('GET /gettoken'), 'the request log line')
      emu.child.kill('SIGTERM')
      expect(await emu.exit).toBe(0)
      expect(emu.out.stderr).toContain('emulator stopped')
    } finally {
      if (emu.child.exitCode === null) emu.child.kill('SIGKILL')
    }
  }, 30_000)
})
