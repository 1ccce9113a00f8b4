import type { RequestFn } from '../api/context'
import type { Redactor } from '../http/redact'
import { type Store, storeKey } from '../store/store'

/** What the parts of a suite client share: its credentials, store, redactor and plain pipeline. */
export interface SuiteContext {
  readonly suiteKey: string
  readonly suiteSecret: string
  readonly store: Store
  readonly redactor: Redactor
  /** Clock of the §4.4 signature timestamp, epoch ms. */
  readonly now: () => number
  /** The suite's pipeline, without a token of its own (`service/*` calls add theirs). */
  readonly request: RequestFn
}

/** The store key of one of the suite's values, per corp where a corpId is given. */
export function suiteKeyOf(ctx: SuiteContext, kind: string, corpId?: string): string {
  return storeKey({ owner: ctx.suiteKey, corpId, kind })
}

export function requireId(value: string, name: string): void {
  if (typeof value !== 'string' || value.length === 0)
    throw new TypeError(`${name} must be a non-empty string`)
}
