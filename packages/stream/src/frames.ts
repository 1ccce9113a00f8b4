import type { DeliveryOutcome } from '@dingtalk-kit/core'

/** A downstream frame (§13.2), validated. Header values are strings. */
export interface DownFrame {
  type: string
  topic: string
  messageId: string
  headers: Record<string, string>
  data: string
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

// §13.2: header values are strings; numbers are tolerated as their text, anything else is dropped. The
// parsed object is kept as it is when every value is a string already (the gateway's frames).
function stringHeaders(raw: Record<string, unknown>): Record<string, string> {
  let clean = true
  for (const key in raw) {
    if (typeof raw[key] !== 'string') {
      clean = false
      break
    }
  }
  if (clean) return raw as Record<string, string>
  const headers: Record<string, string> = {}
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value === 'string') headers[key] = value
    else if (typeof value === 'number' && Number.isFinite(value)) headers[key] = String(value)
  }
  return headers
}

/** Parses one text frame; a string says why it is not a frame (never throws). */
export function parseFrame(text: string): DownFrame | string {
  let frame: unknown
  try {
    frame = JSON.parse(text)
  } catch {
    return 'not JSON'
  }
  if (!isObject(frame)) return 'not a JSON object'
  if (!isObject(frame.headers)) return 'no headers'
  const headers = stringHeaders(frame.headers)
  const { messageId, topic } = headers
  if (!messageId) return 'no headers.messageId'
  if (typeof frame.type !== 'string') return 'no type'
  const data =
    typeof frame.data === 'string' ? frame.data : frame.data === undefined ? '' : JSON.stringify(frame.data)
  return { type: frame.type, topic: topic ?? '', messageId, headers, data }
}

/** An upstream ACK (§13.3): `data` JSON-encoded, the request's `messageId` in the headers. */
export function ackFrame(messageId: string, data: unknown, code = 200, message = 'OK'): string {
  // What JSON.stringify of { code, message, headers: { messageId, contentType }, data } gives, without the
  // objects (an ACK per frame).
  const text = typeof data === 'string' ? data : JSON.stringify(data ?? null)
  return `{"code":${code},"message":${JSON.stringify(message)},"headers":{"messageId":${JSON.stringify(messageId)},"contentType":"application/json"},"data":${JSON.stringify(text)}}`
}

const EVENT_SUCCESS = JSON.stringify({ status: 'SUCCESS', message: 'OK' })
const EVENT_LATER = JSON.stringify({ status: 'LATER', message: 'handler failed' })

/**
 * The ACK of a handled frame (§13.3): an EVENT gets `{status}` (`LATER` asks for a redelivery), a CALLBACK
 * `{response}` (code 500 when its handler failed).
 */
export function ackFor(type: 'EVENT' | 'CALLBACK', messageId: string, outcome: DeliveryOutcome): string {
  const ok = outcome.kind === 'ack'
  if (type === 'EVENT') return ackFrame(messageId, ok ? EVENT_SUCCESS : EVENT_LATER)
  return ok
    ? ackFrame(messageId, { response: outcome.result ?? null })
    : ackFrame(messageId, { response: null }, 500, 'handler failed')
}

/** The `reason` of a SYSTEM `disconnect` frame's data (§13.5), `''` when it has none. */
export function disconnectReason(data: string): string {
  try {
    const parsed: unknown = JSON.parse(data)
    const reason = isObject(parsed) ? parsed.reason : undefined
    return typeof reason === 'string' ? reason : ''
  } catch {
    return ''
  }
}
