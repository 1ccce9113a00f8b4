import { isRejection, type Rejection } from './request'

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

/**
 * Which body to hand the core when a Node framework may have run a body parser: the request stream while
 * nothing read it (the core then counts bytes against its limit, callback-security R6.11), else the raw
 * text or bytes a parser kept (so repeated keys are still caught, R6.10), else the parsed object.
 *
 * @example
 * ```ts
 * const body = pickBody({ stream: ctx.req, rawBody: ctx.request.rawBody, parsed: ctx.request.body })
 * ```
 */
export function pickBody(candidates: {
  stream: { readableDidRead?: boolean; readableEnded?: boolean }
  rawBody?: unknown
  parsed?: unknown
}): unknown {
  const { stream, rawBody } = candidates
  if (!stream.readableDidRead && !stream.readableEnded) return stream
  if (typeof rawBody === 'string' || rawBody instanceof Uint8Array) return rawBody
  return candidates.parsed
}
