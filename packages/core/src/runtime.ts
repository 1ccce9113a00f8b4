import type * as NodeCrypto from 'node:crypto'

interface ProcessWithBuiltins {
  getBuiltinModule?: (id: string) => unknown
}

let cached: typeof NodeCrypto | null | undefined

/**
 * `node:crypto` where the runtime has it (Node ≥ 20.16, Bun, Deno, Workers with nodejs_compat), found
 * without a static import so that the core still loads on hosts that only have Web Crypto.
 */
export function nodeCrypto(): typeof NodeCrypto | undefined {
  if (cached !== undefined) return cached ?? undefined
  const proc = (globalThis as { process?: ProcessWithBuiltins }).process
  let mod: unknown
  try {
    mod = proc?.getBuiltinModule?.('node:crypto')
  } catch {
    mod = undefined
  }
  const candidate = mod as Partial<typeof NodeCrypto> | undefined
  cached =
    candidate &&
    typeof candidate.createDecipheriv === 'function' &&
    typeof candidate.createHash === 'function' &&
    typeof globalThis.Buffer === 'function'
      ? (candidate as typeof NodeCrypto)
      : null
  return cached ?? undefined
}

/** `buffer.isUtf8` (native UTF-8 validation) where the runtime has it. */
export function nodeIsUtf8(): ((bytes: Uint8Array) => boolean) | undefined {
  const proc = (globalThis as { process?: ProcessWithBuiltins }).process
  try {
    const mod = proc?.getBuiltinModule?.('node:buffer') as { isUtf8?: (b: Uint8Array) => boolean } | undefined
    return typeof mod?.isUtf8 === 'function' ? mod.isUtf8 : undefined
  } catch {
    return undefined
  }
}

/** Web Crypto's `subtle`, present on every runtime we support. */
export function subtle(): SubtleCrypto {
  const s = globalThis.crypto?.subtle
  if (!s) throw new Error('Web Crypto (globalThis.crypto.subtle) is not available in this runtime')
  return s
}
