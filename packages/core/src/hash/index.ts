import { toBase64, toHex, utf8 } from '../encoding'
import { nodeCrypto } from '../runtime'
import { hmacSha256, sha1, sha256 } from './pure'

export type HashImplementation = 'node' | 'portable'

/** The hash functions the SDK uses (SHA-1 for callback signatures, SHA-256, HMAC-SHA256 for §4.4). */
export interface Hashes {
  sha1Hex(text: string): string
  sha256Hex(text: string): string
  hmacSha256Base64(key: string, text: string): string
}

const portable: Hashes = {
  sha1Hex: (text) => toHex(sha1(utf8(text))),
  sha256Hex: (text) => toHex(sha256(utf8(text))),
  hmacSha256Base64: (key, text) => toBase64(hmacSha256(utf8(key), utf8(text))),
}

function nodeHashes(): Hashes | undefined {
  const c = nodeCrypto()
  if (!c) return undefined
  // crypto.hash (Node ≥ 20.12) skips the Hash object; fall back to createHash where it is missing.
  const oneShot = (c as { hash?: (alg: string, data: string, enc: 'hex') => string }).hash
  const digest = oneShot
    ? (alg: string, text: string) => oneShot(alg, text, 'hex')
    : (alg: string, text: string) => c.createHash(alg).update(text, 'utf8').digest('hex')
  return {
    sha1Hex: (text) => digest('sha1', text),
    sha256Hex: (text) => digest('sha256', text),
    hmacSha256Base64: (key, text) => c.createHmac('sha256', key).update(text, 'utf8').digest('base64'),
  }
}

let auto: Hashes | undefined

/** The hash functions for `implementation`, or the fastest available one. */
export function hashes(implementation?: HashImplementation): Hashes {
  if (implementation === 'portable') return portable
  if (implementation === 'node') {
    const n = nodeHashes()
    if (!n) throw new Error('node:crypto is not available in this runtime')
    return n
  }
  auto ??= nodeHashes() ?? portable
  return auto
}
