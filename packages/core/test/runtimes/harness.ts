/**
 * Runs one Workers-style module on Node, Bun, Deno and workerd, over real HTTP on 127.0.0.1.
 *
 * The module is plain TypeScript that ends in `export default { fetch(request, env, ctx) }` (a Hono app's
 * `export default app` has that shape) and exports nothing else at run time: workerd takes every named
 * export for an entrypoint and refuses to start on a constant. The harness bundles it on the fly and
 * serves it on each runtime: Node, Bun and Deno through `host.mjs` beside this file, workerd through a
 * generated config (no nodejs_compat unless asked for). The runtimes are the npm packages `bun`, `deno`
 * and `workerd` (exact versions in packages/core/package.json); their postinstalls are denied, so the
 * binaries are taken from the platform packages those wrappers depend on. Nothing is downloaded at run
 * time. Another package's tests (the Hono adapter's) can import this file as it is: binaries and tsdown
 * resolve from here, so they need no devDependencies of their own.
 *
 * API:
 * - `bundleModule(entry, { conditions?, outDir? }) → Promise<Bundle>`: one self-contained ESM file
 *   (`bundle.file`) in a fresh temp dir, every import bundled, resolved with the `@dingtalk-kit/source`
 *   condition by default so workspace packages come from their TypeScript source. `bundle.cleanup()`
 *   removes the dir.
 * - `runtimeBinary(runtime) → string`: absolute path of the runtime's executable (Node: this process's),
 *   or a thrown Error saying which package is missing.
 * - `serveModule(runtime, file, { env?, workerd?, startTimeoutMs? }) → Promise<ServedModule>`: starts the
 *   module; `url` is its `http://127.0.0.1:PORT`, `close()` stops the process, `output()` returns what it
 *   printed (for failure messages). `env` (strings) becomes the `env` argument of `fetch` (text bindings on
 *   workerd).
 *
 * @example
 * ```ts
 * const bundle = await bundleModule(fileURLToPath(new URL('./app.ts', import.meta.url)))
 * for (const runtime of RUNTIMES) {
 *   const app = await serveModule(runtime, bundle.file, { env: { TOKEN: 'x' } })
 *   try {
 *     expect((await fetch(`${app.url}/health`)).status).toBe(200)
 *   } finally {
 *     await app.close()
 *   }
 * }
 * await bundle.cleanup()
 * ```
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { build } from 'tsdown'

export type Runtime = 'node' | 'bun' | 'deno' | 'workerd'

export const RUNTIMES: readonly Runtime[] = ['node', 'bun', 'deno', 'workerd']

export interface Bundle {
  file: string
  dir: string
  cleanup(): Promise<void>
}

export interface BundleOptions {
  /** Export conditions tried before `import`/`default` (default: `@dingtalk-kit/source`). */
  conditions?: readonly string[]
  /** Where to write; a fresh temp dir by default. */
  outDir?: string
}

export async function bundleModule(entry: string, options: BundleOptions = {}): Promise<Bundle> {
  const dir = options.outDir ?? (await mkdtemp(join(tmpdir(), 'dingtalk-runtimes-')))
  const conditions = options.conditions ?? ['@dingtalk-kit/source']
  await build({
    config: false,
    cwd: dirname(entry),
    entry: { module: entry },
    outDir: dir,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    dts: false,
    clean: false,
    hash: false,
    report: false,
    logLevel: 'warn',
    tsconfig: false,
    outExtensions: () => ({ js: '.mjs' }),
    deps: { alwaysBundle: [/./] },
    inputOptions: { resolve: { conditionNames: [...conditions, 'import', 'module', 'default'] } },
  })
  const file = join(dir, 'module.mjs')
  if (!existsSync(file)) throw new Error(`bundling ${entry} produced no ${file}`)
  return { file, dir, cleanup: () => rm(dir, { recursive: true, force: true }) }
}

interface BinarySource {
  wrapper: string
  candidates: Record<string, readonly string[]>
  subpath: string
}

