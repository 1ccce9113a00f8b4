import { DingTalkError } from '../errors/base'
import { buildDdConfig, type DdConfig, type JsapiAlgorithm } from '../signing/jsapi'
import type { ApiContext } from './context'

/** Input of {@link JsapiApi.createConfig}. */
export interface JsapiConfigInput {
  /** The full URL of the page that calls `dd.config` (`location.href`; a `#hash` is dropped, §3.3). */
  url: string
  /** JSAPIs to authorise, without the `dd.` prefix, e.g. `biz.chat.pickConversation`. */
  jsApiList: readonly string[]
  /** Default: the client's `agentId` (ISV: the corp's agent from `service/get_auth_info`). */
  agentId?: string | number
  /** Default: the client's corpId. */
  corpId?: string
  /** 0 = micro-app JSAPI (default), 1 = service-window JSAPI. */
  type?: 0 | 1
  /** Hash of the signature; SHA-1 unless you know your corp needs SHA-256 (§3.2). */
  algorithm?: JsapiAlgorithm
}

/**
 * JSAPI authorisation for the front end (§3).
 *
 * @example
 * ```ts
 * const config = await client.jsapi.createConfig({ url: pageUrl, jsApiList: ['biz.chat.pickConversation'] })
 * // browser: dd.config(config)
 * ```
 */
export interface JsapiApi {
  /**
   * The `dd.config` payload for a page (§3.4): signed with the cached jsapi_ticket (§3.1), which itself is
   * never part of the result. Throws `JSAPI_MISSING_AGENT_ID` / `JSAPI_MISSING_CORP_ID` when neither the
   * input nor the client knows them.
   *
   * @example
   * ```ts
   * app.get('/api/dd-config', async (req, res) => {
   *   res.json(await client.jsapi.createConfig({ url: String(req.query.url), jsApiList: ['device.notification.alert'] }))
   * })
   * ```
   */
  createConfig(input: JsapiConfigInput): Promise<DdConfig>
  /**
   * The current jsapi_ticket (cached and shared; a new one invalidates the old one at DingTalk).
   *
   * @example
   * ```ts
   * const ticket = await client.jsapi.getTicket()
   * ```
   */
  getTicket(): Promise<string>
}

export function createJsapiApi(ctx: ApiContext): JsapiApi {
  return {
    async createConfig(input) {
      const agentId = input.agentId ?? (await ctx.agentId())
      if (agentId === undefined || agentId === '') {
        throw new DingTalkError(
          'JSAPI_MISSING_AGENT_ID',
          'dd.config needs the micro-app agentId: pass agentId, or create the client with { agentId }.',
        )
      }
      const corpId = input.corpId ?? ctx.corpId
      if (corpId === undefined || corpId === '') {
        throw new DingTalkError(
          'JSAPI_MISSING_CORP_ID',
          'dd.config needs the corpId: pass corpId, or create the client with { appKey, appSecret, corpId }.',
        )
      }
      const ticket = await ctx.getJsapiTicket()
      return buildDdConfig({
        ticket,
        url: input.url,
        agentId,
        corpId,
        jsApiList: input.jsApiList,
        ...(input.type === undefined ? {} : { type: input.type }),
        ...(input.algorithm === undefined ? {} : { algorithm: input.algorithm }),
      })
    },
    getTicket: () => ctx.getJsapiTicket(),
  }
}
