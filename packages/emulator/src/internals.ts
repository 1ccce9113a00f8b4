import { type Internals, randomId } from './context'
import { type PushManager, TMP_AUTH_CODE_TTL_MS } from './pushes'
import type { EmulatorState, TokenRecord } from './state'

/** What the endpoints may do to the running emulator: issue tokens and codes, push events. */
export function createInternals(
  state: EmulatorState,
  now: () => number,
  tokenTtlMs: number,
  pushes: PushManager,
  corpTokens: 'renew' | 'replace' = 'renew',
): Internals {
  return {
    state,
    now,
    tokenTtlMs,
    corpTokens,
    issueToken(fields) {
      const t = now()
      for (const existing of state.tokens.values()) {
        if (existing.owner === fields.owner && existing.expiresAt > t) {
          // §4.2: fetching again within validity returns the same token and extends it.
          existing.expiresAt = t + tokenTtlMs
          return existing
        }
      }
      const record: TokenRecord = { ...fields, token: randomId(16), issuedAt: t, expiresAt: t + tokenTtlMs }
      state.tokens.set(record.token, record)
      return record
    },
    emitCorpEvent(corpId, eventType, fields) {
      pushes.corpEvent(corpId, eventType, fields)
    },
    checkCallbackUrl(url, token, aesKey, receiveId) {
      return pushes.checkUrl(url, token, aesKey, receiveId)
    },
    newTmpAuthCode(corpId, suiteKey) {
      const code = randomId(16)
      state.tmpAuthCodes.set(code, { code, corpId, suiteKey, expiresAt: now() + TMP_AUTH_CODE_TTL_MS })
      return code
    },
  }
}
