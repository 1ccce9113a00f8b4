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
  const headers: Record<string, string> = {}
  for (const [key, value] of Object.entries(frame.headers)) {
    // §13.2: header values are strings; numbers are tolerated as their text.
    if (typeof value === 'string') headers[key] = value
    else if (typeof value === 'number' && Number.isFinite(value)) headers[key] = String(value)
  }
  const { messageId, topic } = headers
  if (!messageId) return 'no headers.messageId'
  if (typeof frame.type !== 'string') return 'no type'
  const data =
    typeof frame.data === 'string' ? frame.data : frame.data === undefined ? '' : JSON.stringify(frame.data)
  return { type: frame.type, topic: topic ?? '', messageId, headers, data }
}

/** An upstream ACK (§13.3): `data` JSON-encoded, the request's `messageId` in the headers. */
export function ackFrame(messageId: string, data: unknown, code = 200, message = 'OK'): string {
  return JSON.stringify({
    code,
    message,
    headers: { messageId, contentType: 'application/json' },
    data: typeof data === 'string' ? data : JSON.stringify(data ?? null),
  })
}
