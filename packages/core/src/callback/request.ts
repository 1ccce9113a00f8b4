/**
 * Header values as Node frameworks hand them over, or a Web `Headers`. Names are case-insensitive.
 *
 * @example
 * ```ts
 * await callback.handle({ method: 'POST', url: req.url, headers: req.headers, body: req })
 * ```
 */
export type CallbackHeaders =
  | Headers
  | Readonly<Record<string, string | readonly string[] | number | undefined>>

/**
 * Query values as frameworks hand them over, a `URLSearchParams`, or a raw query string.
 *
 * @example
 * ```ts
 * await callback.handle({ method: 'POST', query: ctx.query, headers: ctx.headers, body: ctx.req })
 * ```
 */
export type CallbackQuery =
  | URLSearchParams
  | string
  | Readonly<Record<string, string | readonly string[] | undefined | unknown>>

/**
 * The request as an adapter sees it. `body` may be the framework's parsed JSON object, the raw text, the
 * raw bytes, or the unread stream (`ReadableStream` or any async iterable of chunks, such as Node's
 * `IncomingMessage`), in which case the size limit is enforced while reading.
 *
 * @example
 * ```ts
 * const request: CallbackRequest = { method: req.method, url: req.originalUrl, headers: req.headers, body: req.body }
 * ```
 */
export interface CallbackRequest {
  method: string
  /** The query; when absent it is taken from `url`. */
  query?: CallbackQuery
  /** The request URL (absolute or path + query), used when `query` is absent. */
  url?: string
  headers?: CallbackHeaders
  body?: unknown
}

export type Rejection = { status: 400 | 401 | 405 | 413 | 415; reason: string }

export interface SignedQuery {
  signature: string | undefined
  timestamp: string | undefined
  nonce: string | undefined
}

const SIGNED_NAMES = ['signature', 'msg_signature', 'timestamp', 'timeStamp', 'nonce'] as const

function headerValue(headers: CallbackHeaders | undefined, name: string): string | undefined | Rejection {
  if (!headers) return undefined
  if (typeof (headers as Headers).get === 'function' && typeof (headers as Headers).has === 'function') {
    return (headers as Headers).get(name) ?? undefined
  }
  let found: string | undefined
  for (const [key, value] of Object.entries(headers as Record<string, unknown>)) {
    if (key.toLowerCase() !== name) continue
    const values = Array.isArray(value) ? value : value === undefined ? [] : [value]
    for (const v of values) {
      if (found !== undefined) return { status: 400, reason: `header ${name} is repeated` }
      found = String(v)
    }
  }
  return found
}

/** Reads a header by case-insensitive name; repeated values are a rejection. */
export function getHeader(
  headers: CallbackHeaders | undefined,
  name: string,
): string | undefined | Rejection {
  return headerValue(headers, name.toLowerCase())
}

export function isRejection(value: unknown): value is Rejection {
  return typeof value === 'object' && value !== null && 'status' in value && 'reason' in value
}

function queryParams(request: CallbackRequest): URLSearchParams | Record<string, unknown> | Rejection {
  const { query } = request
  if (query === undefined || query === null) {
    const { url } = request
    if (typeof url !== 'string') return new URLSearchParams()
    // Only the query matters here: slicing it out is much cheaper than parsing a whole URL per request,
    // and URLSearchParams decodes it exactly as URL#searchParams would.
    const start = url.indexOf('?')
    if (start === -1) return new URLSearchParams()
    const hash = url.indexOf('#', start)
    return new URLSearchParams(url.slice(start + 1, hash === -1 ? undefined : hash))
  }
  if (typeof query === 'string') return new URLSearchParams(query.startsWith('?') ? query.slice(1) : query)
  if (query instanceof URLSearchParams) return query
  if (typeof query === 'object') return query as Record<string, unknown>
  return { status: 400, reason: 'the query is not an object or string' }
}

function single(
  params: URLSearchParams | Record<string, unknown>,
  name: string,
): string | undefined | Rejection {
  if (params instanceof URLSearchParams) {
    const all = params.getAll(name)
    if (all.length > 1) return { status: 400, reason: `query parameter ${name} is repeated` }
    return all[0]
  }
  const value = params[name]
  if (value === undefined || value === null) return undefined
  if (Array.isArray(value)) {
    if (value.length > 1) return { status: 400, reason: `query parameter ${name} is repeated` }
    const [first] = value as unknown[]
    if (first === undefined) return undefined
    return typeof first === 'string' ? first : { status: 400, reason: `query parameter ${name} is not text` }
  }
  return typeof value === 'string' ? value : { status: 400, reason: `query parameter ${name} is not text` }
}

function either(a: string | undefined, b: string | undefined, names: string): string | undefined | Rejection {
  if (a !== undefined && b !== undefined && a !== b) {
    return { status: 400, reason: `query parameters ${names} are both present and differ` }
  }
  return a ?? b
}

/**
 * The signed query values (§1.6): `msg_signature` or `signature`, `timeStamp` or `timestamp`, and
 * `nonce`. A repeated parameter, a non-text value, or both spellings with different values is a rejection.
 */
