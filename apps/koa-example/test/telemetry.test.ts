// The example run as `DINGTALK_OTEL=console|otlp pnpm start` runs it: a process of its own on the bundled
// emulator, a user created in the emulator's directory, the user_add_org callback it pushes handled by the app —
// whose handler fetches the user — and the spans it exports, read back from stdout or an OTLP endpoint.
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { createDingTalkClient } from '@dingtalk-kit/core'
import { defaultFixture } from '@dingtalk-kit/emulator'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { exporterFromEnv } from '../src/telemetry'

const org = defaultFixture.orgs[0]!
const app = org.apps![0]!
const children: ChildProcess[] = []

afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL')
})

/** A span as `ConsoleSpanExporter` prints it (`console.dir` of an object), read back from the text. */
interface PrintedSpan {
  name: string
  traceId: string
  id: string
  parentId: string | undefined
}

function printedSpans(output: string): PrintedSpan[] {
  return output
    .split(/^\{$/m)
    .map((block) => ({
      name: /^ {2}name: '([^']+)'/m.exec(block)?.[1],
      traceId: /^ {2}traceId: '([0-9a-f]{32})'/m.exec(block)?.[1],
      id: /^ {2}id: '([0-9a-f]{16})'/m.exec(block)?.[1],
      parentId: /^ {2}parentSpanContext: \{[^}]*spanId: '([0-9a-f]{16})'/m.exec(block)?.[1],
    }))
    .filter((s): s is PrintedSpan => s.name !== undefined && s.traceId !== undefined && s.id !== undefined)
}

interface Example {
  child: ChildProcess
  output(): string
  /** Ends it as Ctrl-C would; its exit code. */
  stop(): Promise<number | null>
}

function startExample(env: Record<string, string>): Example {
  const cwd = fileURLToPath(new URL('..', import.meta.url))
  const child = spawn(
    process.execPath,
    ['--conditions=@dingtalk-kit/source', '--import', 'tsx', 'src/main.ts'],
    {
      cwd,
      env: { ...process.env, PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  children.push(child)
  let output = ''
  const append = (chunk: Buffer) => {
    output += chunk.toString('utf8')
  }
  child.stdout!.on('data', append)
  child.stderr!.on('data', append)
  return {
    child,
    output: () => output,
    async stop() {
      child.kill('SIGINT')
      const [code] = (await once(child, 'exit')) as [number | null]
      return code
    },
  }
}

/**
 * Waits for the example's banner, adds a user through the emulator's API as an administrator would (the
 * emulator pushes user_add_org to the app), and waits until the app's directory has it: the handler is done.
 */
async function addUser(example: Example, mobile: string): Promise<void> {
  const urls = await vi.waitFor(
    () => {
      const url = /Koa example on (http:\/\/\S+),/.exec(example.output())?.[1]
      const emulator = /bundled emulator at (http:\/\/\S+)/.exec(example.output())?.[1]
      if (url === undefined || emulator === undefined) throw new Error(`no banner yet:\n${example.output()}`)
      return { url, emulator }
    },
    { timeout: 25_000, interval: 100 },
  )
  const admin = createDingTalkClient(
    { appKey: app.appKey, appSecret: app.appSecret, corpId: org.corpId },
    { baseUrl: urls.emulator },
  )
  const { userId } = await admin.contacts.users.create({ name: '吴九', mobile, deptIds: [1] })
  await vi.waitFor(
    async () => {
      const directory = (await (await fetch(`${urls.url}/api/directory`)).json()) as { userId: string }[]
      expect(directory.map((u) => u.userId)).toContain(userId)
    },
    { timeout: 15_000, interval: 100 },
  )
}

describe('DINGTALK_OTEL', () => {
  it('console: the callback, its handler and the API call it makes are printed as one trace', async () => {
    const example = startExample({ DINGTALK_OTEL: 'console' })
    await addUser(example, '13800000123')
    const spans = printedSpans(example.output())
    const callback = spans.find((s) => s.name === 'DingTalk callback user_add_org')
    const handler = spans.find((s) => s.name === 'DingTalk handle user_add_org')
    const call = spans.find((s) => s.name === 'DingTalk POST /topapi/v2/user/get')
    expect(handler?.parentId).toBe(callback?.id)
    expect(call?.parentId).toBe(handler?.id)
    expect(new Set([callback?.traceId, handler?.traceId, call?.traceId]).size).toBe(1)
    expect(example.output()).toContain("'service.name': 'dingtalk-kit-koa-example'")
    expect(example.output()).not.toContain(app.appSecret)
    expect(await example.stop()).toBe(0)
  })

  it('otlp: spans and metrics reach OTEL_EXPORTER_OTLP_ENDPOINT (sent at shutdown at the latest)', async () => {
    const received: { path: string; body: Buffer }[] = []
    const collector = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (chunk: Buffer) => chunks.push(chunk))
      req.on('end', () => {
        received.push({ path: req.url ?? '', body: Buffer.concat(chunks) })
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end()
      })
    })
    collector.listen(0, '127.0.0.1')
    await once(collector, 'listening')
    try {
      const { port } = collector.address() as AddressInfo
      const example = startExample({
        DINGTALK_OTEL: 'otlp',
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
      })
      await addUser(example, '13800000124')
      expect(await example.stop()).toBe(0)
      // Protobuf carries strings as UTF-8 bytes: the span and metric names are in the requests' bodies.
      const sent = (path: string) => Buffer.concat(received.filter((r) => r.path === path).map((r) => r.body))
      expect(sent('/v1/traces').includes('DingTalk callback user_add_org')).toBe(true)
      expect(sent('/v1/traces').includes('DingTalk POST /topapi/v2/user/get')).toBe(true)
      expect(sent('/v1/metrics').includes('dingtalk.api.calls')).toBe(true)
    } finally {
      collector.closeAllConnections()
      collector.close()
    }
  })

  it('is off unless set; only console and otlp are accepted', () => {
    expect(exporterFromEnv({})).toBeUndefined()
    expect(exporterFromEnv({ DINGTALK_OTEL: '' })).toBeUndefined()
    expect(exporterFromEnv({ DINGTALK_OTEL: 'console' })).toBe('console')
    expect(exporterFromEnv({ DINGTALK_OTEL: 'otlp' })).toBe('otlp')
    expect(() => exporterFromEnv({ DINGTALK_OTEL: 'jaeger' })).toThrow(/console or otlp/)
  })
})
