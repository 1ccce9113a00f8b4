import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import {
  defaultFixture,
  type Emulator,
  generateAesKey,
  pushEvent,
  startEmulator,
} from '@dingtalk-kit/emulator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const org = defaultFixture.orgs[0]!
const app = org.apps![0]!
const IN_FLIGHT = 32
const HANDLER_MS = 1500

let emu: Emulator
const children: ChildProcess[] = []
beforeAll(async () => {
  emu = await startEmulator({ suiteTicketIntervalMs: 0 })
})
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL')
  await emu?.close()
})

/** Starts an example as `pnpm start` does, against this test's emulator; resolves with its URL. */
async function startExample(
  name: 'koa' | 'hono' | 'nestjs',
  callback: { token: string; aesKey: string },
): Promise<{ child: ChildProcess; url: string; exited: Promise<number | null> }> {
  const dir = fileURLToPath(new URL(`../../${name}-example/`, import.meta.url))
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=@dingtalk-kit/source', 'src/main.ts'],
    {
      cwd: dir,
      env: {
        ...process.env,
        PORT: '0',
        DINGTALK_APP_KEY: app.appKey,
        DINGTALK_APP_SECRET: app.appSecret,
        DINGTALK_CORP_ID: org.corpId,
        DINGTALK_AGENT_ID: String(app.agentId),
        DINGTALK_BASE_URL: emu.url,
        DINGTALK_API_BASE_URL: emu.url,
        DINGTALK_CALLBACK_TOKEN: callback.token,
        DINGTALK_CALLBACK_AES_KEY: callback.aesKey,
        DINGTALK_REGISTER_CALLBACK: 'false',
        DRAIN_TIMEOUT_MS: '10000',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
  children.push(child)
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const url = await new Promise<string>((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const found = /example on (http:\/\/[\d.:]+)/.exec(out)
      if (found) resolve(found[1]!)
    })
    void exited.then((code) => reject(new Error(`${name} example exited (${code}) before listening: ${out}`)))
  })
  return { child, url, exited }
}

describe('SIGTERM with callbacks in flight: the example apps drain', () => {
  it.each(['koa', 'hono', 'nestjs'] as const)(
    `%s: all ${IN_FLIGHT} callbacks in flight get their reply, new connections are refused, exit 0`,
    async (name) => {
      const callback = { token: `drain-${name}`, aesKey: generateAesKey() }
      const { child, url, exited } = await startExample(name, callback)
      // Each callback's handler fetches the user from DingTalk, which answers slowly.
      emu.faults.inject({ route: '/topapi/v2/user/get', kind: 'latency', ms: HANDLER_MS, times: IN_FLIGHT })
      const before = emu.count('/topapi/v2/user/get')
      const pushes = Array.from({ length: IN_FLIGHT }, (_, i) =>
        pushEvent({
          url: `${url}/dingtalk/callback`,
          token: callback.token,
          aesKey: callback.aesKey,
          receiveId: org.corpId,
          event: {
            EventType: 'user_add_org',
            UserId: ['lisi'],
            CorpId: org.corpId,
            eventId: `drain-${name}-${i}`,
          },
          timeoutMs: 15_000,
        }),
      )
      // Every handler is waiting on DingTalk: all 32 callbacks are in flight.
      const deadline = Date.now() + 20_000
      while (emu.count('/topapi/v2/user/get') - before < IN_FLIGHT && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 20))
      expect(emu.count('/topapi/v2/user/get') - before).toBe(IN_FLIGHT)
      child.kill('SIGTERM')
      await new Promise((resolve) => setTimeout(resolve, 200))
      // Closed for new connections while the old ones drain.
      await expect(fetch(`${url}/`)).rejects.toThrow()
      const results = await Promise.all(pushes)
      const failed = results.filter((r) => !r.ok).map((r) => r.attempts.map((a) => a.reason ?? a.status))
      expect(failed).toEqual([])
      expect(results.every((r) => r.attempts.length === 1)).toBe(true)
      expect(await exited).toBe(0)
      emu.faults.clear()
    },
    60_000,
  )
})
