// Each README quickstart, run end to end the way a team adopting dingtalk-kit would: a fresh npm project that
// installs the packed tarballs (never the workspace) and the frameworks from the registry, compiles the
// quickstart exactly as the README shows it with tsc, and runs it against the emulator of the packed CLI,
// which pushes a signed user_add_org that the app must handle.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { defaultFixture } from '@dingtalk-kit/emulator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CONSUMERS } from '../src/consumers'
import { lockPort } from '../src/port'
import { type Running, run, start } from '../src/processes'
import { quickstart } from '../src/readme'
import {
  PACKAGES,
  type PackageName,
  packAll,
  pinnedVersion,
  typescriptVersion,
  workspacePackage,
} from '../src/workspace'

const PORT = 3000 // what every quickstart listens on
const org = defaultFixture.orgs[0]!
const NPM_FLAGS = ['--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error']

let root: string
let tarballs: Record<PackageName, string>
let tools: string
let emulator: Running
let emulatorEnv: Record<string, string>

/** A package.json whose @dingtalk-kit/* come from the tarballs: their own dependencies on each other too. */
const manifest = (
  name: string,
  fields: { type?: 'module'; dependencies: Record<string, string>; devDependencies?: Record<string, string> },
): string =>
  `${JSON.stringify(
    {
      name,
      version: '0.0.0',
      private: true,
      ...fields,
      overrides: Object.fromEntries(PACKAGES.map((p) => [`@dingtalk-kit/${p}`, `file:${tarballs[p]}`])),
    },
    null,
    2,
  )}\n`

const timed = async <T>(what: string, work: () => Promise<T>): Promise<T> => {
  const started = Date.now()
  try {
    return await work()
  } finally {
    console.log(`${what}: ${((Date.now() - started) / 1000).toFixed(1)} s`)
  }
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'dingtalk-kit-consumers-'))
  await mkdir(join(root, 'tarballs'))
  tarballs = await timed('pnpm pack (every package)', () => packAll(join(root, 'tarballs')))

  // The CLI as `npx @dingtalk-kit/cli emulator` would run it, from its tarball.
  tools = join(root, 'tools')
  await mkdir(tools)
  await writeFile(
    join(tools, 'package.json'),
    manifest('consumer-tools', { dependencies: { '@dingtalk-kit/cli': `file:${tarballs.cli}` } }),
  )
  await timed('npm install (the CLI)', () => run('npm', ['install', ...NPM_FLAGS], { cwd: tools }))
  emulator = start(join(tools, 'node_modules/.bin/dingtalk-kit'), ['emulator', '--port', '0'], { cwd: tools })
  await emulator.waitFor(/^DINGTALK_CALLBACK_AES_KEY=.+$/m, 'the emulator’s banner')
  emulatorEnv = Object.fromEntries(
    [...emulator.output().matchAll(/^(DINGTALK_[A-Z_]+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]),
  )
})

afterAll(async () => {
  await emulator?.stop()
  if (root) await rm(root, { recursive: true, force: true })
})

describe.each(CONSUMERS)('$name', (consumer) => {
  let dir: string

  beforeAll(async () => {
    const guide = quickstart(consumer.readme)
    dir = join(root, consumer.name.replace(/[^a-z0-9]+/gi, '-').toLowerCase())
    await mkdir(join(dir, 'src'), { recursive: true })
    const spec = (name: string): string => {
      const own = workspacePackage(name)
      return own === undefined ? pinnedVersion(name) : `file:${tarballs[own]}`
    }
    await writeFile(
      join(dir, 'package.json'),
      manifest(`consumer-${consumer.readme.toLowerCase()}`, {
        ...(consumer.type === 'module' ? { type: 'module' as const } : {}),
        dependencies: Object.fromEntries(guide.dependencies.map((name) => [name, spec(name)])),
        devDependencies: {
          ...Object.fromEntries([...guide.devDependencies, '@types/node'].map((name) => [name, spec(name)])),
          typescript: typescriptVersion(consumer.typescript),
        },
      }),
    )
    await writeFile(
      join(dir, 'tsconfig.json'),
      `${JSON.stringify({ compilerOptions: consumer.tsconfig, include: ['src'] }, null, 2)}\n`,
    )
    await writeFile(join(dir, 'src/main.ts'), guide.code)
    await timed(`npm install (${consumer.name})`, () => run('npm', ['install', ...NPM_FLAGS], { cwd: dir }))
  })

  it('compiles the README quickstart with tsc, as written', async () => {
    await timed(`tsc ${typescriptVersion(consumer.typescript)} (${consumer.name})`, () =>
      run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', '.'], { cwd: dir }),
    )
  })

  it('runs it: a signed user_add_org from the emulator is answered and handled', async () => {
    const release = await lockPort(PORT)
    const app = start(process.execPath, ['dist/main.js'], {
      cwd: dir,
      env: { ...process.env, ...emulatorEnv },
    })
    try {
      await waitForPort(app)
      const pushed = await run(
        join(tools, 'node_modules/.bin/dingtalk-kit'),
        ['trigger', 'user_add_org', '--url', `http://127.0.0.1:${PORT}/dingtalk/callback`],
        { cwd: tools, env: { ...process.env, ...emulatorEnv } },
      )
      expect(pushed).toMatch(/success/)
      // The handler looked every user up through the API (the emulator's contacts) and logged them.
      const names = ['zhangsan', 'lisi'].map((id) => org.users.find((u) => u.userid === id)!.name)
      for (const name of names)
        await app.waitFor(new RegExp(`^joined: ${name}$`, 'm'), `the log line for ${name}`)
    } finally {
      await app.stop()
      release()
    }
  })
})

/** Until the app answers HTTP on the port (any status), or fails if it exits. */
async function waitForPort(app: Running): Promise<void> {
  const deadline = Date.now() + 60_000
  for (;;) {
    if (app.child.exitCode !== null)
      throw new Error(`the app exited (${app.child.exitCode}):\n${app.output()}`)
    try {
      await fetch(`http://127.0.0.1:${PORT}/`)
      return
    } catch {
      if (Date.now() > deadline) throw new Error(`the app did not listen on ${PORT}:\n${app.output()}`)
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  }
}
