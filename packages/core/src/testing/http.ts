import { connect } from 'node:net'

/**
 * A response read off the wire by {@link rawHttp}.
 *
 * @example
 * ```ts
 * const { status, body }: RawResponse = await rawHttp(port, 'GET / HTTP/1.1\nHost: x\nConnection: close\n\n')
 * ```
 */
export interface RawResponse {
  status: number
  body: string
}

/**
 * Sends bytes exactly as given (`\n` becomes CRLF in `head`) over a fresh TCP connection to 127.0.0.1 and
 * parses the status line and body — for requests `fetch` refuses to send (conflicting framing, lying
 * Content-Length).
 *
 * @example
 * ```ts
 * const res = await rawHttp(port, 'POST /dingtalk/callback HTTP/1.1\nHost: x\nContent-Length: 10485760\n\n', '{"encrypt":"')
 * expect(res.status).toBe(413)
 * ```
 */
export function rawHttp(port: number, head: string, body: string | Uint8Array = ''): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    socket.on('data', (c: Buffer) => chunks.push(c))
    socket.on('error', () => {})
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8')
      const match = /^HTTP\/1\.1 (\d{3})/.exec(text)
      if (!match) return reject(new Error(`no HTTP response: ${JSON.stringify(text.slice(0, 80))}`))
      const split = text.indexOf('\r\n\r\n')
      const body = split === -1 ? '' : text.slice(split + 4)
      const chunked = /\r\ntransfer-encoding:\s*chunked/i.test(text.slice(0, split))
      resolve({ status: Number(match[1]), body: chunked ? unchunk(body) : body })
    })
    socket.write(head.replaceAll('\n', '\r\n'))
    if (body.length > 0) socket.write(body)
    setImmediate(() => socket.end())
  })
}

function unchunk(body: string): string {
  let out = ''
  let rest = body
  for (;;) {
    const line = rest.indexOf('\r\n')
    const size = Number.parseInt(rest.slice(0, line), 16)
    if (line === -1 || !(size > 0)) return out
    out += rest.slice(line + 2, line + 2 + size)
    rest = rest.slice(line + 2 + size + 2)
  }
}

/**
 * Streams `total` bytes of a JSON-looking body with chunked encoding (no Content-Length) over a raw socket
 * and resolves with the status the server answered, as soon as it answers — also when it then closes the
 * connection while the client is still sending (what a server that stops reading should do) — or with 0 when
 * the server closed the connection before the whole body was sent without an answer arriving.
 *
 * @example
 * ```ts
 * expect(await chunkedPost(`${url}/dingtalk/callback?${query}`, 10 * 1024 * 1024)).toBe(413)
 * ```
 */
export function chunkedPost(
  url: string,
  total: number,
  headers: Record<string, string> = {},
): Promise<number> {
  const target = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(target.port), '127.0.0.1')
    let received = ''
    let settled = false
    const finish = (status: number | undefined): void => {
      if (settled) return
      settled = true
      socket.destroy()
      if (status === undefined)
        reject(new Error(`no HTTP response: ${JSON.stringify(received.slice(0, 80))}`))
      else resolve(status)
    }
    socket.on('data', (data: Buffer) => {
      received += data.toString('latin1')
      const match = /^HTTP\/1\.1 (\d{3})/.exec(received)
      if (match) finish(Number(match[1]))
    })
    socket.on('error', () => {})
    // A server that stops reading may close (or reset) the connection while the client still sends; the reset
    // can discard its answer in flight. That is a refusal too: 0.
    socket.on('close', () => finish(sent < total ? 0 : undefined))
    const extra = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`)
    socket.write(
      `POST ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${target.host}\r\n` +
        `Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n${extra.join('')}\r\n`,
    )
    const frame = (bytes: Buffer): Buffer =>
      Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`), bytes, Buffer.from('\r\n')])
    const chunk = frame(Buffer.alloc(64 * 1024, 0x61))
    let sent = 0
    const pump = (): void => {
      while (sent < total && !settled && !socket.destroyed) {
        sent += 64 * 1024
        if (!socket.write(chunk)) {
          socket.once('drain', pump)
          return
        }
      }
      if (!settled && !socket.destroyed) socket.write('0\r\n\r\n')
    }
    socket.write(frame(Buffer.from('{"encrypt":"')))
    pump()
  })
}

/**
 * Sends `body` with `fetch` as JSON (unless headers say otherwise) and returns the status and text.
 *
 * @example
 * ```ts
 * const { status } = await post(`${url}?${query}`, '{"encrypt":"…"}')
 * ```
 */
export async function post(
  url: string,
  body: string,
  init: { method?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: string }> {
  const method = init.method ?? 'POST'
  const response = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', ...init.headers },
    ...(method === 'GET' || method === 'HEAD' ? {} : { body }),
  })
  return { status: response.status, body: await response.text() }
}
