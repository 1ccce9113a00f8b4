import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { type Emulator, startEmulator } from '@dingtalk-kit/emulator'
import { type RedisServer, redisServerAvailable, startRedisServer } from '@dingtalk-kit/redis/testing'
import { afterAll, describe, expect, it } from 'vitest'
import { app, until } from './helpers'
import type { Command, Report } from './instance'

const INSTANCES = 3
const EVENTS = 1000
const INSTANCE_FILE = fileURLToPath(new URL('./instance.ts', import.meta.url))
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url))

interface Instance {
  proc: ChildProcess
  pid: number
  handled: string[]
  closed?: Extract<Report, { type: 'closed' }>
}

let server: RedisServer | undefined
let emu: Emulator | undefined
const instances: Instance[] = []

function spawnInstance(redis: RedisServer, emulator: Emulator): Promise<Instance> {
  return new Promise((resolve, reject) => {
    // The TypeScript sources run directly, like the workspace's own tests.
    const proc = fork(INSTANCE_FILE, [], {
      cwd: REPO_ROOT,
      execArgv: ['--import', 'tsx', '--conditions=@dingtalk-kit/source'],
      env: {
        ...process.env,
        REDIS_URL: redis.url,
        API_BASE_URL: emulator.url,
        APP_KEY: app.appKey,
        APP_SECRET: app.appSecret,
        KEY_PREFIX: `stream-instances:${process.pid}:`,
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    const instance: Instance = { proc, pid: proc.pid ?? 0, handled: [] }
    instances.push(instance)
    proc.on('message', (report: Report) => {
      if (report.type === 'ready') resolve(instance)
      else if (report.type === 'handled') instance.handled.push(report.eventId)
      else instance.closed = report
    })
    proc.once('error', reject)
    proc.once('exit', (code) => {
      if (!instance.closed) reject(new Error(`instance ${instance.pid} exited early (${code})`))
    })
  })
}

afterAll(async () => {
  for (const instance of instances) if (instance.proc.exitCode === null) instance.proc.kill('SIGKILL')
  await emu?.close()
  await server?.stop()
})

describe(`${INSTANCES} instances (Node processes) with Stream clients on one Redis`, () => {
  it(`${EVENTS} events, each redelivered once with a new messageId: every handler ran exactly once per event`, async () => {
    // A real redis-server or nothing: this test fails, never skips, without one.
    if (!redisServerAvailable()) {
      throw new Error(
        'redis-server is not installed, and the 3-instance Stream test needs a real one: ' +
          'apt-get install redis-server (macOS: brew install redis), then run the tests again',
      )
    }
    const redis = await startRedisServer()
    server = redis
    const emulator = await startEmulator({ suiteTicketIntervalMs: 0, stream: { pingIntervalMs: 0 } })
    emu = emulator
    await Promise.all(Array.from({ length: INSTANCES }, () => spawnInstance(redis, emulator)))
    const connections = await emulator.stream.waitForConnections(INSTANCES, app.appKey)
    const owner = new Map(connections.map((c, i) => [c.id, i]))

    // Half while the first frame is still in flight (DingTalk's ACK wait ran out), half after its ACK.
    emulator.stream.redeliver(EVENTS / 2, { after: 'send' })
    emulator.stream.redeliver(EVENTS / 2, { after: 'ack' })
    const deliveries = []
    for (let i = 0; i < EVENTS; i++) {
      deliveries.push(
        emulator.stream.event(app.appKey, 'org_dept_modify', { deptId: [i] }, { eventId: `ev-${i}` }),
      )
      if (i % 50 === 49) await new Promise((resolve) => setImmediate(resolve))
    }
    const results = await Promise.all(deliveries.map((d) => d.done))

    for (const instance of instances) instance.proc.send({ cmd: 'close' } satisfies Command)
    await until(() => instances.every((i) => i.closed !== undefined), 'every instance closed')

    const runs = new Map<string, number>()
    for (const id of instances.flatMap((i) => i.handled)) runs.set(id, (runs.get(id) ?? 0) + 1)
    const frames = deliveries.flatMap((d) => d.attempts)
    const elsewhere = deliveries.filter(
      (d) => owner.get(d.attempts[0]!.connectionId) !== owner.get(d.attempts[1]?.connectionId ?? ''),
    ).length
    const duplicatesAcked = instances.reduce((n, i) => n + i.closed!.stats.redeliveries, 0)
    console.info(
      `[measured] ${INSTANCES} processes on one redis-server, ${EVENTS} events each redelivered once ` +
        `(${frames.length} frames, ${elsewhere} redeliveries at another instance): ${runs.size} handled, ` +
        `${[...runs.values()].filter((n) => n > 1).length} twice; per instance ${instances.map((i) => i.handled.length).join(' / ')}; ` +
        `${duplicatesAcked} frames ACKed as duplicates`,
    )
    expect(results.every((r) => r.ok)).toBe(true)
    expect(deliveries.every((d) => d.attempts.length === 2 && d.redeliveries === 1)).toBe(true)
    expect(deliveries.every((d) => d.attempts[0]!.messageId !== d.attempts[1]!.messageId)).toBe(true)
    expect(deliveries.every((d) => d.attempts.every((a) => a.outcome === 'ack'))).toBe(true)
    // The shared ledger was what stopped the second run: many redeliveries reached another process.
    expect(elsewhere).toBeGreaterThan(EVENTS / 4)
    expect(runs.size).toBe(EVENTS)
    expect([...runs.values()].every((n) => n === 1)).toBe(true)
    expect(instances.every((i) => i.handled.length > 0)).toBe(true)
    expect(duplicatesAcked).toBe(EVENTS)
  }, 180_000)
})
