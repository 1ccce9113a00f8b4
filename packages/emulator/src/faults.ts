import { randomId } from './context'

/** A fault to inject into the emulator's answers. */
export type FaultKind = 'latency' | 'http5xx' | 'truncated' | 'nonJson' | 'reset' | 'punish' | 'busy'

/**
 * What {@link Emulator.faults}`.inject` takes.
 *
 * @example
 * ```ts
 * emu.faults.inject({ route: '/gettoken', kind: 'http5xx', status: 503, times: 2 })
 * ```
 */
export interface FaultSpec {
  /** Path the fault applies to, e.g. `/gettoken`; every path when absent. */
  route?: string
  /**
   * `latency` delays the answer by `ms`; `http5xx` answers HTTP `status` (default 502) with an HTML page;
   * `truncated` cuts the JSON answer in half (the request is still processed); `nonJson` answers an HTML
   * page with HTTP 200; `reset` destroys the connection; `punish` answers §10's rate-limit page
   * `{"status":1111,"wait":5,"punish":"deny",…}`; `busy` answers errcode -1 (系统繁忙).
   */
  kind: FaultKind
  /** How many requests the fault hits (default 1; `Infinity` for every request). */
  times?: number
  /** Delay for `latency` (default 100 ms). */
  ms?: number
  /** HTTP status for `http5xx` (default 502). */
  status?: number
}

/**
 * Controls injected faults.
 *
 * @example
 * ```ts
 * emu.faults.inject({ kind: 'busy', times: Infinity })
 * emu.faults.clear()
 * ```
 */
export interface FaultController {
  inject(spec: FaultSpec): void
  clear(): void
  /** Faults still armed, with the hits they have left. */
  list(): FaultSpec[]
}
interface ArmedFault extends FaultSpec {
  remaining: number
}

/** The faults that hit one request: summed latency and at most one action. */
export interface FaultHit {
  latencyMs: number
  action?: FaultSpec
}

/** A canned answer of a fault that replaces DingTalk's. */
export interface FaultPage {
  status: number
  contentType: string
  body: string
}

/**
 * The armed faults of one emulator: the controller users hold and `take(path)`, which spends the faults a
 * request to `path` hits (every latency fault, and the first other one).
 */
export function createFaults(): { controller: FaultController; take(path: string): FaultHit } {
  const armed: ArmedFault[] = []
  const controller: FaultController = {
    inject(spec) {
      if (spec.times !== undefined && !(spec.times > 0)) throw new TypeError('times must be positive')
      armed.push({ ...spec, remaining: spec.times ?? 1 })
    },
    clear() {
      armed.length = 0
    },
    list() {
      return armed.map(({ remaining, ...spec }) => ({ ...spec, times: remaining }))
    },
  }
  const take = (path: string): FaultHit => {
    let latencyMs = 0
    let action: ArmedFault | undefined
    for (const fault of armed) {
      if (fault.remaining <= 0 || (fault.route !== undefined && fault.route !== path)) continue
      if (fault.kind === 'latency') {
        latencyMs += fault.ms ?? 100
        fault.remaining--
      } else if (!action) {
        action = fault
        fault.remaining--
      }
    }
    for (let i = armed.length - 1; i >= 0; i--) if (armed[i]!.remaining <= 0) armed.splice(i, 1)
    return { latencyMs, ...(action ? { action } : {}) }
  }
  return { controller, take }
}

/** The answer of a fault that replaces the endpoint's own (`http5xx`, `nonJson`, `punish`). */
export function faultPage(action: FaultSpec): FaultPage | undefined {
  if (action.kind === 'http5xx') {
    const status = action.status ?? 502
    const body = `<html><head><title>${status}</title></head><body><center><h1>${status} Bad Gateway</h1></center><hr><center>Tengine</center></body></html>`
    return { status, contentType: 'text/html', body }
  }
  if (action.kind === 'nonJson') {
    const body =
      '<!DOCTYPE html><html><head><title>钉钉</title></head><body>系统繁忙，请稍后再试</body></html>'
    return { status: 200, contentType: 'text/html;charset=UTF-8', body }
  }
  if (action.kind === 'punish') {
    // §10: the IP ban page carries no errcode at all.
    const page = { status: 1111, wait: 5, source: 'x5', punish: 'deny', uuid: randomId(8) }
    return { status: 200, contentType: JSON_TYPE, body: JSON.stringify(page) }
  }
  return undefined
}

export const JSON_TYPE = 'application/json;charset=UTF-8'
