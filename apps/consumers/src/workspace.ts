import { execFile } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'

const exec = promisify(execFile)

/** The repository root. */
export const ROOT: string = resolve(import.meta.dirname, '../../..')

/** The published packages, by folder under packages/. */
export const PACKAGES = [
  'core',
  'koa',
  'hono',
  'nestjs',
  'redis',
  'stream',
  'otel',
  'emulator',
  'cli',
] as const
export type PackageName = (typeof PACKAGES)[number]

interface Manifest {
  name: string
  version: string
  dependencies?: Record<string, string>
  devDependencies?: Record<string, string>
}

const manifest = (dir: string): Manifest =>
  JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')) as Manifest

/**
 * The version of a third-party package a consumer installs: the one the workspace itself tests with (its
 * adapters' and the root's devDependencies), so a consumer project never floats to an untested release.
 */
export function pinnedVersion(name: string): string {
  for (const dir of ['.', 'packages/koa', 'packages/hono', 'packages/nestjs', 'packages/redis']) {
    const version = manifest(dir).devDependencies?.[name]
    if (version !== undefined && /^\d+\.\d+\.\d+$/.test(version)) return version
  }
  throw new Error(
    `${name} is not pinned: add it to the devDependencies of the adapter that needs it (an exact version)`,
  )
}

/**
 * The TypeScript a consumer compiles with. `nest new` writes `typescript: ^5.7` into the projects it creates
 * (@nestjs/schematics 11.1), so NestJS consumers get the 5.x release the workspace pins; `npm i -D typescript`
 * installs TypeScript 7 today, so the Koa and Hono consumers get the 7.x release the workspace's own type checks
 * run on (tooling/tsc-native). The published declarations are thus compiled by both majors.
 */
export function typescriptVersion(major: 5 | 7): string {
  const version =
    major === 7
      ? manifest('tooling/tsc-native').dependencies?.typescript
      : manifest('.').devDependencies?.typescript
  if (version === undefined || !version.startsWith(`${major}.`))
    throw new Error(`no TypeScript ${major} is pinned in the workspace (found ${version})`)
  return version
}

/** `pnpm pack`s each published package (its built dist/ must exist) into `dir`; returns the tarball paths. */
export async function packAll(dir: string): Promise<Record<PackageName, string>> {
  const tarballs: Partial<Record<PackageName, string>> = {}
  for (const name of PACKAGES) {
    const cwd = join(ROOT, 'packages', name)
    if (!existsSync(join(cwd, 'dist/index.js'))) {
      throw new Error(`packages/${name}/dist is missing: build first (pnpm build, or run this through turbo)`)
    }
    const { stdout } = await exec('pnpm', ['pack', '--pack-destination', dir], { cwd })
    const file = stdout
      .trim()
      .split('\n')
      .map((line) => line.trim())
      .findLast((line) => line.endsWith('.tgz'))
    if (file === undefined || !existsSync(resolve(cwd, file))) {
      throw new Error(`pnpm pack in packages/${name} printed no tarball:\n${stdout}`)
    }
    tarballs[name] = resolve(cwd, file)
  }
  return tarballs as Record<PackageName, string>
}

/** `@dingtalk-kit/<name>` → `<name>`, or `undefined` for a third-party package. */
export function workspacePackage(spec: string): PackageName | undefined {
  const match = /^@dingtalk-kit\/([a-z]+)$/.exec(spec)
  const name = match?.[1]
  return PACKAGES.find((p) => p === name)
}
