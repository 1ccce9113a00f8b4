const encoder = new TextEncoder()
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

export function utf8(text: string): Uint8Array {
  return encoder.encode(text)
}

export function toHex(bytes: Uint8Array): string {
  let out = ''
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]!]
  return out
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
const B64_INDEX = new Int16Array(128).fill(-1)
for (let i = 0; i < B64.length; i++) B64_INDEX[B64.charCodeAt(i)] = i

export function toBase64(bytes: Uint8Array): string {
  let out = ''
  let i = 0
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!
    out += B64[n >> 18]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + B64[n & 63]!
  }
  const rest = bytes.length - i
  if (rest === 1) {
    const n = bytes[i]! << 16
    out += `${B64[n >> 18]}${B64[(n >> 12) & 63]}==`
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8)
    out += `${B64[n >> 18]}${B64[(n >> 12) & 63]}${B64[(n >> 6) & 63]}=`
  }
  return out
}

/**
 * Canonical Base64 only (R3 of callback-security.md): the standard alphabet, length a multiple of 4, at
 * most two `=` at the end, and zero unused bits in the last character — so Node and edge hosts make the
 * same decision on every input. Returns `undefined` for anything else.
 */
export function isCanonicalBase64(text: string): boolean {
  const length = text.length
  if (length === 0 || length % 4 !== 0) return false
  let end = length
  if (text.charCodeAt(end - 1) === 61) end--
  if (text.charCodeAt(end - 1) === 61) end--
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i)
    if (c > 127 || B64_INDEX[c]! < 0) return false
  }
  const pad = length - end
  if (pad === 0) return true
  const last = B64_INDEX[text.charCodeAt(end - 1)]!
  return pad === 2 ? (last & 15) === 0 : (last & 3) === 0
}

/** Decodes Base64 that already passed `isCanonicalBase64`. */
export function fromBase64(text: string): Uint8Array {
  let end = text.length
  while (end > 0 && text.charCodeAt(end - 1) === 61) end--
  const out = new Uint8Array(Math.floor((end * 3) / 4))
  let o = 0
  let i = 0
  for (; i + 3 < end; i += 4) {
    const n =
      (B64_INDEX[text.charCodeAt(i)]! << 18) |
      (B64_INDEX[text.charCodeAt(i + 1)]! << 12) |
      (B64_INDEX[text.charCodeAt(i + 2)]! << 6) |
      B64_INDEX[text.charCodeAt(i + 3)]!
    out[o++] = n >> 16
    out[o++] = (n >> 8) & 255
    out[o++] = n & 255
  }
  const rest = end - i
  if (rest >= 2) {
    const n = (B64_INDEX[text.charCodeAt(i)]! << 18) | (B64_INDEX[text.charCodeAt(i + 1)]! << 12)
    const n3 = rest === 3 ? n | (B64_INDEX[text.charCodeAt(i + 2)]! << 6) : n
    out[o++] = n3 >> 16
    if (rest === 3) out[o++] = (n3 >> 8) & 255
  }
  return out
}

/**
 * Lenient decoding for the 43-character EncodingAESKey (§1.2): its last character carries two unused
 * bits that DingTalk's own keys set, so they are ignored here. `undefined` for a non-alphabet character.
 */
export function fromBase64Lenient(text: string): Uint8Array | undefined {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c > 127 || B64_INDEX[c]! < 0) return undefined
  }
  const full = text.length - (text.length % 4)
  const out: number[] = []
  for (let i = 0; i < full; i += 4) {
    const n =
      (B64_INDEX[text.charCodeAt(i)]! << 18) |
      (B64_INDEX[text.charCodeAt(i + 1)]! << 12) |
      (B64_INDEX[text.charCodeAt(i + 2)]! << 6) |
      B64_INDEX[text.charCodeAt(i + 3)]!
    out.push(n >> 16, (n >> 8) & 255, n & 255)
  }
  const rest = text.length - full
  if (rest === 1) return undefined
  if (rest >= 2) {
    let n = (B64_INDEX[text.charCodeAt(full)]! << 18) | (B64_INDEX[text.charCodeAt(full + 1)]! << 12)
    if (rest === 3) n |= B64_INDEX[text.charCodeAt(full + 2)]! << 6
    out.push(n >> 16)
    if (rest === 3) out.push((n >> 8) & 255)
  }
  return Uint8Array.from(out)
}

/** Constant-time equality of two strings of the same length; different lengths return false at once. */
export function timingSafeEqualString(a: string, b: string): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i)
  return diff === 0
}
