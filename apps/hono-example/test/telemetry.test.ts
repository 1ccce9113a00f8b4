// `DINGTALK_OTEL=console pnpm start`: a process of its own on the bundled emulator, its callback registered at
// start-up (the emulator checks it with check_url); the spans the console exporter prints read back from stdout. (The Koa example's
// test follows one callback into its handler's API call and checks the OTLP exporter.)
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { expect, it, vi } from 'vitest'
import { exporterFromEnv } from '../src/telemetry'

it('DINGTALK_OTEL=console prints the spans of its DingTalk calls; DINGTALK_OTEL is checked', async () => {
  expect(exporterFromEnv({})).toBeUndefined()
  expect(() => exporterFromEnv({ DINGTALK_OTEL: 'zipkin' })).toThrow(/console or otlp/)
  const child = spawn(
    process.execPath,
    ['--conditions=@dingtalk-kit/source', '--import', 'tsx', 'src/main.ts'],
    {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env: { ...process.env, PORT: '0', DINGTALK_OTEL: 'console' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8')
  })
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8')
  })
  try {
    await vi.waitFor(() => expect(output).toContain('events over http'), { timeout: 25_000, interval: 100 })
    // Its start-up: the registration's calls and the check_url callback they cause, each a span.
    await vi.waitFor(() => expect(output).toContain("name: 'DingTalk callback check_url'"), {
      timeout: 10_000,
    })
    expect(output).toContain("name: 'DingTalk GET /gettoken'")
    expect(output).toContain("name: 'DingTalk POST /call_back/register_call_back'")
    expect(output).toContain("'service.name': 'dingtalk-kit-hono-example'")
    expect(output).toMatch(/'url\.path': '\/gettoken'/)
    expect(output).not.toMatch(/access_token=|appsecret=/i)
  } finally {
    child.kill('SIGINT')
  }
  const [code] = await once(child, 'exit')
  expect(code).toBe(0)
})