const exe = process.platform === 'win32' ? '.exe' : ''

// The wrappers' optionalDependencies, one (or, with a musl variant, two) per platform.
const BINARIES: Record<Exclude<Runtime, 'node'>, BinarySource> = {
  bun: {
    wrapper: 'bun',
    subpath: `bin/bun${exe}`,
    candidates: {
      'linux-x64': ['@oven/bun-linux-x64', '@oven/bun-linux-x64-musl'],
      'linux-arm64': ['@oven/bun-linux-aarch64', '@oven/bun-linux-aarch64-musl'],
      'darwin-x64': ['@oven/bun-darwin-x64'],
      'darwin-arm64': ['@oven/bun-darwin-aarch64'],
      'win32-x64': ['@oven/bun-windows-x64'],
    },
  },
  deno: {
    wrapper: 'deno',
    subpath: `deno${exe}`,
    candidates: {
      'linux-x64': ['@deno/linux-x64-glibc'],
      'linux-arm64': ['@deno/linux-arm64-glibc'],
      'darwin-x64': ['@deno/darwin-x64'],
      'darwin-arm64': ['@deno/darwin-arm64'],
      'win32-x64': ['@deno/win32-x64'],
    },
  },
  workerd: {
    wrapper: 'workerd',
    subpath: `bin/workerd${exe}`,
    candidates: {
      'linux-x64': ['@cloudflare/workerd-linux-64'],
      'linux-arm64': ['@cloudflare/workerd-linux-arm64'],
      'darwin-x64': ['@cloudflare/workerd-darwin-64'],
      'darwin-arm64': ['@cloudflare/workerd-darwin-arm64'],
      'win32-x64': ['@cloudflare/workerd-windows-64'],
    },
  },
}

const requireHere = createRequire(import.meta.url)

export function runtimeBinary(runtime: Runtime): string {
  if (runtime === 'node') return process.execPath
  const source = BINARIES[runtime]
  const platform = `${process.platform}-${process.arch}`
  let wrapperRequire: NodeJS.Require
  try {
    wrapperRequire = createRequire(requireHere.resolve(`${source.wrapper}/package.json`))
  } catch {
    throw new Error(
      `${runtime} is not installed: the npm package "${source.wrapper}" (a devDependency of ` +
        '@dingtalk-kit/core) is missing; run pnpm install',
    )
  }
  const tried: string[] = []
  for (const pkg of source.candidates[platform] ?? []) {
    tried.push(pkg)
    try {
      const file = join(dirname(wrapperRequire.resolve(`${pkg}/package.json`)), source.subpath)
      if (existsSync(file)) return file
    } catch {}
  }
  throw new Error(
    tried.length === 0
      ? `${runtime}: no npm binary package known for ${platform}`
      : `${runtime} is not installed: none of ${tried.join(', ')} (optional dependencies of ` +
          `"${source.wrapper}") is present for ${platform}; run pnpm install`,
  )
}

export interface ServeOptions {
  /** The `env` the module's `fetch` receives (workerd: text bindings). */
  env?: Record<string, string>
  /**
   * workerd only. Default: compatibility date 2025-09-01 and no flags (so no `process`, no `node:*`), and
   * outbound `fetch` to public addresses only (workerd's default); `localNetwork: true` also allows
   * private and loopback addresses, e.g. an emulator on 127.0.0.1.
   */
  workerd?: { compatibilityDate?: string; compatibilityFlags?: readonly string[]; localNetwork?: boolean }
  /** Default 20 s: how long the runtime may take to start listening. */
  startTimeoutMs?: number
}

export interface ServedModule {
  runtime: Runtime
  url: string
  output(): string
  close(): Promise<void>
}

const HOST = fileURLToPath(new URL('./host.mjs', import.meta.url))
let configs = 0

