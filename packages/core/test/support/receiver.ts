import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createCallbackCrypto } from '../../src/index'

export type Json = Record<string, unknown>

/** A callback endpoint on node:http built on the core's crypto: verifies, decrypts, records, replies. */
export interface TestReceiver {
  url: string
  events: Json[]
  /** `success`: a correct encrypted reply; `wrong`: encrypted "fail"; `http500`: an error status. */
  mode: 'success' | 'wrong' | 'http500'
  close(): Promise<void>
}

export async function startTestReceiver(options: {
  token: string
  aesKey: string
  receiveId: string
  onEvent?: (event: Json) => Promise<void> | void
}): Promise<TestReceiver> {
  const crypto = createCallbackCrypto(options)
  const receiver: TestReceiver = { url: '', events: [], mode: 'success', close: async () => {} }
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', async () => {
      try {
        const query = new URL(req.url ?? '/', 'http://x').searchParams
        const { encrypt } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { encrypt: string }
        const opened = await crypto.open({
          signature: query.get('msg_signature') ?? query.get('signature') ?? undefined,
          timestamp: query.get('timeStamp') ?? query.get('timestamp') ?? undefined,
          nonce: query.get('nonce') ?? undefined,
          encrypt,
        })
        const event = JSON.parse(opened.message) as Json
        receiver.events.push(event)
        if (receiver.mode === 'http500') {
          res.writeHead(500).end()
          return
        }
        await options.onEvent?.(event)
        const random = typeof event.Random === 'string' ? event.Random : undefined
        const text = receiver.mode === 'wrong' ? 'fail' : (random ?? 'success')
        res.writeHead(200, { 'Content-Type': 'application/json' })
        res.end(JSON.stringify(await crypto.reply(text)))
      } catch {
        res.writeHead(400).end()
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/dingtalk`
  receiver.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    })
  return receiver
}
