import { type ChildProcess, fork } from 'node:child_process'
import { existsSync, readdirSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build, type Plugin } from 'esbuild'
import * as ioredis5 from 'ioredis5'
import * as ioredis6 from 'ioredis6'
import { type RedisServer, redisServerAvailable, startRedisServer } from '../src/testing'

// These tests start their own redis-server: without one they cannot run, so they fail (never skip).
if (!redisServerAvailable()) {
  throw new Error(
    'redis-server is not installed: the @dingtalk-kit/redis tests start their own. Install it: apt-get install redis-server (Debian/Ubuntu) or brew install redis (macOS)',
  )
}

const installed = (name: string): string =>
  (createRequire(import.meta.url)(`${name}/package.json`) as { version: string }).version

/** What these tests call on a connection, the same on ioredis 5 and 6 (whose classes differ as types). */
export type TestRedis = Pick<
  ioredis5.Redis,
  | 'call'
  | 'config'
  | 'connect'
  | 'disconnect'
  | 'exists'
  | 'get'
  | 'hset'
  | 'pttl'
  | 'rpush'
  | 'script'
  | 'type'
  | 'set'
  | 'del'
  | 'evalsha'
  | 'eval'
> & { on(event: 'error', listener: (error: Error) => void): unknown }
export type TestCluster = Pick<ioredis5.Cluster, 'disconnect' | 'get' | 'set' | 'del' | 'evalsha' | 'eval'>

type Options = ioredis5.RedisOptions & ioredis6.RedisOptions

/** One ioredis major: how to connect with it, and which version the devDependency alias installed. */
export interface IoredisMajor {
  major: number
  version: string
  redis(url: string, options?: Options): TestRedis
  cluster(nodes: { host: string; port: number }[]): TestCluster
}

/** The ioredis majors the peer range allows (devDependency aliases); the store's tests run on each. */
export const IOREDIS_MAJORS: IoredisMajor[] = [
  {
    major: 5,
    version: installed('ioredis5'),
    redis: (url, options = {}) => new ioredis5.Redis(url, options),
    cluster: (nodes) => new ioredis5.Cluster(nodes),
  },
  {
    major: 6,
    version: installed('ioredis6'),
    redis: (url, options = {}) => new ioredis6.Redis(url, options),
    cluster: (nodes) => new ioredis6.Cluster(nodes),
  },
]

/** A server of our own, or `REDIS_URL` when set (then `server` is undefined and cannot be paused or killed). */
export async function redisForContract(): Promise<{ url: string; server: RedisServer | undefined }> {
  const url = process.env.REDIS_URL
  if (url) return { url, server: undefined }
  const server = await startRedisServer()
  return { url: server.url, server }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Waits until `check` holds, polling; throws after `timeoutMs` (a generous bound, never the assertion). */
export async function until(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 15_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(10)
  }
}

/** Where the bundles go: under the package's node_modules, so their imports of ioredis & co. resolve as its own. */
const BUNDLES = fileURLToPath(new URL('../node_modules/.cache/test-instances/', import.meta.url))
const bundles = new Map<string, Promise<string>>()

/** Third-party packages stay imports; the workspace's own are bundled from their sources. */
const thirdPartyExternal: Plugin = {
  name: 'third-party-external',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith('@dingtalk-kit/') ? undefined : { external: true },
    )
  },
}

/**
 * `file` and the workspace packages it imports, bundled from their TypeScript sources (the
 * `@dingtalk-kit/source` condition, as the tests themselves run them) into one ES module, once per run.
 * An instance then starts in about 0.3 s of CPU instead of 1.2 s under tsx, which compiled and loaded some
 * 150 source modules in each of this suite's 20 processes.
 */
function bundle(file: string): Promise<string> {
  let done = bundles.get(file)
  if (done === undefined) {
    if (bundles.size === 0) removeStaleBundles()
    const outfile = join(BUNDLES, `${basename(file, '.ts')}-${process.pid}.mjs`)
    done = build({
      entryPoints: [file],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      conditions: ['@dingtalk-kit/source'],
      plugins: [thirdPartyExternal],
      sourcemap: 'inline',
      logLevel: 'error',
    }).then(() => outfile)
    bundles.set(file, done)
  }
  return done
}

/** Deletes the bundles of earlier runs, whose process is gone (a file name ends in its run's pid). */
function removeStaleBundles(): void {
  if (!existsSync(BUNDLES)) return
  for (const name of readdirSync(BUNDLES)) {
    const pid = Number(/-(\d+)\.mjs$/.exec(name)?.[1])
    if (Number.isInteger(pid) && pid !== process.pid && !alive(pid))
      rmSync(join(BUNDLES, name), { force: true })
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** A test's app instance in its own Node process, running the TypeScript sources like the workspace's tests. */
export async function forkSource(file: URL, env: Record<string, string>): Promise<ChildProcess> {
  return fork(await bundle(fileURLToPath(file)), [], {
    cwd: fileURLToPath(new URL('../../../', import.meta.url)),
    execArgv: ['--enable-source-maps'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
}

/**
 * The environment every app-instance file reads (`REDIS_URL`, `BASE_URL`, `APP_KEY`, `APP_SECRET`), plus the
 * file's own variables.
 */
export function instanceEnv(
  redisUrl: string,
  baseUrl: string,
  app: { appKey: string; appSecret: string },
  own: Record<string, string>,
): Record<string, string> {
  return { REDIS_URL: redisUrl, BASE_URL: baseUrl, APP_KEY: app.appKey, APP_SECRET: app.appSecret, ...own }
}

/** An instance process just forked, and when it said it is ready. */
export interface StartedInstance {
  proc: ChildProcess
  /** Resolves on the instance's `ready` report; rejects when it fails to start or exits before it. */
  ready: Promise<void>
}

/**
 * Forks `file` (see {@link forkSource}) and routes its reports: `ready` settles `ready`, every other report
 * goes to `onReport`, in order, before and after it.
 */
export async function startInstance<R extends { type: string }>(
  file: URL,
  env: Record<string, string>,
  onReport: (report: R) => void,
): Promise<StartedInstance> {
  const proc = await forkSource(file, env)
  const ready = new Promise<void>((resolve, reject) => {
    proc.on('message', (report: R) => {
      if (report.type === 'ready') resolve()
      else onReport(report)
    })
    proc.once('error', reject)
    proc.once('exit', (code) => reject(new Error(`${basename(fileURLToPath(file))} exited early (${code})`)))
  })
  return { proc, ready }
}
