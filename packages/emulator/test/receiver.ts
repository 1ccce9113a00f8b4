import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { decryptMessage, encryptMessage, randomAlphanumeric, signature } from '../src/crypto'

export type Json = Record<string, unknown>

/** How the receiver answers: correctly, with a wrong text, or with HTTP 500. */
export type ReceiverMode = 'success' | 'wrong' | 'http500'

export interface Receiver {
  url: string
  events: Json[]
  /** Query parameter names of each push, in order. */
  queries: Record<string, string>[]
  /** Pushes whose signature or receive-id did not verify. */
  rejected: number
  mode: ReceiverMode
  close(): Promise<void>
}

/**
 * A tiny app callback endpoint written with node:http and the emulator's own crypto: it verifies,
 * decrypts, records the event, runs `onEvent`, and answers with the encrypted reply.
 */
export async function startReceiver(options: {
  token: string
  aesKey: string
  receiveId: string
  onEvent?: (event: Json) => Promise<void> | void
}): Promise<Receiver> {
  const receiver: Receiver = {
    url: '',
    events: [],
    queries: [],
    rejected: 0,
    mode: 'success',
    close: async () => {},
  }
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', async () => {
      const query = Object.fromEntries(new URL(req.url ?? '/', 'http://x').searchParams)
      receiver.queries.push(query)
      const { encrypt } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { encrypt: string }
      const timestamp = query.timestamp ?? query.timeStamp ?? ''
      const expected = signature({ token: options.token, timestamp, nonce: query.nonce ?? '', encrypt })
      const decrypted = decryptMessage({ aesKey: options.aesKey, encrypt })
      if (
        (query.signature ?? query.msg_signature) !== expected ||
        decrypted.receiveId !== options.receiveId
      ) {
        receiver.rejected++
        res.writeHead(403).end()
        return
      }
      const event = JSON.parse(decrypted.message) as Json
      receiver.events.push(event)
      if (receiver.mode === 'http500') {
        res.writeHead(500).end('oops')
        return
      }
      await options.onEvent?.(event)
      const text =
        receiver.mode === 'wrong'
          ? 'fail'
          : typeof event.Random === 'string' && String(event.EventType).startsWith('check_')
            ? event.Random
            : 'success'
      const reply = encryptMessage({ aesKey: options.aesKey, receiveId: options.receiveId, message: text })
      const timeStamp = String(Date.now())
      const nonce = randomAlphanumeric(8)
      res.writeHead(200, { 'Content-Type': 'application/json' })
      res.end(
        JSON.stringify({
          msg_signature: signature({ token: options.token, timestamp: timeStamp, nonce, encrypt: reply }),
          timeStamp,
          nonce,
          encrypt: reply,
        }),
      )
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/dingtalk/callback`
  receiver.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    })
  return receiver
}

/** A URL nothing listens on. */
export async function deadUrl(): Promise<string> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return `http://127.0.0.1:${port}/gone`
}
