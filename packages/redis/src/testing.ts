import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Options of {@link startRedisServer}. */
export interface RedisServerOptions {
  /** The binary. Default `redis-server` from `PATH`. */
  binary?: string
  /** Extra arguments, e.g. `['--cluster-enabled', 'yes']`. */
  args?: string[]
  /** How long to wait for “Ready to accept connections”. Default 10,000 ms. */
  startTimeoutMs?: number
}

/**
 * A throwaway `redis-server` on 127.0.0.1, no persistence, in its own temporary directory.
 *
 * @example
 * ```ts
 * const server = await startRedisServer()
 * const redis = new Redis(server.url)
 * server.pause() // SIGSTOP: connected but silent
 * server.resume()
 * await server.stop()
 * ```
 */
export interface RedisServer {
  readonly host: string
  readonly port: number
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string
  /** Freezes the process (SIGSTOP): connections stay open, nothing answers. */
  pause(): void
  /** Lets a paused process run again (SIGCONT). */
  resume(): void
  /** Kills the process (SIGKILL, like a crash); the port and directory are kept for {@link restart}. */
  kill(): Promise<void>
  /** Starts a fresh, empty server on the same port after {@link kill}. */
  restart(): Promise<void>
  /** Stops the server and removes its directory. */
  stop(): Promise<void>
}

/**
 * Whether `redis-server` (or `binary`) can be run here.
 *
 * @example
 * ```ts
 * if (!redisServerAvailable()) throw new Error('redis-server is missing: apt-get install redis-server')
 * ```
 */
export function redisServerAvailable(binary = 'redis-server'): boolean {
  const result = spawnSync(binary, ['--version'], { stdio: 'ignore' })
  return result.error === undefined && result.status === 0
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })

const exited = (child: ChildProcess): Promise<void> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once('exit', () => resolve()))

/**
 * Starts `redis-server` on a free 127.0.0.1 port with `--save '' --appendonly no` in a temporary
 * directory, and resolves once it accepts connections. For tests and benchmarks.
 *
 * @example
 * ```ts
 * import { startRedisServer } from '@dingtalk-kit/redis/testing'
 *
 * const server = await startRedisServer()
 * try {
 *   // new Redis(server.url) …
 * } finally {
 *   await server.stop()
 * }
 * ```
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const binary = options.binary ?? 'redis-server'
  const startTimeoutMs = options.startTimeoutMs ?? 10_000
  const dir = mkdtempSync(join(tmpdir(), 'dingtalk-kit-redis-'))
  const host = '127.0.0.1'
  let port = 0
  let child: ChildProcess | undefined

  const launch = (): Promise<ChildProcess> =>
    new Promise((resolve, reject) => {
      const args = [
        '--port',
        String(port),
        '--bind',
        host,
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        '--daemonize',
        'no',
        '--logfile',
        '',
        ...(options.args ?? []),
      ]
      const proc = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] })
      let output = ''
      const timer = setTimeout(() => {
        proc.kill('SIGKILL')
        reject(new Error(`redis-server did not start within ${startTimeoutMs} ms:\n${output}`))
      }, startTimeoutMs)
      const onData = (chunk: Buffer): void => {
        output += chunk.toString()
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer)
          proc.stdout?.off('data', onData)
          proc.stdout?.resume()
          proc.stderr?.resume()
          resolve(proc)
        }
      }
      proc.stdout?.on('data', onData)
      proc.stderr?.on('data', (chunk: Buffer) => {
        output += chunk.toString()
      })
      proc.once('error', (error) => {
        clearTimeout(timer)
        reject(error)
      })
      proc.once('exit', (code, signal) => {
        clearTimeout(timer)
        reject(new Error(`redis-server exited (${code ?? signal}) before it was ready:\n${output}`))
      })
    })

  const stopChild = async (): Promise<void> => {
    const proc = child
    child = undefined
    if (proc === undefined) return
    proc.kill('SIGKILL')
    await exited(proc)
  }

  try {
    for (let attempt = 0; ; attempt++) {
      port = await freePort()
      try {
        child = await launch()
        break
      } catch (error) {
        // Another process may take the port between our probe and redis binding it.
        if (attempt >= 4) throw error
      }
    }
  } catch (error) {
    rmSync(dir, { recursive: true, force: true })
    throw error
  }

  return {
    host,
    port,
    url: `redis://${host}:${port}`,
    pause: () => {
      child?.kill('SIGSTOP')
    },
    resume: () => {
      child?.kill('SIGCONT')
    },
    kill: stopChild,
    restart: async () => {
      await stopChild()
      child = await launch()
    },
    stop: async () => {
      await stopChild()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
