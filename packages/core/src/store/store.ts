export { type MemoryStoreOptions, memoryStore } from './memory-store'
export type { Store } from './types'

/** What a key holds; free-form kinds are allowed for future features. */
export type StoreKeyKind =
  | 'access_token'
  | 'jsapi_ticket'
  | 'suite_access_token'
  | 'suite_ticket'
  | (string & {})

/**
 * The name of a store key: `dingtalk:<owner>:<corpId or '-'>:<kind>`, where the owner is the appKey,
 * corpId (legacy CorpSecret apps) or suiteKey. Colons inside a part are escaped so parts never collide.
 *
 * @example
 * ```ts
 * storeKey({ owner: 'suiteabc', corpId: 'ding123', kind: 'access_token' })
 * // 'dingtalk:suiteabc:ding123:access_token'
 * ```
 */
export function storeKey(parts: { owner: string; corpId?: string | undefined; kind: StoreKeyKind }): string {
  const esc = (part: string): string => part.replaceAll('%', '%25').replaceAll(':', '%3A')
  return `dingtalk:${esc(parts.owner)}:${parts.corpId ? esc(parts.corpId) : '-'}:${esc(parts.kind)}`
}
