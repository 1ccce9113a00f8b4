import type * as NodeCrypto from 'node:crypto'
import { isCanonicalBase64 } from '../encoding'
import { nodeIsUtf8 } from '../runtime'
import { type CryptoEngine, toAlphanumeric } from './engine'
import { webUtf8 } from './web-engine'

/**
 * Whether Node's (lenient) decoding of `text` was the decoding of canonical Base64: Node skips characters
 * outside the alphabet and stops at "=", so any of those leaves fewer bytes than the length promises; it
 * also accepts the URL-safe "-" and "_", checked separately; and the unused bits of the last character
 * must be zero. Property-tested against the portable check.
 */
function isCanonicalDecoding(text: string, decoded: Uint8Array): boolean {
  const length = text.length
  if (length % 4 !== 0) return false
  const pads = text.charCodeAt(length - 1) === 61 ? (text.charCodeAt(length - 2) === 61 ? 2 : 1) : 0
  if (decoded.length !== (length / 4) * 3 - pads) return false
  if (text.indexOf('-') !== -1 || text.indexOf('_') !== -1) return false
  return pads === 0 || isCanonicalBase64(text.slice(length - 4))
}

function pooledRandom(node: typeof NodeCrypto): (n: number) => Uint8Array {
  // Random bytes drawn in blocks and mapped to [A-Za-z0-9] (§1.3).
  const POOL = 4096
  const pool = Buffer.allocUnsafe(POOL)
  let offset = POOL
  return (n) => {
    if (offset + n > POOL) {
      node.randomFillSync(pool)
      toAlphanumeric(pool)
      offset = 0
    }
    const out = pool.subarray(offset, offset + n)
    offset += n
    return out
  }
}

function nodeUtf8(): (bytes: Uint8Array) => string | undefined {
  const isUtf8 = nodeIsUtf8()
  if (!isUtf8) return webUtf8
  return (bytes) => (isUtf8(bytes) ? (bytes as Buffer).toString('utf8') : undefined)
}

/**
 * AES-256-CBC with IV = key[0..16) and no automatic padding (§1.4), on long-lived cipher contexts: CBC
 * chains each block on the previous ciphertext block, so instead of a new context per message we correct
 * the first block for the chaining value the context carries over from the previous message.
 */
export function nodeEngine(node: typeof NodeCrypto, key: Uint8Array): CryptoEngine {
  const iv = Buffer.from(key.subarray(0, 16))
  const keyBuf = Buffer.from(key)
  const decipher = node.createDecipheriv('aes-256-cbc', keyBuf, iv).setAutoPadding(false)
  const cipher = node.createCipheriv('aes-256-cbc', keyBuf, iv).setAutoPadding(false)
  const decChain = Buffer.from(iv)
  const encChain = Buffer.from(iv)
  return {
    backend: 'node',
    decodeBase64(text) {
      const decoded = Buffer.from(text, 'base64')
      return isCanonicalDecoding(text, decoded) ? decoded : undefined
    },
    encodeBase64: (bytes) => (bytes as Buffer).toString('base64'),
    decodeUtf8: nodeUtf8(),
    random: pooledRandom(node),
    decrypt(ciphertext) {
      const out = decipher.update(ciphertext)
      if (out.length !== ciphertext.length) throw new Error('cipher context out of step')
      const tail = ciphertext.length - 16
      for (let i = 0; i < 16; i++) {
        out[i] = out[i]! ^ decChain[i]! ^ iv[i]!
        decChain[i] = ciphertext[tail + i]!
      }
      return out
    },
    encrypt(plaintext) {
      for (let i = 0; i < 16; i++) plaintext[i] = plaintext[i]! ^ encChain[i]! ^ iv[i]!
      const out = cipher.update(plaintext)
      if (out.length !== plaintext.length) throw new Error('cipher context out of step')
      const tail = out.length - 16
      for (let i = 0; i < 16; i++) encChain[i] = out[tail + i]!
      return out
    },
  }
}
