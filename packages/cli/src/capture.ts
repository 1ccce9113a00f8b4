import { UsageError } from './args'

/** A captured callback (or reply): the signed query values and the `encrypt` of the body. */
export interface Capture {
  signature: string | undefined
  timestamp: string | undefined
  nonce: string | undefined
  encrypt: string | undefined
  /** The other spelling of the timestamp, when both `timestamp` and `timeStamp` were present. */
  otherTimestamp: string | undefined
  /** Remarks about the input (e.g. both spellings present), printed before the verdict. */
  notes: string[]
}

type Fields = Record<string, unknown>

function queryFields(text: string): Fields {
  let query = text.trim()
  const mark = query.indexOf('?')
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(query) || query.startsWith('/'))
    query = mark === -1 ? '' : query.slice(mark + 1)
  else if (query.startsWith('?')) query = query.slice(1)
  const hash = query.indexOf('#')
  if (hash !== -1) query = query.slice(0, hash)
  return Object.fromEntries(new URLSearchParams(query))
}

function bodyFields(command: string, text: string): Fields {
  const trimmed = text.trim()
  if (/^[A-Za-z0-9+/=\s]+$/.test(trimmed) && !trimmed.startsWith('{')) return { encrypt: trimmed }
  let parsed: unknown
  try {
    parsed = JSON.parse(trimmed)
  } catch {
    throw new UsageError('the body is neither JSON like {"encrypt":"…"} nor a Base64 ciphertext', command)
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new UsageError('the body must be a JSON object like {"encrypt":"…"}', command)
  }
  return parsed as Fields
}

/**
 * Reads a captured request from a file or stdin: a raw HTTP request (`POST /path?signature=… HTTP/1.1`,
 * headers, blank line, body), a JSON object `{ "url" | "query": …, "body": … }`, a callback body
 * `{"encrypt":"…"}` or a reply `{"msg_signature","timeStamp","nonce","encrypt"}`.
 */
export function parseCaptureText(command: string, text: string): { query: Fields; body: Fields } {
  if (text.trim() === '') {
    throw new UsageError(
      'the input is empty: give the captured callback (--query and --body, or a file)',
      command,
    )
  }
  const http = /^(?:POST|GET|PUT|PATCH|DELETE|HEAD|OPTIONS)\s+(\S+)\s+HTTP\/[\d.]+\r?\n/.exec(text)
  if (http) {
    const split = /\r?\n\r?\n/.exec(text)
    const body = split ? text.slice(split.index + split[0].length) : ''
    return { query: queryFields(http[1]!), body: body.trim() ? bodyFields(command, body) : {} }
  }
  const fields = bodyFields(command, text)
  if ('query' in fields || 'url' in fields || 'body' in fields) {
    const q = fields.query ?? fields.url
    const b = fields.body
    return {
      query: typeof q === 'string' ? queryFields(q) : q && typeof q === 'object' ? (q as Fields) : {},
      body: typeof b === 'string' ? bodyFields(command, b) : b && typeof b === 'object' ? (b as Fields) : {},
    }
  }
  return { query: {}, body: fields }
}

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined)

/** Combines the query and body fields; a reply body carries its own `msg_signature`/`timeStamp`/`nonce`. */
export function toCapture(query: Fields, body: Fields, encryptFlag?: string): Capture {
  const notes: string[] = []
  const all: Fields = { ...body, ...query }
  // §1.6: `signature` or `msg_signature`, `timestamp` or `timeStamp`.
  const signature = text(all.msg_signature) ?? text(all.signature)
  const lower = text(all.timestamp)
  const upper = text(all.timeStamp)
  if (lower !== undefined && upper !== undefined && lower !== upper) {
    notes.push(
      `both timestamp=${lower} and timeStamp=${upper} are present; using timeStamp for the signature`,
    )
  }
  let encrypt = encryptFlag ?? text(body.encrypt) ?? text(query.encrypt)
  if (encryptFlag === undefined && body.encrypt !== undefined && typeof body.encrypt !== 'string') {
    notes.push('the body\'s "encrypt" is not a string')
  }
  if (encrypt !== undefined && encrypt !== encrypt.trim()) {
    notes.push('the encrypt value had leading or trailing whitespace, which was removed')
    encrypt = encrypt.trim()
  }
  return {
    signature,
    timestamp: upper ?? lower,
    nonce: text(all.nonce),
    encrypt,
    otherTimestamp: upper !== undefined && lower !== undefined && lower !== upper ? lower : undefined,
    notes,
  }
}

export { bodyFields, queryFields }
