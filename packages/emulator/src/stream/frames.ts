import { randomBytes } from 'node:crypto'

// Ids come from a pool filled 4 KiB at a time: a push takes several, and one `randomBytes` call per id was
// the gateway's largest cost under load.
let pool: Buffer = Buffer.alloc(0)
let used = 0

function random(bytes: number): Buffer {
  if (used + bytes > pool.length) {
    pool = randomBytes(4096)
    used = 0
  }
  used += bytes
  return pool.subarray(used - bytes, used)
}

/** Random hex, `bytes` long. */
export function id(bytes = 8): string {
  return random(bytes).toString('hex')
}

/** A frame's `messageId`, shaped like DingTalk's (§13.2 example `213d841d_972_1898bb26334_70a7`). */
export function messageId(): string {
  return `${id(4)}_${random(2).readUInt16BE() % 1000}_${Date.now().toString(16)}_${id(2)}`
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/** The parsed JSON, or the text itself when it is not JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

/** A SYSTEM frame (§13.5: `ping`, `disconnect`) for one connection, and its `messageId`. */
export function systemFrame(
  connectionId: string,
  topic: string,
  data: unknown,
  now: number,
): { frame: Record<string, unknown>; mid: string } {
  const mid = messageId()
  return {
    mid,
    frame: {
      specVersion: '1.0',
      type: 'SYSTEM',
      headers: { topic, messageId: mid, contentType: 'application/json', time: String(now), connectionId },
      data: JSON.stringify(data),
    },
  }
}
