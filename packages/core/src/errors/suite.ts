import { DingTalkError } from './base'
import type { ErrorCodeOf } from './codes'

/**
 * A suite-level failure: `SUITE_TICKET_MISSING` (no suite_ticket has been pushed and stored yet — the
 * local form of DingTalk's 40085; `errcode` is 40085) or `CORP_NOT_AUTHORIZED` (no permanent code stored
 * for the corp).
 *
 * @example
 * ```ts
 * if (error instanceof DingTalkSuiteError && error.code === 'SUITE_TICKET_MISSING') console.warn('waiting for the suite_ticket push')
 * ```
 */
export class DingTalkSuiteError extends DingTalkError {
  /** The DingTalk errcode this corresponds to (40085 for a missing ticket, 48004 for a missing authorisation). */
  readonly errcode: number
  readonly suiteKey: string
  readonly corpId: string | undefined

  declare readonly code: ErrorCodeOf<'DingTalkSuiteError'>

  constructor(
    code: ErrorCodeOf<'DingTalkSuiteError'>,
    details: { suiteKey: string; corpId?: string; message: string },
  ) {
    super(code, details.message)
    this.name = 'DingTalkSuiteError'
    this.errcode = code === 'SUITE_TICKET_MISSING' ? 40085 : 48004
    this.suiteKey = details.suiteKey
    this.corpId = details.corpId
  }
}
