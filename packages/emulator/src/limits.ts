import { type Ctx, ipAllowed, str } from './context'
import type { EmulatorState } from './state'

/**
 * A per-app rate limit; requests above `limit` per `windowMs` get `errcode`.
 *
 * @example
 * ```ts
 * await startEmulator({ rateLimits: [{ route: '/get_jsapi_ticket', limit: 1, errcode: 45009 }] })
 * ```
 */
export interface RateLimitRule {
  /** Path the limit applies to (counted per path); all paths together when absent. */
  route?: string
  limit: number
  /** Window length in ms of the emulator clock (default 1000). */
  windowMs?: number
  /** 90002 (default) or 45009 (§9.2, §10). */
  errcode?: number
}
/** What the limits look at: the caller, its token or credentials, the path. */
export type LimitSubject = Pick<Ctx, 'path' | 'input' | 'token' | 'remoteIp'>

/** Why a request is refused before its endpoint runs. */
export type Refusal = { kind: 'ip'; ip: string } | { kind: 'rate'; errcode: number }

/** The app a request counts against (rate limits) and its IP whitelist, from its token or credentials. */
function appOf(state: EmulatorState, ctx: LimitSubject): { id: string; whitelist?: string[] } {
  const token = ctx.token
  if (token?.suiteKey && token.kind === 'corp' && token.corpId) {
    const list = state.orgs.get(token.corpId)?.isvIpWhitelist.get(token.suiteKey)
    return { id: token.suiteKey, ...(list ? { whitelist: list } : {}) }
  }
  if (token?.suiteKey) return { id: token.suiteKey }
  const appKey = token?.appKey ?? str(ctx.input, 'appkey')
  if (appKey) {
    for (const org of state.orgs.values()) {
      const app = org.apps.get(appKey)
      if (app) return { id: appKey, ...(app.ipWhitelist ? { whitelist: app.ipWhitelist } : {}) }
    }
    return { id: appKey }
  }
  const corpId = token?.corpId ?? str(ctx.input, 'corpid')
  const suiteKey = str(ctx.input, 'suite_key') ?? str(ctx.input, 'accessKey')
  return { id: corpId ?? suiteKey ?? 'anonymous' }
}

/**
 * The IP whitelist (60020) and the per-app rate limits (90002/45009, §10) of one emulator: `check(ctx)`
 * counts the request and says why it is refused, if it is.
 */
export function createLimits(
  state: EmulatorState,
  options: { ipWhitelist?: string[] | undefined; rateLimits?: RateLimitRule[] | undefined },
  now: () => number,
): (ctx: LimitSubject) => Refusal | undefined {
  const counters = new Map<string, number>()
  return (ctx) => {
    const app = appOf(state, ctx)
    const whitelist = app.whitelist ?? options.ipWhitelist
    if (whitelist && !ipAllowed(ctx.remoteIp, whitelist)) return { kind: 'ip', ip: ctx.remoteIp }
    const t = now()
    for (const [index, rule] of (options.rateLimits ?? []).entries()) {
      if (rule.route !== undefined && rule.route !== ctx.path) continue
      const windowMs = rule.windowMs ?? 1000
      const key = `${index}:${app.id}:${Math.floor(t / windowMs)}`
      const used = (counters.get(key) ?? 0) + 1
      counters.set(key, used)
      if (used > rule.limit) return { kind: 'rate', errcode: rule.errcode ?? 90002 }
    }
    return undefined
  }
}
