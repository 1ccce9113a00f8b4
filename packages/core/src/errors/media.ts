import { DingTalkError } from './base'
import type { ErrorCodeOf } from './codes'

/** A local §7.1 check failed, or the file could not be read. Nothing was sent to DingTalk. */
export class DingTalkMediaError extends DingTalkError {
  declare readonly code: ErrorCodeOf<'DingTalkMediaError'>

  constructor(code: ErrorCodeOf<'DingTalkMediaError'>, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
    this.name = 'DingTalkMediaError'
  }
}
