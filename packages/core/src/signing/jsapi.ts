import { checkAgentId } from '../agent-id'
import { DingTalkError } from '../errors/base'
import { hashes } from '../hash/index'

/** The hash DingTalk's JSAPI signature uses: SHA-1 (§3.2); SHA-256 over the same string as an option. */
export type JsapiAlgorithm = 'sha1' | 'sha256'

/** Inputs of the `dd.config` signature (§3.2). */
export interface JsapiSignInput {
  /** The corp's current jsapi_ticket (never sent to the browser). */
  ticket: string
  /** Any random string; must be the same in the signature and in `dd.config`. */
  nonceStr: string
  /** Any numeric string; must be the same in the signature and in `dd.config`. */
  timeStamp: string | number
  /** The full URL of the page that calls `dd.config`; normalised with {@link normalizeJsapiUrl}. */
  url: string
  algorithm?: JsapiAlgorithm
}

/** The object the front end passes to `dd.config(...)` (§3.4). It never contains the ticket. */
export interface DdConfig {
  agentId: string
  corpId: string
  timeStamp: string
  nonceStr: string
  signature: string
  jsApiList: string[]
  /** 0 = micro-app JSAPI (default), 1 = service-window JSAPI. */
  type?: 0 | 1
}

/** Options of {@link buildDdConfig}. */
export interface DdConfigInput {
  ticket: string
  url: string
  agentId: string | number
  corpId: string
  jsApiList?: readonly string[]
  type?: 0 | 1
  nonceStr?: string
  timeStamp?: string | number
  algorithm?: JsapiAlgorithm
}

const ABSOLUTE = /^https?:\/\/[^/?#\s]+/i
const ESCAPES = /(?:%[0-9A-Fa-f]{2})+/g

/**
 * The URL exactly as DingTalk signs it (§3.3, FAQ "权限校验失败"): everything from `#` dropped, `%XX`
 * escapes in the query decoded (as DingTalk's own demos do; `+` is left alone), and scheme, host, port and
 * path kept exactly as given. Throws `JSAPI_INVALID_URL` for anything but an absolute http(s) URL.
 *
 * @example
 * ```ts
 * normalizeJsapiUrl('http://abc.def/ghi/jkl?m=123&n=%E5%BC%A0#opq') // 'http://abc.def/ghi/jkl?m=123&n=张'
 * ```
 */
export function normalizeJsapiUrl(url: string): string {
  if (typeof url !== 'string' || !ABSOLUTE.test(url)) {
    throw new DingTalkError(
      'JSAPI_INVALID_URL',
      'The JSAPI signature needs the absolute http(s) URL of the page that calls dd.config (location.href).',
    )
  }
  const hash = url.indexOf('#')
  const withoutHash = hash === -1 ? url : url.slice(0, hash)
  const query = withoutHash.indexOf('?')
  if (query === -1) return withoutHash
  const decoded = withoutHash.slice(query + 1).replace(ESCAPES, (run) => {
    try {
      return decodeURIComponent(run)
    } catch {
      return run
    }
  })
  return `${withoutHash.slice(0, query + 1)}${decoded}`
}

/**
 * The `dd.config` signature (§3.2): SHA-1 (or SHA-256) of
 * `jsapi_ticket=…&noncestr=…&timestamp=…&url=…` with the normalised URL, lowercase hex.
 *
 * @example
 * ```ts
 * signJsapi({ ticket, nonceStr: 'Zn4zmLFKD0wzilzM', timeStamp: '1414588745', url: 'http://open.dingtalk.com' })
 * // → '10de2b0a6763ec3685a50272b5b0eb2848098dc2' for the reference's ticket
 * ```
 */
export function signJsapi(input: JsapiSignInput): string {
  const { ticket, nonceStr } = input
  const timeStamp = String(input.timeStamp)
  if (typeof ticket !== 'string' || ticket.length === 0) {
    throw new DingTalkError('JSAPI_MISSING_TICKET', 'The JSAPI signature needs the current jsapi_ticket.')
  }
  if (typeof nonceStr !== 'string' || nonceStr.length === 0) {
    throw new DingTalkError('JSAPI_INVALID_NONCE', 'nonceStr must be a non-empty string.')
  }
  if (!/^\d+$/.test(timeStamp)) {
    throw new DingTalkError('JSAPI_INVALID_TIMESTAMP', 'timeStamp must be a numeric string.')
  }
  const plain = `jsapi_ticket=${ticket}&noncestr=${nonceStr}&timestamp=${timeStamp}&url=${normalizeJsapiUrl(input.url)}`
  const h = hashes()
  return input.algorithm === 'sha256' ? h.sha256Hex(plain) : h.sha1Hex(plain)
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

function randomNonce(): string {
  const bytes = new Uint8Array(16)
  globalThis.crypto.getRandomValues(bytes)
  let out = ''
  for (const b of bytes) out += ALNUM[b % 62]
  return out
}

/**
 * Builds the `dd.config` payload for a page: signs the normalised page URL with a fresh nonce and the
 * current time in seconds. The ticket is used for the signature only and is never part of the result.
 *
 * @example
 * ```ts
 * const config = buildDdConfig({ ticket, url: pageUrl, agentId, corpId, jsApiList: ['biz.chat.pickConversation'] })
 * // front end: dd.config(config)
 * ```
 */
export function buildDdConfig(input: DdConfigInput): DdConfig {
  const nonceStr = input.nonceStr ?? randomNonce()
  const timeStamp = String(input.timeStamp ?? Math.floor(Date.now() / 1000))
  const signature = signJsapi({
    ticket: input.ticket,
    nonceStr,
    timeStamp,
    url: input.url,
    ...(input.algorithm ? { algorithm: input.algorithm } : {}),
  })
  const config: DdConfig = {
    agentId: String(checkAgentId(input.agentId)),
    corpId: input.corpId,
    timeStamp,
    nonceStr,
    signature,
    jsApiList: [...(input.jsApiList ?? [])],
  }
  if (input.type !== undefined) config.type = input.type
  return config
}
