import type { ChildProcess } from 'node:child_process'
import { storeKey } from '@dingtalk-kit/core'
import { defaultFixture, type Emulator, startEmulator } from '@dingtalk-kit/emulator'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RedisServer, startRedisServer } from '../src/testing'
import type { Command, Report } from './instance'
import { instanceEnv, startInstance, until } from './redis'

const app = defaultFixture.orgs[0]!.apps![0]!
const INSTANCES = 8
const CALLS = 250
const LEASE_MS = 3000
const TWO_HOURS = 2 * 3600_000
const PREFIX = `multi:${process.pid}:`
const TOKEN_LOCK = `${PREFIX}${storeKey({ owner: app.appKey, kind: 'access_token' })}:lock`
const INSTANCE_FILE = new URL('./instance.ts', import.meta.url)

interface Instance {
  proc: ChildProcess
  pid: number
  reports: Report[]
}

interface FetchNote {
  pid: number
  path: string
  at: number
}

// 8 real processes on a 2-core machine: bounded by the lease and the wait timeout, not by speed.
describe('8 instances (Node processes) on one Redis and one DingTalk', { timeout: 90_000 }, () => {
  let server: RedisServer
  let emu: Emulator
  let admin: Redis
  let instances: Instance[] = []
  const fetches: FetchNote[] = []

  const spawnInstance = async (): Promise<Instance> => {
    const reports: Report[] = []
    const env = instanceEnv(server.url, emu.url, app, {
      KEY_PREFIX: PREFIX,
      LEASE_MS: String(LEASE_MS),
    })
    const { proc, ready } = await startInstance<Report>(INSTANCE_FILE, env, (report) => {
      if (report.type === 'fetch') fetches.push(report)
      else reports.push(report)
    })
    await ready
    return { proc, pid: proc.pid ?? 0, reports }
  }

  let nextId = 0
  const ask = async <T extends Report>(instance: Instance, command: Command): Promise<T> => {
    const id = ++nextId
    instance.proc.send({ ...command, id })
    const mine = (): Report | undefined => instance.reports.find((r) => 'id' in r && r.id === id)
    const exited = (): boolean => instance.proc.exitCode !== null || instance.proc.signalCode !== null
    await until(() => mine() !== undefined || exited(), 40_000, `${command.cmd} reply`)
    // A killed instance never answers: its caller hears so at once, not 40 s later (when another test runs).
    const reply = mine()
    if (reply === undefined)
      throw new Error(`instance ${instance.pid} exited before its ${command.cmd} reply`)
    return reply as T
  }

  const all = <T extends Report>(command: Command, of: Instance[] = instances): Promise<T[]> =>
    Promise.all(of.map((instance) => ask<T>(instance, command)))

  const alive = (): Instance[] =>
    instances.filter((i) => !i.proc.killed && i.proc.exitCode === null && i.proc.signalCode === null)

  beforeAll(async () => {
    server = await startRedisServer()
    emu = await startEmulator({ suiteTicketIntervalMs: 0 })
    admin = new Redis(server.url)
    instances = await Promise.all(Array.from({ length: INSTANCES }, spawnInstance))
  }, 50_000)

  afterAll(async () => {
    for (const instance of instances) instance.proc.kill('SIGKILL')
    await Promise.all(
      instances.map((i) =>
        i.proc.exitCode !== null || i.proc.signalCode !== null
          ? undefined
          : new Promise((resolve) => i.proc.once('exit', resolve)),
      ),
    )
    admin?.disconnect()
    await emu?.close()
    await server?.stop()
  })

  it('8 × 250 concurrent getAccessToken() and getJsapiTicket() → exactly 1 gettoken and 1 get_jsapi_ticket', async () => {
    const [tokens, tickets] = await Promise.all([
      all<Extract<Report, { type: 'burst' }>>({ cmd: 'burst', n: CALLS, what: 'token' }),
      all<Extract<Report, { type: 'burst' }>>({ cmd: 'burst', n: CALLS, what: 'ticket' }),
    ])
    expect(emu.count('/gettoken')).toBe(1)
    expect(emu.count('/get_jsapi_ticket')).toBe(1)
    expect(tokens.flatMap((r) => r.errors)).toEqual([])
    expect(tickets.flatMap((r) => r.errors)).toEqual([])
    expect(new Set(tokens.flatMap((r) => r.values)).size).toBe(1)
    const ticket = new Set(tickets.flatMap((r) => r.values))
    expect(ticket.size).toBe(1)
    // Every instance hands out the one ticket DingTalk still accepts.
    expect(emu.isTicketValid([...ticket][0]!)).toBe(true)
  })

  it('after DingTalk expires the token, the token-expired replays and 8 × 250 reads refresh it exactly once', async () => {
    const before = emu.count('/gettoken')
    expect(emu.expireTokens({ appKey: app.appKey })).toBe(1)
    // API calls meet "token expired" (§4.5), drop the dead token (compare-and-delete), refresh and replay; reads join in.
    const [api, tokens] = await Promise.all([
      all<Extract<Report, { type: 'burst' }>>({ cmd: 'burst', n: 5, what: 'api' }),
      all<Extract<Report, { type: 'burst' }>>({ cmd: 'burst', n: CALLS, what: 'token' }),
    ])
    expect(api.flatMap((r) => r.errors)).toEqual([])
    expect(api.map((r) => r.values)).toEqual(Array.from({ length: INSTANCES }, () => ['zhangsan']))
    expect(emu.count('/gettoken') - before).toBe(1)
    expect(tokens.flatMap((r) => r.errors)).toEqual([])
    const after = await all<Extract<Report, { type: 'burst' }>>({ cmd: 'burst', n: CALLS, what: 'token' })
    expect(new Set(after.flatMap((r) => r.values)).size).toBe(1)
    expect(emu.count('/gettoken') - before).toBe(1)
  })

  it('when every instance sees the ticket expire, exactly one fetches a new ticket', async () => {
    const tokenBefore = emu.count('/gettoken')
    const ticketBefore = emu.count('/get_jsapi_ticket')
    await all({ cmd: 'advance', ms: TWO_HOURS })
    const tickets = await all<Extract<Report, { type: 'burst' }>>({
      cmd: 'burst',
      n: CALLS,
      what: 'ticket',
    })
    expect(tickets.flatMap((r) => r.errors)).toEqual([])
    const ticket = new Set(tickets.flatMap((r) => r.values))
    expect(ticket.size).toBe(1)
    expect(emu.isTicketValid([...ticket][0]!)).toBe(true)
    expect(emu.count('/get_jsapi_ticket') - ticketBefore).toBe(1)
    expect(emu.count('/gettoken') - tokenBefore).toBe(1)
  })

  it('the lease holder killed mid-refresh: another takes over after the lease, with no fetch before it', async () => {
    const before = emu.count('/gettoken')
    const firstFetch = fetches.length
    emu.faults.inject({ route: '/gettoken', kind: 'latency', ms: 60_000, times: 1 })
    await all({ cmd: 'advance', ms: TWO_HOURS })
    const bursts = alive().map((instance) => ({
      instance,
      reply: ask<Extract<Report, { type: 'burst' }>>(instance, { cmd: 'burst', n: CALLS, what: 'token' }),
    }))
    await until(() => fetches.length > firstFetch, 20_000, 'the first gettoken')
    const winner = fetches[firstFetch]!
    expect(winner.path).toBe('/gettoken')
    const holder = instances.find((i) => i.pid === winner.pid)!
    const lease = await admin.get(TOKEN_LOCK)
    holder.proc.kill('SIGKILL')
    // The killed holder's own burst never answers: its ask fails at once (checked below).
    const holderFailed = expect(bursts.find((b) => b.instance === holder)!.reply).rejects.toThrow(
      /exited before/,
    )
    expect(lease).not.toBeNull()
    // On a loaded machine the holder can die between its note and its request reaching DingTalk; then the
    // latency fault would still be armed for the instance that takes over. Disarm it.
    emu.faults.clear()

    // While the dead holder's lease is in Redis, nobody else may call gettoken (its own call may still be
    // on the way: the note is sent just before the request).
    let checks = 0
    const survivors = bursts.filter((b) => b.instance !== holder)
    let finished = false
    const settled = Promise.all(survivors.map((b) => b.reply)).finally(() => {
      finished = true
    })
    while (!finished) {
      const calls = emu.count('/gettoken') - before
      if ((await admin.get(TOKEN_LOCK)) === lease) {
        expect(calls).toBeLessThanOrEqual(1)
        checks++
      }
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    const results = await settled
    await holderFailed
    expect(checks).toBeGreaterThan(0)
    expect(results.flatMap((r) => r.errors)).toEqual([])
    const values = new Set(results.flatMap((r) => r.values))
    expect(values.size).toBe(1)
    // The holder's own call may or may not have reached DingTalk before it died; the taker's did.
    expect(emu.count('/gettoken') - before).toBeGreaterThanOrEqual(1)
    expect(emu.count('/gettoken') - before).toBeLessThanOrEqual(2)
    const takeover = fetches.slice(firstFetch).filter((f) => f.path === '/gettoken')
    expect(takeover).toHaveLength(2)
    expect(takeover[1]!.pid).not.toBe(holder.pid)
  })

  it('de-duplication marks and suite state written by one process are there for a new process', async () => {
    const writer = alive()[0]!
    const dedupeKey = storeKey({ owner: 'suiteemu0000000001', kind: 'dedupe:event-1' })
    const ticketKey = storeKey({ owner: 'suiteemu0000000001', kind: 'suite_ticket' })
    expect(
      (await ask<Extract<Report, { type: 'done' }>>(writer, { cmd: 'claim', key: dedupeKey, value: '1' }))
        .result,
    ).toBe(true)
    await ask(writer, { cmd: 'write', key: ticketKey, value: 'ticket-from-writer' })
    writer.proc.send({ cmd: 'exit' } satisfies Command)
    await new Promise((resolve) => writer.proc.once('exit', resolve))

    const fresh = await spawnInstance()
    instances.push(fresh)
    expect(
      (await ask<Extract<Report, { type: 'done' }>>(fresh, { cmd: 'read', key: ticketKey })).result,
    ).toBe('ticket-from-writer')
    expect(
      (await ask<Extract<Report, { type: 'done' }>>(fresh, { cmd: 'claim', key: dedupeKey, value: '2' }))
        .result,
    ).toBe(false)
  })
})
