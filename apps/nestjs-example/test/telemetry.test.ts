// `DINGTALK_OTEL=console pnpm start`, as a process of its own on the bundled emulator: the callback registered
// at start-up (the emulator checks it with check_url) shows up as spans on stdout — the registration's API
// calls and the callback they cause — and the process ends cleanly, its telemetry flushed.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { expect, it, vi } from 'vitest'
import { exporterFromEnv } from '../src/telemetry'

it('prints the spans of its start-up with DINGTALK_OTEL=console, and refuses an unknown exporter', async () => {
  expect(() => exporterFromEnv({ DINGTALK_OTEL: 'stdout' })).toThrow(/console or otlp/)
  const example = spawn(
    process.execPath,
    ['--conditions=@dingtalk-kit/source', '--import', 'tsx', 'src/main.ts'],
    {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env: { ...process.env, PORT: '0', DINGTALK_OTEL: 'console' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  const chunks: Buffer[] = []
  example.stdout.on('data', (chunk: Buffer) => chunks.push(chunk))
  example.stderr.on('data', (chunk: Buffer) => chunks.push(chunk))
  const printed = () => Buffer.concat(chunks).toString('utf8')
  try {
    await vi.waitFor(() => expect(printed()).toContain('NestJS example on http://'), {
      timeout: 25_000,
      interval: 100,
    })
    await vi.waitFor(() => expect(printed()).toContain("name: 'DingTalk callback check_url'"), {
      timeout: 10_000,
    })
    for (const name of [
      'DingTalk handle check_url',
      'DingTalk GET /gettoken',
      'DingTalk POST /call_back/register_call_back',
    ])
      expect(printed()).toContain(`name: '${name}'`)
    expect(printed()).toContain("'service.name': 'dingtalk-kit-nestjs-example'")
  } finally {
    example.kill('SIGINT')
  }
  const [code] = await once(example, 'exit')
  expect(code).toBe(0)
})
