import type { ChildProcess } from 'node:child_process'
import { signJsapi } from '@dingtalk-kit/core'
import { defaultFixture, type Emulator, startEmulator } from '@dingtalk-kit/emulator'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RedisServer, redisServerAvailable, startRedisServer } from '../src/testing'
import { instanceEnv, startInstance, until } from './redis'
import type { Signed, TicketCommand, TicketOrder, TicketReport } from './ticket-instance'

const org = defaultFixture.orgs[0]!
const app = org.apps![0]!
const INSTANCES = 8
const SIGNERS = 3
const PAGE_URL = 'https://app.example.com/page'
const INSTANCE_FILE = new URL('./ticket-instance.ts', import.meta.url)

interface Instance {
  proc: ChildProcess
  reports: TicketReport[]
}

interface Phase {
  fetches: number
  configs: number
  stale: number
  errors: string[]
  perInstance: number[]
}

// §3.1: every get_jsapi_ticket replaces the ticket; a dd.config signed with the replaced one fails (52013).
describe('8 instances (Node processes) signing dd.config on one redis-server', { timeout: 120_000 }, () => {
  let server: RedisServer
  let emu: Emulator
  let admin: Redis
  const instances: Instance[] = []
  /** Every ticket the emulator issued, in order, with when (wall clock) it replaced the one before. */
  const issued: { ticket: string; at: number }[] = []

  const spawn = async (): Promise<Instance> => {
    const reports: TicketReport[] = []
    const env = instanceEnv(server.url, emu.url, app, {
      CORP_ID: org.corpId,
      AGENT_ID: String(app.agentId),
      KEY_PREFIX: `tickets:${process.pid}:`,
    })
    const { proc, ready } = await startInstance<TicketReport>(INSTANCE_FILE, env, (report) =>
      reports.push(report),
    )
    await ready
    return { proc, reports }
  }

  let nextId = 0
  const ask = async <T extends TicketReport>(instance: Instance, command: TicketCommand): Promise<T> => {
    instance.proc.send(command)
    const mine = (): TicketReport | undefined =>
      instance.reports.find((r) => 'id' in r && r.id === command.id)
    await until(() => mine() !== undefined, 60_000, `${command.cmd} reply`)
    return mine() as T
  }
  const all = (command: TicketOrder): Promise<TicketReport[]> => {
    const id = ++nextId
    return Promise.all(instances.map((i) => ask(i, { ...command, id })))
  }

  /** Which issued ticket signed `config`, and whether it had been replaced before the signing began. */
  const judge = (config: Signed): 'current' | 'stale' | 'unknown' => {
    const index = issued.findIndex(
      ({ ticket }) =>
        signJsapi({ ticket, nonceStr: config.nonceStr, timeStamp: config.timeStamp, url: PAGE_URL }) ===
        config.signature,
    )
    if (index < 0) return 'unknown'
    const next = issued[index + 1]
    return next !== undefined && next.at <= config.at ? 'stale' : 'current'
  }

  /** Every instance signs for `ms` while `during` runs; then the configs are judged. */
  const phase = async (
    ms: number,
    during: () => Promise<unknown> = async () => undefined,
  ): Promise<Phase> => {
    const before = emu.count('/get_jsapi_ticket')
    const signing = all({ cmd: 'sign', ms, signers: SIGNERS, url: PAGE_URL })
    await new Promise((resolve) => setTimeout(resolve, ms / 3))
    const at = Date.now()
    await during()
    const reports = (await signing) as Extract<TicketReport, { type: 'signed' }>[]
    const configs = reports.flatMap((r) => r.configs)
    const verdicts = configs.map(judge)
    expect(verdicts.filter((v) => v === 'unknown')).toEqual([])
    return {
      fetches: emu.count('/get_jsapi_ticket') - before,
      configs: configs.length,
      stale: verdicts.filter((v) => v === 'stale').length,
      errors: reports.flatMap((r) => r.errors),
      // Configs each instance signed after the event: every instance went on signing, with the new ticket.
      perInstance: reports.map((r) => r.configs.filter((c) => c.at > at + 200).length),
    }
  }

  const expectClean = (name: string, result: Phase): void => {
    console.info(
      `[measured] ${INSTANCES} processes, ${name}: ${result.configs} dd.config signed, ${result.stale} with a ` +
        `replaced ticket, ${result.fetches} get_jsapi_ticket, ${result.errors.length} errors`,
    )
    expect(result.errors).toEqual([])
    expect(result.stale).toBe(0)
    expect(result.fetches).toBe(1)
    expect(result.perInstance.every((n) => n > 0)).toBe(true)
  }

  beforeAll(async () => {
    // A real redis-server or nothing: this test fails, never skips, without one.
    if (!redisServerAvailable()) {
      throw new Error(
        'redis-server is not installed, and the 8-instance ticket test needs a real one: ' +
          'apt-get install redis-server (macOS: brew install redis), then run the tests again',
      )
    }
    server = await startRedisServer()
    emu = await startEmulator({ suiteTicketIntervalMs: 0 })
    const tickets = emu.state.tickets
    const set = tickets.set.bind(tickets)
    tickets.set = (ticket, record) => {
      issued.push({ ticket, at: Date.now() })
      return set(ticket, record)
    }
    admin = new Redis(server.url)
    for (let i = 0; i < INSTANCES; i++) instances.push(await spawn())
  }, 60_000)

  afterAll(async () => {
    for (const instance of instances) {
      instance.proc.removeAllListeners('exit')
      instance.proc.kill('SIGKILL')
    }
    admin?.disconnect()
    await emu?.close()
    await server?.stop()
  })

  it('cold start: one get_jsapi_ticket, every dd.config signed with it', async () => {
    expectClean('cold start', await phase(1500))
  })

  it('the natural refresh: one instance fetches at the shared refresh time, none signs with the old ticket', async () => {
    // The clocks walk through the minute before the refresh time (5 min before the 7,200 s expiry), where
    // instances with their own jittered refresh times would each fetch and replace the others' ticket.
    await all({ cmd: 'advance', ms: 6_835_000 })
    const walk = async () => {
      for (let step = 0; step < 15; step++) {
        await all({ cmd: 'advance', ms: 5000 })
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
    }
    expectClean('natural refresh', await phase(3000, walk))
  })

  it('one instance invalidates the ticket (a browser reported 52013): one fetch, all sign with the new one', async () => {
    expectClean(
      'forced invalidation',
      await phase(3000, () => ask(instances[3]!, { cmd: 'invalidate', id: ++nextId })),
    )
  })

  it('the store loses its data (FLUSHALL): one fetch, no warm instance signs with the replaced ticket', async () => {
    expectClean('store flushed', await phase(3000, () => admin.flushall()))
    expect(issued.length).toBe(4)
  })
})