export function signedQuery(request: CallbackRequest): SignedQuery | Rejection {
  const params = queryParams(request)
  if (isRejection(params)) return params
  const values: Record<string, string | undefined> = {}
  for (const name of SIGNED_NAMES) {
    const value = single(params, name)
    if (isRejection(value)) return value
    values[name] = value
  }
  const signature = either(values.msg_signature, values.signature, 'msg_signature and signature')
  if (isRejection(signature)) return signature
  const timestamp = either(values.timeStamp, values.timestamp, 'timeStamp and timestamp')
  if (isRejection(timestamp)) return timestamp
  return { signature, timestamp, nonce: values.nonce }
}

export function isJsonContentType(value: string): boolean {
  const media = value.split(';', 1)[0]?.trim().toLowerCase()
  return media === 'application/json'
}

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })

function decode(bytes: Uint8Array): string | Rejection {
  try {
    return fatalUtf8.decode(bytes)
  } catch {
    return { status: 400, reason: 'the body is not valid UTF-8' }
  }
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!
  const out = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.length
  }
  return out
}

const encoder = new TextEncoder()

function toChunk(value: unknown): Uint8Array | undefined {
  if (value instanceof Uint8Array) return value
  if (typeof value === 'string') return encoder.encode(value)
  if (value instanceof ArrayBuffer) return new Uint8Array(value)
  return undefined
}

export interface BodyLimits {
  limit: number
  /** The declared Content-Length, when there is one. */
  declared: number | undefined
}

const DRAIN_CAP = 16 * 1024 * 1024
const DRAIN_MS = 5000

function overflow(limit: number, declared: number | undefined, size: number): Rejection | undefined {
  if (size > limit) return { status: 413, reason: `the body is over ${limit} bytes` }
  if (declared !== undefined && size > declared) {
    return { status: 400, reason: 'the body is longer than its Content-Length' }
  }
  return undefined
}

function isReadableStream(value: unknown): value is ReadableStream<unknown> {
  return typeof (value as ReadableStream | undefined)?.getReader === 'function'
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof (value as AsyncIterable<unknown> | undefined)?.[Symbol.asyncIterator] === 'function'
}

export function isRawBody(body: unknown): boolean {
  return (
    typeof body === 'string' ||
    body instanceof Uint8Array ||
    body instanceof ArrayBuffer ||
    isReadableStream(body) ||
    isAsyncIterable(body)
  )
}

async function readStream(
  stream: ReadableStream<unknown>,
  limits: BodyLimits,
): Promise<Uint8Array | Rejection> {
  const reader = stream.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      const chunk = toChunk(value)
      if (!chunk) return { status: 400, reason: 'the body stream yields something other than bytes' }
      size += chunk.length
      const problem = overflow(limits.limit, limits.declared, size)
      if (problem) return problem
      chunks.push(chunk)
    }
  } catch {
    return { status: 400, reason: 'the body stream failed' }
  } finally {
    reader.cancel().catch(() => {})
  }
  return concat(chunks, size)
}

async function readIterable(
  iterable: AsyncIterable<unknown>,
  limits: BodyLimits,
): Promise<Uint8Array | Rejection> {
  const iterator = iterable[Symbol.asyncIterator]()
  const chunks: Uint8Array[] = []
  let size = 0
  try {
    for (;;) {
      const { done, value } = await iterator.next()
      if (done) break
      const chunk = toChunk(value)
      if (!chunk) return { status: 400, reason: 'the body stream yields something other than bytes' }
      size += chunk.length
      const problem = overflow(limits.limit, limits.declared, size)
      if (problem) {
        // Stopping a Node request stream destroys its socket before the 413 is written: keep discarding
        // what the client still sends (bounded), then stop.
        void drain(iterator)
        return problem
      }
      chunks.push(chunk)
    }
  } catch {
    return { status: 400, reason: 'the body stream failed' }
  }
  return concat(chunks, size)
}

/** Node's `Readable` (an `IncomingMessage`, what Koa and Nest hand over), read through its events. */
interface NodeReadable {
  on(event: string, listener: (value?: unknown) => void): unknown
  off(event: string, listener: (value?: unknown) => void): unknown
  resume(): unknown
  destroy(): unknown
  readableEnded?: boolean
  destroyed?: boolean
}

function isNodeReadable(value: unknown): value is NodeReadable {
  const stream = value as Partial<NodeReadable> & { pipe?: unknown }
  return (
    typeof stream?.on === 'function' &&
    typeof stream.off === 'function' &&
    typeof stream.resume === 'function' &&
    typeof stream.destroy === 'function' &&
    typeof stream.pipe === 'function'
  )
}

const FAILED: Rejection = { status: 400, reason: 'the body stream failed' }
const ignore = (): void => {}

