import { ApiError, type Ctx, num, type RouteDef } from '../context'
import type { OrgState, UserRecord } from '../state'
import { ancestors, orgOf } from './contact-store'

export { ancestors, orgOf }

export const DAY_MS = 86_400_000
// DingTalk's calendar is China Standard Time (UTC+8, no daylight saving).
const CST_MS = 8 * 3_600_000

/** `yyyy-MM-dd HH:mm:ss` in China time. */
export function cst(ms: number): string {
  const d = new Date(ms + CST_MS)
  const p = (n: number): string => String(n).padStart(2, '0')
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`
}

/** Epoch ms of `yyyy-MM-dd[ HH:mm[:ss]]` read in China time; `undefined` when malformed. */
export function parseCst(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(text.trim())
  if (!m) return undefined
  const [y, mo, d, h = '0', mi = '0', s = '0'] = m.slice(1)
  const utc = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s))
  return Number.isFinite(utc) ? utc - CST_MS : undefined
}

export function dayStart(ms: number): number {
  return Math.floor((ms + CST_MS) / DAY_MS) * DAY_MS - CST_MS
}

/** 0 Sunday … 6 Saturday, in China time. */
export function weekday(ms: number): number {
  // 1970-01-01 was a Thursday.
  return (Math.floor((ms + CST_MS) / DAY_MS) + 4) % 7
}

/** A clock time on the China-time day starting at `day`. */
export function at(day: number, hours: number, minutes = 0): number {
  return day + hours * 3_600_000 + minutes * 60_000
}

export function invalid(detail: string): ApiError {
  return new ApiError(400002, `无效的参数: ${detail}`)
}

export function text(input: Record<string, unknown>, key: string): string | undefined {
  const value = input[key]
  if (typeof value === 'string' && value.trim() !== '') return value
  if (typeof value === 'number') return String(value)
  return undefined
}

/** A list given as an array or a comma-separated string. */
export function list(input: Record<string, unknown>, key: string): string[] | undefined {
  const value = input[key]
  if (Array.isArray(value)) return value.map(String).filter((v) => v !== '')
  if (typeof value === 'string')
    return value
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v !== '')
  return undefined
}

/** `offset`/`size` (or `limit`) paging: 40068 for a bad offset, 40069 for a bad size. */
export function paging(
  input: Record<string, unknown>,
  sizeKey: string,
  max: number,
  fallback: number,
): { offset: number; size: number } {
  const offset = num(input, 'offset') ?? num(input, 'cursor') ?? 0
  const size = num(input, sizeKey) ?? fallback
  if (offset < 0) throw new ApiError(40068, '不合法的偏移量')
  if (size < 1 || size > max) throw new ApiError(40069, `不合法的分页大小: ${sizeKey} must be 1–${max}`)
  return { offset, size }
}

export function memberOf(org: OrgState, userid: string | undefined, errcode = 33012): UserRecord {
  const user = userid === undefined ? undefined : org.users.get(userid)
  if (!user) throw new ApiError(errcode, errcode === 60121 ? '找不到该用户' : `无效的USERID: ${userid ?? ''}`)
  return user
}

/** Position of a member in the fixture order (the generated attendance, leave and reports use it). */
export function memberIndex(org: OrgState, userid: string): number {
  return [...org.users.keys()].indexOf(userid)
}

export function unionIdOf(user: UserRecord): string {
  return user.unionid ?? `union${user.userid}`
}

export type { Ctx }

/** A `POST` JSON route that needs the corp access token (every office API). */
export function post(handle: RouteDef['handle']): RouteDef {
  return { method: 'POST', auth: 'access', body: 'json', handle }
}
