import { fromBase64, isCanonicalBase64, toBase64 } from '../encoding'
import { subtle } from '../runtime'
import { type CryptoEngine, toAlphanumeric } from './engine'

const fatalDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

export function webUtf8(bytes: Uint8Array): string | undefined {
  try {
    return fatalDecoder.decode(bytes)
  } catch {
    return undefined
  }
}

/**
 * Web Crypto's AES-CBC always applies PKCS#7 to 16-byte blocks (§1.3 explains why that matters): to
 * encrypt we pad to 32 ourselves and drop the extra block it appends; to decrypt we append one block that
 * decrypts to a valid 16-byte padding block, so it strips exactly that block and leaves ours for the checks.
 */
export function webEngine(key: Uint8Array): CryptoEngine {
  const iv = key.slice(0, 16)
  let imported: Promise<CryptoKey> | undefined
  const cryptoKey = (): Promise<CryptoKey> => {
    imported ??= subtle().importKey('raw', key.slice(), { name: 'AES-CBC' }, false, ['encrypt', 'decrypt'])
    return imported
  }
  const fullPadBlock = new Uint8Array(16).fill(16)
  return {
    backend: 'web',
    decodeBase64: (text) => (isCanonicalBase64(text) ? fromBase64(text) : undefined),
    encodeBase64: toBase64,
    decodeUtf8: webUtf8,
    random(n) {
      const out = new Uint8Array(n)
      globalThis.crypto.getRandomValues(out)
      return toAlphanumeric(out)
    },
    async decrypt(ciphertext) {
      const k = await cryptoKey()
      const last = ciphertext.slice(ciphertext.length - 16)
      const extra = new Uint8Array(await subtle().encrypt({ name: 'AES-CBC', iv: last }, k, fullPadBlock))
      const input = new Uint8Array(ciphertext.length + 16)
      input.set(ciphertext)
      input.set(extra.subarray(0, 16), ciphertext.length)
      return new Uint8Array(await subtle().decrypt({ name: 'AES-CBC', iv }, k, input))
    },
    async encrypt(plaintext) {
      const k = await cryptoKey()
      const out = new Uint8Array(await subtle().encrypt({ name: 'AES-CBC', iv }, k, plaintext.slice()))
      return out.subarray(0, plaintext.length)
    },
  }
}