// The same reading as `readIterable`, without the promise per chunk of a Node stream's async iterator,
// which costs a callback route served by Koa or Nest a few per cent of its requests per second.
function readNodeStream(stream: NodeReadable, limits: BodyLimits): Promise<Uint8Array | Rejection> {
  if (stream.destroyed) return Promise.resolve(FAILED)
  if (stream.readableEnded) return Promise.resolve(new Uint8Array(0))
  // A stream error after we stopped listening must not become an uncaught exception.
  stream.on('error', ignore)
  return new Promise((resolve) => {
    const chunks: Uint8Array[] = []
    let size = 0
    const settle = (result: Uint8Array | Rejection): void => {
      stream.off('data', onData)
      stream.off('end', onEnd)
      stream.off('error', onFailure)
      stream.off('close', onFailure)
      resolve(result)
    }
    const onData = (value: unknown): void => {
      const chunk = toChunk(value)
      if (!chunk) {
        settle({ status: 400, reason: 'the body stream yields something other than bytes' })
        return
      }
      size += chunk.length
      const problem = overflow(limits.limit, limits.declared, size)
      if (!problem) {
        chunks.push(chunk)
        return
      }
      settle(problem)
      discard(stream)
    }
    const onEnd = (): void => settle(concat(chunks, size))
    // 'close' before 'end': the client went away mid-body.
    const onFailure = (): void => settle(FAILED)
    stream.on('data', onData)
    stream.on('end', onEnd)
    stream.on('error', onFailure)
    stream.on('close', onFailure)
    stream.resume()
  })
}

// Like `drain`: destroying a Node request stream destroys its socket before the 413 is written, so what the
// client still sends is read and dropped (bounded in bytes and time) first.
function discard(stream: NodeReadable): void {
  let size = 0
  const stop = (): void => {
    clearTimeout(timer)
    stream.off('data', count)
    stream.off('end', done)
    stream.off('close', done)
  }
  const done = (): void => stop()
  const count = (value: unknown): void => {
    size += toChunk(value)?.length ?? 1
    if (size < DRAIN_CAP) return
    stop()
    stream.destroy()
  }
  const timer = setTimeout(() => {
    stop()
    stream.destroy()
  }, DRAIN_MS)
  ;(timer as { unref?: () => void }).unref?.()
  stream.on('data', count)
  stream.on('end', done)
  stream.on('close', done)
}

async function drain(iterator: AsyncIterator<unknown>): Promise<void> {
  let size = 0
  const stop = (): void => {
    iterator.return?.()?.catch(() => {})
  }
  // Bounded in bytes and time, so a stalled client cannot hold the request open.
  const timer = setTimeout(stop, DRAIN_MS)
  ;(timer as { unref?: () => void }).unref?.()
  try {
    while (size < DRAIN_CAP) {
      const { done, value } = await iterator.next()
      if (done) return
      size += toChunk(value)?.length ?? 1
    }
    stop()
  } catch {
    // The client went away: nothing left to drain.
  } finally {
    clearTimeout(timer)
  }
}

/** Reads a raw body as text within the limit (counted while reading). */
export async function readBodyText(body: unknown, limits: BodyLimits): Promise<string | Rejection> {
  if (typeof body === 'string') {
    if (body.length > limits.limit) return { status: 413, reason: `the body is over ${limits.limit} bytes` }
    if (body.length * 3 > limits.limit) {
      const problem = overflow(limits.limit, undefined, encoder.encode(body).length)
      if (problem) return problem
    }
    return body
  }
  let bytes: Uint8Array | Rejection
  if (body instanceof Uint8Array || body instanceof ArrayBuffer) {
    const view = body instanceof Uint8Array ? body : new Uint8Array(body)
    bytes = overflow(limits.limit, undefined, view.length) ?? view
  } else if (isNodeReadable(body)) {
    bytes = await readNodeStream(body, limits)
  } else if (isReadableStream(body)) {
    bytes = await readStream(body, limits)
  } else if (isAsyncIterable(body)) {
    bytes = await readIterable(body, limits)
  } else {
    return { status: 400, reason: 'the body has an unsupported type' }
  }
  if (isRejection(bytes)) return bytes
  if (limits.declared !== undefined && bytes.length !== limits.declared && !(body instanceof Uint8Array)) {
    return { status: 400, reason: 'the body is shorter than its Content-Length' }
  }
  return decode(bytes)
}

/**
 * The top-level keys of a JSON object text that `JSON.parse` already accepted, in order — to catch
 * duplicate keys, which `JSON.parse` silently collapses (callback-security R6 item 10).
 */
export function topLevelKeys(text: string): string[] {
  const keys: string[] = []
  let depth = 0
  let expectKey = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 34) {
      let j = i + 1
      while (j < text.length) {
        const d = text.charCodeAt(j)
        if (d === 92) j += 2
        else if (d === 34) break
        else j++
      }
      if (depth === 1 && expectKey) {
        keys.push(JSON.parse(text.slice(i, j + 1)) as string)
        expectKey = false
      }
      i = j
    } else if (c === 123 || c === 91) {
      depth++
      if (depth === 1 && c === 123) expectKey = true
    } else if (c === 125 || c === 93) {
      depth--
    } else if (c === 44 && depth === 1) {
      expectKey = true
    }
  }
  return keys
}
