import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import { createCallbackCrypto } from '@dingtalk-kit/core'
import { run } from '../src/index'

export interface Captured {
  stdout: string
  stderr: string
  code: number
}

export interface TestIo {
  stdout: { write(s: string): boolean; isTTY?: boolean; text: string }
  stderr: { write(s: string): boolean; isTTY?: boolean; text: string }
  env: Record<string, string | undefined>
  stdin: Readable & { isTTY?: boolean }
  signal?: AbortSignal
  now?: () => number
  progressDelayMs?: number
  cwd?: string
}

export function stream(isTTY = false): TestIo['stdout'] {
  const s = {
    text: '',
    isTTY,
    write(chunk: string) {
      s.text += chunk
      return true
    },
  }
  return s
}

export function testIo(
  options: { env?: Record<string, string>; stdin?: string; tty?: boolean } = {},
): TestIo {
  const stdin = Readable.from(options.stdin === undefined ? [] : [options.stdin]) as Readable & {
    isTTY?: boolean
  }
  stdin.isTTY = options.stdin === undefined
  return { stdout: stream(options.tty), stderr: stream(options.tty), env: options.env ?? {}, stdin }
}

/** Runs the CLI in-process with captured output and an empty environment unless given. */
export async function cli(
  argv: string[],
  options: { env?: Record<string, string>; stdin?: string; io?: Partial<TestIo> } = {},
): Promise<Captured> {
  const io = { ...testIo(options), ...options.io }
  const code = await run(argv, io)
  return { stdout: io.stdout.text, stderr: io.stderr.text, code }
}

/** Polls `check` until it holds; fails after `timeoutMs` (generous: only a broken test waits that long). */
export async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const started = Date.now()
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** How the test app answers a callback. */
export type AppMode = 'success' | 'wrong-text' | 'wrong-receive-id' | 'wrong-token' | 'http500' | 'plain'

export interface TestApp {
  url: string
  mode: AppMode
  /** Decrypted events, in order. */
  events: Record<string, unknown>[]
  /** Raw requests as text (request line, headers, body), for decrypt tests. */
  raw: string[]
  /** When set, a reply waits for it. */
  gate?: Promise<void>
  close(): Promise<void>
}

function rawRequest(req: IncomingMessage, body: string): string {
  const headers = Object.entries(req.headers)
    .map(([k, v]) => `${k}: ${String(v)}`)
    .join('\r\n')
  return `${req.method} ${req.url} HTTP/1.1\r\n${headers}\r\n\r\n${body}`
}

/**
 * A callback endpoint on node:http using @dingtalk-kit/core: verifies, decrypts, records the event and
 * answers (correctly or with the mistake `mode` names).
 */
export async function startApp(credentials: {
  token: string
  aesKey: string
  receiveId: string
}): Promise<TestApp> {
  const crypto = createCallbackCrypto(credentials)
  const app: TestApp = { url: '', mode: 'success', events: [], raw: [], close: async () => {} }
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8')
      app.raw.push(rawRequest(req, body))
      const q = new URL(req.url ?? '/', 'http://x').searchParams
      try {
        const { encrypt } = JSON.parse(body) as { encrypt: string }
        const { message } = await crypto.open({
          signature: q.get('msg_signature') ?? q.get('signature') ?? undefined,
          timestamp: q.get('timeStamp') ?? q.get('timestamp') ?? undefined,
          nonce: q.get('nonce') ?? undefined,
          encrypt,
        })
        const event = JSON.parse(message) as Record<string, unknown>
        app.events.push(event)
        if (app.gate) await app.gate
        const text = typeof event.Random === 'string' ? event.Random : 'success'
        let reply: unknown
        switch (app.mode) {
          case 'http500':
            res.writeHead(500).end('boom')
            return
          case 'plain':
            reply = { text: 'success' }
            break
          case 'wrong-text':
            reply = await crypto.reply('ok')
            break
          case 'wrong-receive-id':
            reply = await createCallbackCrypto({ ...credentials, receiveId: 'dingsomeoneelse' }).reply(text)
            break
          case 'wrong-token':
            reply = await createCallbackCrypto({ ...credentials, token: 'another-token' }).reply(text)
            break
          default:
            reply = await crypto.reply(text)
        }
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(reply))
      } catch {
        res.writeHead(403).end('forbidden')
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  app.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/dingtalk/callback`
  app.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    })
  return app
}

/** Official vector A of the protocol reference (§1.8). */
export const VECTOR_A = {
  token: '123456',
  aesKey: '4g5j64qlyl3zvetqxz5jiocdr586fn2zvjpa8zls3ij',
  receiveId: 'suite4xxxxxxxxxxxxxxx',
  query: 'signature=5a65ceeef9aab2d149439f82dc191dd6c5cbe2c0&timestamp=1445827045067&nonce=nEXhMP4r',
  encrypt:
    '1a3NBxmCFwkCJvfoQ7WhJHB+iX3qHPsc9JbaDznE1i03peOk1LaOQoRz3+nlyGNhwmwJ3vDMG+OzrHMeiZI7gTRWVdUBmfxjZ8Ej23JVYa9VrYeJ5as7XM/ZpulX8NEQis44w53h1qAgnC3PRzM7Zc/D6Ibr0rgUathB6zRHP8PYrfgnNOS9PhSBdHlegK+AGGanfwjXuQ9+0pZcy0w9lQ==',
  message:
    '{"EventType":"check_create_suite_url","Random":"LPIdSnlF","TestSuiteKey":"suite4xxxxxxxxxxxxxxx"}',
}
