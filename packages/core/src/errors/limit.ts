import { DingTalkError } from './base'

/**
 * Why a call was refused locally (nothing was sent to DingTalk).
 *
 * @example
 * ```ts
 * const retryable = (code: LimitErrorCode): boolean => code === 'RANGE_TOO_LONG' || code === 'LIST_TOO_LONG' // split and retry
 * ```
 */
export type LimitErrorCode =
  /** A list parameter holds more entries than the API accepts (e.g. 50 userids for attendance). */
  | 'LIST_TOO_LONG'
  /** A text parameter is longer than the API accepts (e.g. a to-do title over 50 characters). */
  | 'TEXT_TOO_LONG'
  /** A time window is longer than the API accepts (e.g. 7 days for attendance). */
  | 'RANGE_TOO_LONG'
  /** A page size above the API's maximum. */
  | 'PAGE_SIZE_TOO_LARGE'
  /** A missing, empty, malformed or out-of-order argument. */
  | 'INVALID_ARGUMENT'

/**
 * A documented limit of a DingTalk API was checked before the call and the input is over it. Nothing was
 * sent: split the input (the iterators and {@link splitAttendanceQuery} do that for you) or fix it.
 *
 * @example
 * ```ts
 * try {
 *   await client.attendance.listResults({ userIds, from: '2026-11-01', to: '2026-11-30' })
 * } catch (error) {
 *   if (error instanceof DingTalkLimitError && error.code === 'RANGE_TOO_LONG') console.log(error.max, error.actual)
 * }
 * ```
 */
export class DingTalkLimitError extends DingTalkError {
  declare readonly code: LimitErrorCode
  /** The legacy path whose limit this is, e.g. `/attendance/list`. */
  readonly api: string
  /** The parameter, in this SDK's spelling (e.g. `userIds`). */
  readonly parameter: string
  /** The limit (entries, characters, days or page size); `undefined` for `INVALID_ARGUMENT`. */
  readonly max: number | undefined
  /** What was given, in the same unit; `undefined` for `INVALID_ARGUMENT`. */
  readonly actual: number | undefined

  constructor(
    code: LimitErrorCode,
    message: string,
    details: { api: string; parameter: string; max?: number; actual?: number },
  ) {
    super(code, message)
    this.name = 'DingTalkLimitError'
    this.api = details.api
    this.parameter = details.parameter
    this.max = details.max
    this.actual = details.actual
  }
}
