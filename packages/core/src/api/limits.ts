import { DingTalkLimitError } from '../errors/limit'

export function checkList(api: string, parameter: string, list: readonly unknown[], max: number): void {
  if (!Array.isArray(list)) {
    throw new DingTalkLimitError('INVALID_ARGUMENT', `${api}: ${parameter} must be an array.`, {
      api,
      parameter,
    })
  }
  if (list.length > max) {
    throw new DingTalkLimitError(
      'LIST_TOO_LONG',
      `${api} takes at most ${max} ${parameter} per call; got ${list.length}. Split the list.`,
      { api, parameter, max, actual: list.length },
    )
  }
}

export function requireNonEmpty(api: string, parameter: string, list: readonly unknown[]): void {
  if (!Array.isArray(list) || list.length === 0) {
    throw new DingTalkLimitError('INVALID_ARGUMENT', `${api}: ${parameter} must not be empty.`, {
      api,
      parameter,
    })
  }
}

export function requireText(api: string, parameter: string, value: unknown): void {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new DingTalkLimitError('INVALID_ARGUMENT', `${api}: ${parameter} is required.`, { api, parameter })
  }
}

export function checkPageSize(api: string, parameter: string, size: number, max: number): void {
  if (!Number.isInteger(size) || size < 1) {
    throw new DingTalkLimitError('INVALID_ARGUMENT', `${api}: ${parameter} must be a positive integer.`, {
      api,
      parameter,
    })
  }
  if (size > max) {
    throw new DingTalkLimitError(
      'PAGE_SIZE_TOO_LARGE',
      `${api}: ${parameter} is at most ${max}; got ${size}.`,
      {
        api,
        parameter,
        max,
        actual: size,
      },
    )
  }
}

const DAY_MS: number = 86_400_000
// DingTalk's calendar is China Standard Time (UTC+8, no daylight saving): "yyyy-MM-dd HH:mm:ss" wire times
// and workdays are read in it.
const CST_OFFSET_MS: number = 8 * 3_600_000

/**
 * A point in time for the attendance, approval and report APIs: a `Date`, epoch milliseconds, or text
 * `yyyy-MM-dd`, `yyyy-MM-dd HH:mm` or `yyyy-MM-dd HH:mm:ss` read in China Standard Time (UTC+8), as DingTalk
 * reads it.
 *
 * @example
 * ```ts
 * const from: DingTalkTime = '2026-11-02'
 * const to: DingTalkTime = new Date('2026-11-06T18:00:00+08:00')
 * ```
 */
export type DingTalkTime = Date | number | string

const TEXT_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$/

/** Epoch ms of a {@link DingTalkTime}; `undefined` when it is not one. */
export function toEpochMs(value: DingTalkTime): number | undefined {
  if (value instanceof Date) return Number.isFinite(value.getTime()) ? value.getTime() : undefined
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined
  if (typeof value !== 'string') return undefined
  const m = TEXT_TIME.exec(value.trim())
  if (!m) return undefined
  const [y, mo, d, h = '0', mi = '0', s = '0'] = m.slice(1)
  const utc = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s))
  const back = new Date(utc)
  // Reject 2026-02-31 and 25:00 rather than let Date roll them over.
  if (back.getUTCDate() !== Number(d) || back.getUTCHours() !== Number(h)) return undefined
  return utc - CST_OFFSET_MS
}

export function requireTime(api: string, parameter: string, value: DingTalkTime): number {
  const ms = toEpochMs(value)
  if (ms === undefined) {
    throw new DingTalkLimitError(
      'INVALID_ARGUMENT',
      `${api}: ${parameter} must be a Date, epoch milliseconds or "yyyy-MM-dd[ HH:mm[:ss]]" (China time).`,
      { api, parameter },
    )
  }
  return ms
}

/** `yyyy-MM-dd HH:mm:ss` in China Standard Time. */
export function formatCst(ms: number): string {
  const d = new Date(ms + CST_OFFSET_MS)
  const p = (n: number): string => String(n).padStart(2, '0')
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`
}

/** Midnight (China time) of the day `ms` falls on. */
export function cstDayStart(ms: number): number {
  return Math.floor((ms + CST_OFFSET_MS) / DAY_MS) * DAY_MS - CST_OFFSET_MS
}

/**
 * Checks `from ≤ to` and `to − from ≤ maxDays` (both ends inclusive, as DingTalk counts) and returns both in
 * epoch ms.
 */
export function checkWindow(
  api: string,
  parameters: [from: string, to: string],
  from: DingTalkTime,
  to: DingTalkTime,
  maxDays: number,
): { from: number; to: number } {
  const start = requireTime(api, parameters[0], from)
  const end = requireTime(api, parameters[1], to)
  if (end < start) {
    throw new DingTalkLimitError('INVALID_ARGUMENT', `${api}: ${parameters[1]} is before ${parameters[0]}.`, {
      api,
      parameter: parameters[1],
    })
  }
  const days = (end - start) / DAY_MS
  if (days > maxDays) {
    throw new DingTalkLimitError(
      'RANGE_TOO_LONG',
      `${api} covers at most ${maxDays} days between ${parameters[0]} and ${parameters[1]}; got ${Math.ceil(days * 100) / 100}. Split the range.`,
      { api, parameter: `${parameters[0]}..${parameters[1]}`, max: maxDays, actual: days },
    )
  }
  return { from: start, to: end }
}

export { CST_OFFSET_MS, DAY_MS }
