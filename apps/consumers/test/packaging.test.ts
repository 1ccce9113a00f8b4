// What the published tarballs contain, read from `pnpm pack` output (the files npm would publish).
import { execFile } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PACKAGES, type PackageName, packAll, ROOT } from '../src/workspace'

const exec = promisify(execFile)

let root: string
const unpacked = {} as Record<PackageName, string>

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'dingtalk-kit-tarballs-'))
  const tarballs = await packAll(root)
  for (const name of PACKAGES) {
    const dir = join(root, name)
    await mkdir(dir)
    await exec('tar', ['-xzf', tarballs[name], '-C', dir])
    unpacked[name] = join(dir, 'package')
  }
})

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true })
})

const files = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))

interface Manifest {
  license: string
  repository: { type: string; url: string; directory: string }
  homepage: string
  bugs: { url: string }
  engines: { node: string }
  exports: Record<string, Record<string, unknown> | string>
}

/** Every file an `exports` entry names, under any condition. */
const exportTargets = (value: unknown): string[] =>
  typeof value === 'string'
    ? [value]
    : value && typeof value === 'object'
      ? Object.values(value).flatMap(exportTargets)
      : []

describe.each(PACKAGES)('the @dingtalk-kit/%s tarball', (name) => {
  it('carries the repository’s MIT LICENSE and says where it comes from', () => {
    const dir = unpacked[name]
    expect(readFileSync(join(dir, 'LICENSE'), 'utf8')).toBe(readFileSync(join(ROOT, 'LICENSE'), 'utf8'))
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest
    expect(manifest.license).toBe('MIT')
    expect(manifest.repository).toMatchObject({ type: 'git', directory: `packages/${name}` })
    expect(manifest.repository.url).toMatch(/^git\+https:\/\/github\.com\/.+\.git$/)
    expect(manifest.homepage).toMatch(/^https:\/\//)
    expect(manifest.bugs.url).toMatch(/^https:\/\//)
    // require(esm) of ESM-only dependencies (NestJS 12) in the CommonJS build needs Node 20.19.
    expect(manifest.engines.node).toBe('>=20.19.0')
  })

  it('ships no tests or test data, and every file its exports name (the source condition’s too)', () => {
    const dir = unpacked[name]
    const shipped = files(dir)
    expect(shipped.filter((file) => /\.test(-data)?\.ts$|(^|\/)test\//.test(file))).toEqual([])
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest
    for (const target of exportTargets(manifest.exports))
      expect(existsSync(resolve(dir, target)), target).toBe(true)
  })

  it('has source maps without a second copy of the sources, pointing at the shipped src/', () => {
    const dir = unpacked[name]
    const maps = files(dir).filter((file) => file.endsWith('.map'))
    expect(maps.length).toBeGreaterThan(0)
    for (const map of maps) {
      const parsed = JSON.parse(readFileSync(join(dir, map), 'utf8')) as {
        sources: string[]
        sourcesContent?: unknown
      }
      expect(parsed.sourcesContent, map).toBeUndefined()
      for (const source of parsed.sources) {
        expect(existsSync(resolve(dirname(join(dir, map)), source)), `${map} → ${source}`).toBe(true)
      }
    }
  })
})
