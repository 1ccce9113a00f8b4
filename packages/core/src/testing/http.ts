import { request as httpRequest } from 'node:http'
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
      resolve({ status: Number(match[1]), body: split === -1 ? '' : text.slice(split + 4) })
    })
    socket.write(head.replaceAll('\n', '\r\n'))
    if (body.length > 0) socket.write(body)
    setImmediate(() => socket.end())
  })
}

/**
 * Streams `total` bytes of a JSON-looking body with chunked encoding (no Content-Length) and resolves
 * with the status the server answered, as soon as it answers.
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
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
    })
    let settled = false
    req.on('response', (res) => {
      settled = true
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.on('error', (error) => {
      if (!settled) reject(error)
    })
    const chunk = Buffer.alloc(64 * 1024, 0x61)
    let sent = 0
    const pump = (): void => {
      while (sent < total && !settled) {
        sent += chunk.length
        if (!req.write(chunk)) {
          req.once('drain', pump)
          return
        }
      }
      req.end()
    }
    req.write('{"encrypt":"')
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
