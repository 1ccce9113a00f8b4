import { execFile } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { gzipSync } from 'node:zlib'
import type { Section } from './report'

const exec = promisify(execFile)
const ROOT = resolve(import.meta.dirname, '../../..')
const PACKAGES = ['core', 'koa', 'hono', 'nestjs', 'redis', 'stream', 'emulator', 'cli'] as const

export interface PackageSize {
  name: string
  packedBytes: number
  unpackedBytes: number
}

export interface SizeResult {
  packages: PackageSize[]
  /** A fresh npm project with the Koa quickstart's install line (`@dingtalk-kit/koa koa @koa/router`). */
  consumer: { installedBytes: number; ourBytes: number; packages: number }
  /** What `import '@dingtalk-kit/core'` loads in ESM: dist/index.js and the chunks it imports. */
  coreEsm: { files: number; bytes: number; gzipBytes: number }
}

const bytesUnder = (dir: string): number =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .reduce((sum, entry) => sum + statSync(join(entry.parentPath, entry.name)).size, 0)

/** The ESM files `entry` loads through relative static imports, itself included. */
function esmGraph(entry: string): string[] {
  const seen = new Set<string>()
  const visit = (file: string): void => {
    if (seen.has(file)) return
    seen.add(file)
    const code = readFileSync(file, 'utf8')
    for (const m of code.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)["'](\.{1,2}\/[^"']+)["']/g)) {
      visit(resolve(dirname(file), m[1]!))
    }
  }
  visit(entry)
  return [...seen]
}

/**
 * Sizes, so growth is seen: each package's tarball as `pnpm pack` makes it (packed and unpacked), what a
 * consumer installs for the Koa quickstart from those tarballs and the registry, and core's ESM runtime
 * gzipped. The packages must be built.
 */
export async function benchSizes(): Promise<SizeResult> {
  const dir = await mkdtemp(join(tmpdir(), 'dingtalk-kit-sizes-'))
  try {
    const tarballs: Record<string, string> = {}
    const packages: PackageSize[] = []
    for (const name of PACKAGES) {
      const cwd = join(ROOT, 'packages', name)
      if (!existsSync(join(cwd, 'dist/index.js')))
        throw new Error(`packages/${name} is not built (pnpm build)`)
      const { stdout } = await exec('pnpm', ['pack', '--pack-destination', dir], { cwd })
      const tarball = resolve(cwd, stdout.trim().split('\n').at(-1)!.trim())
      const unpacked = join(dir, `unpacked-${name}`)
      await mkdir(unpacked)
      await exec('tar', ['-xzf', tarball, '-C', unpacked])
      tarballs[name] = tarball
      packages.push({
        name: `@dingtalk-kit/${name}`,
        packedBytes: statSync(tarball).size,
        unpackedBytes: bytesUnder(unpacked),
      })
    }

    const koaPins = (
      JSON.parse(readFileSync(join(ROOT, 'packages/koa/package.json'), 'utf8')) as {
        devDependencies: Record<string, string>
      }
    ).devDependencies
    const consumer = join(dir, 'consumer')
    await mkdir(consumer)
    await writeFile(
      join(consumer, 'package.json'),
      JSON.stringify({
        name: 'size-consumer',
        version: '0.0.0',
        private: true,
        dependencies: {
          '@dingtalk-kit/koa': `file:${tarballs.koa}`,
          koa: koaPins.koa,
          '@koa/router': koaPins['@koa/router'],
        },
        overrides: Object.fromEntries(PACKAGES.map((p) => [`@dingtalk-kit/${p}`, `file:${tarballs[p]}`])),
      }),
    )
    await exec('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], {
      cwd: consumer,
    })
    const modules = join(consumer, 'node_modules')
    const lock = JSON.parse(readFileSync(join(modules, '.package-lock.json'), 'utf8')) as {
      packages: Record<string, unknown>
    }

    const files = esmGraph(join(ROOT, 'packages/core/dist/index.js'))
    const code = files.map((file) => readFileSync(file))
    return {
      packages,
      consumer: {
        installedBytes: bytesUnder(modules),
        ourBytes: bytesUnder(join(modules, '@dingtalk-kit')),
        packages: Object.keys(lock.packages).length,
      },
      coreEsm: {
        files: files.length,
        bytes: code.reduce((sum, c) => sum + c.length, 0),
        gzipBytes: code.reduce((sum, c) => sum + gzipSync(c, { level: 9 }).length, 0),
      },
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

const kib = (bytes: number): string =>
  bytes >= 2 ** 20 ? `${(bytes / 2 ** 20).toFixed(2)} MiB` : `${(bytes / 2 ** 10).toFixed(1)} KiB`

/** The report section of {@link benchSizes}. */
export function sizeSection(sizes: SizeResult): Section {
  return {
    title: 'Install and runtime size',
    comparisons: [],
    figures: [
      ...sizes.packages.map((p) => ({
        label: `${p.name} tarball (\`pnpm pack\`)`,
        value: `${kib(p.packedBytes)} packed, ${kib(p.unpackedBytes)} unpacked`,
      })),
      {
        label:
          'a consumer’s install: `npm i @dingtalk-kit/koa koa @koa/router` (the Koa quickstart, from the tarballs)',
        value: `${kib(sizes.consumer.installedBytes)} in ${sizes.consumer.packages} packages, of which @dingtalk-kit/* ${kib(sizes.consumer.ourBytes)}`,
      },
      {
        label: `@dingtalk-kit/core at run time, ESM (dist/index.js and the ${sizes.coreEsm.files - 1} chunk(s) it imports)`,
        value: `${kib(sizes.coreEsm.bytes)}, ${kib(sizes.coreEsm.gzipBytes)} gzipped`,
      },
    ],
    notes: [
      'Measured, not judged: no goal, so that growth shows from one report to the next. The tarballs ship `dist/` ' +
        '(ESM + CJS, declarations, source maps without `sourcesContent`) and `src/` (the maps point into it), ' +
        'without tests or test data.',
    ],
  }
}
