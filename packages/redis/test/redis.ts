import { type ChildProcess, fork } from 'node:child_process'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
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

/** A test's app instance in its own Node process, running the TypeScript sources like the workspace's tests. */
export function forkSource(file: URL, env: Record<string, string>): ChildProcess {
  return fork(fileURLToPath(file), [], {
    cwd: fileURLToPath(new URL('../../../', import.meta.url)),
    execArgv: ['--import', 'tsx', '--conditions=@dingtalk-kit/source'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
}