export async function serveModule(
  runtime: Runtime,
  file: string,
  options: ServeOptions = {},
): Promise<ServedModule> {
  const binary = runtimeBinary(runtime)
  const env = options.env ?? {}
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    RUNTIME_HARNESS_ENV: JSON.stringify(env),
    NO_COLOR: '1',
    DO_NOT_TRACK: '1',
    DENO_NO_UPDATE_CHECK: '1',
    DENO_NO_PROMPT: '1',
    DENO_DIR: join(dirname(file), '.deno'),
  }
  let args: string[]
  let portFd: 'stdout' | 3 = 'stdout'
  if (runtime === 'workerd') {
    const config = join(dirname(file), `workerd-${++configs}.capnp`)
    await writeFile(config, workerdConfig(basename(file), env, options.workerd ?? {}))
    args = ['serve', config, '--control-fd=3']
    portFd = 3
  } else if (runtime === 'deno') {
    args = [
      'run',
      '--quiet',
      '--no-prompt',
      '--no-config',
      '--no-lock',
      '--cached-only',
      '--allow-net=127.0.0.1',
      `--allow-read=${dirname(HOST)},${dirname(file)}`,
      '--allow-env=RUNTIME_HARNESS_ENV',
      HOST,
      pathToFileURL(file).href,
    ]
  } else if (runtime === 'bun') {
    args = ['run', '--no-install', HOST, pathToFileURL(file).href]
  } else {
    args = [HOST, pathToFileURL(file).href]
  }
  const child = spawn(binary, args, {
    cwd: dirname(file),
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe', ...(portFd === 3 ? (['pipe'] as const) : [])],
  })
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString()
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString()
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const close = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(timer)
    }
  }
  try {
    const port = await readPort(child, portFd, exited, options.startTimeoutMs ?? 20_000, () => output)
    return { runtime, url: `http://127.0.0.1:${port}`, output: () => output, close }
  } catch (error) {
    await close()
    throw new Error(`${runtime} (${binary}) did not start: ${(error as Error).message}\n${output}`)
  }
}

function readPort(
  child: ChildProcess,
  fd: 'stdout' | 3,
  exited: Promise<void>,
  timeoutMs: number,
  output: () => string,
): Promise<number> {
  const stream = fd === 'stdout' ? child.stdout : child.stdio[3]
  return new Promise<number>((resolve, reject) => {
    let buffered = ''
    const timer = setTimeout(() => reject(new Error(`no port after ${timeoutMs} ms`)), timeoutMs)
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString()
      for (const line of buffered.split('\n')) {
        const match = /"port":\s*(\d+)/.exec(line)
        if (match?.[1]) {
          clearTimeout(timer)
          stream?.off('data', onData)
          resolve(Number(match[1]))
          return
        }
      }
    }
    stream?.on('data', onData)
    void exited.then(() => {
      clearTimeout(timer)
      reject(new Error(`exited with ${child.exitCode ?? child.signalCode} before listening: ${output()}`))
    })
  })
}

function workerdConfig(
  module: string,
  env: Record<string, string>,
  options: NonNullable<ServeOptions['workerd']>,
): string {
  const bindings = Object.entries(env).map(([name, text]) => `(name = ${capnp(name)}, text = ${capnp(text)})`)
  const flags = (options.compatibilityFlags ?? []).map(capnp)
  // A service named "internet" replaces workerd's default outbound network (public addresses only).
  const internet = options.localNetwork
    ? ', (name = "internet", network = (allow = ["public", "private", "local"]))'
    : ''
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "main", worker = .worker)${internet}],
  sockets = [(name = "http", address = "127.0.0.1:0", http = (), service = "main")],
);
const worker :Workerd.Worker = (
  modules = [(name = ${capnp(module)}, esModule = embed ${capnp(module)})],
  compatibilityDate = ${capnp(options.compatibilityDate ?? '2025-09-01')},
  compatibilityFlags = [${flags.join(', ')}],
  bindings = [${bindings.join(', ')}],
);
`
}

function capnp(text: string): string {
  return JSON.stringify(text)
}
