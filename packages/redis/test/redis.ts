import { type RedisServer, redisServerAvailable, startRedisServer } from '../src/testing'

/** Whether a local `redis-server` can be started (needed for the fault and multi-process tests). */
export const canStartRedis: boolean = redisServerAvailable()

if (!canStartRedis) {
  const message =
    'redis-server is not installed: the @dingtalk-kit/redis tests that need their own server cannot run'
  // In CI a missing binary is a broken environment, not a reason to skip.
  if (process.env.CI === 'true' || process.env.CI === '1') throw new Error(`${message} (CI=true)`)
  console.warn(
    `\n${'!'.repeat(100)}\n!! SKIPPING: ${message}.\n!! Install it (apt-get install redis-server) or set REDIS_URL.\n${'!'.repeat(100)}\n`,
  )
}

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
