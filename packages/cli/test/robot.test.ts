import { spawn } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { createDingTalkClient, createDingTalkRoutes } from '@dingtalk-kit/core'
import { defaultFixture, type Emulator, startEmulator } from '@dingtalk-kit/emulator'
import { createStreamClient, type StreamClient } from '@dingtalk-kit/stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const cwd = fileURLToPath(new URL('..', import.meta.url))
const app = defaultFixture.orgs[0]!.apps![0]!

/** Runs the bin as a process; resolves with its exit code and output. */
function bin(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=@dingtalk-kit/source', 'src/bin.ts', ...args],
    {
      cwd,
      env: { ...process.env, NO_COLOR: '1', DINGTALK_BASE_URL: '', DINGTALK_ROBOT_SECRET: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })))
}

describe('dingtalk-kit robot sign', () => {
  it('prints the §14.2 vector and the signed URL with the access_token masked; the secret never', async () => {
    const secret = 'SECexampleWebhookSecret'
    const url = 'https://oapi.dingtalk.com/robot/send?access_token=tok3nV4lue'
    const out = await bin(['robot', 'sign', '--secret', secret, '--timestamp', '1700000000000', '--url', url])
    expect(out.code).toBe(0)
    expect(out.stdout).toContain('timestamp     1700000000000')
    expect(out.stdout).toContain('sign          s4UxclK7nROqJS2ORK7yAFQgBkIpRcJVXOECdv6/jjw=')
    expect(out.stdout).toContain(
      'signed url    https://oapi.dingtalk.com/robot/send?access_token=***&timestamp=1700000000000&sign=s4UxclK7nROqJS2ORK7yAFQgBkIpRcJVXOECdv6%2Fjjw%3D',
    )
    expect(out.stdout + out.stderr).not.toContain(secret)
    expect(out.stdout).not.toContain('tok3nV4lue')
    const missing = await bin(['robot', 'sign'])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('missing --secret')
  }, 30_000)
})

describe('dingtalk-kit robot say (against a running emulator and bot)', () => {
  let emu: Emulator
  let stream: StreamClient
  let server: Server
  let robotUrl: string

  beforeAll(async () => {
    emu = await startEmulator({ suiteTicketIntervalMs: 0, stream: { pingIntervalMs: 0 } })
    const client = createDingTalkClient(
      { appKey: app.appKey, appSecret: app.appSecret },
      { baseUrl: emu.url },
    )
    stream = createStreamClient({ client, apiBaseUrl: emu.url, logger: {} })
    stream.on('robot_message', (m) => m.reply(`stream echo: ${m.text}`))
    await stream.start()
    const routes = createDingTalkRoutes({ client, robot: true })
    routes.on('robot_message', (m) => m.reply(`http echo: ${m.text}`))
    server = createServer(async (req, res) => {
      const r = await routes.serve({
        method: req.method ?? '',
        path: req.url ?? '/',
        headers: req.headers,
        body: req,
      })
      if (!r) return void res.writeHead(404).end()
      res.writeHead(r.status, r.headers).end(r.body)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    robotUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/robot`
  })
  afterAll(async () => {
    await stream?.close()
    await new Promise<void>((resolve) => server.close(() => resolve()))
    await emu?.close()
  })

  it('over Stream: the bot gets the DM and its reply is printed', async () => {
    const out = await bin(['robot', 'say', 'hello bot', '--emulator', emu.url, '--to', 'lisi'])
    expect(out.stderr).toBe('')
    expect(out.code).toBe(0)
    expect(out.stdout).toMatch(/delivered to cidDM\w+ \(ACKed\)/)
    expect(out.stdout).toContain('reply (sessionWebhook)  stream echo: hello bot')
  }, 30_000)

  it('over HTTP mode to a group; without @robot it is not delivered (exit 1)', async () => {
    const out = await bin([
      'robot',
      'say',
      'faq',
      '--emulator',
      emu.url,
      '--to',
      'group:研发群',
      '--mode',
      'http',
      '--url',
      robotUrl,
    ])
    expect(out.code).toBe(0)
    expect(out.stdout).toContain('(HTTP 200)')
    expect(out.stdout).toContain('http echo: faq')
    const quiet = await bin(['robot', 'say', 'x', '--emulator', emu.url, '--to', 'group:研发群', '--no-at'])
    expect(quiet.code).toBe(1)
    expect(quiet.stdout).toContain('not delivered')
    const usage = await bin(['robot', 'say', 'x'])
    expect(usage.code).toBe(2)
    expect(usage.stderr).toContain('--emulator')
  }, 30_000)
})
