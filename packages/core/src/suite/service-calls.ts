import { asArray, asBool, asNumber, asRecord, asString, type RequestFn } from '../api/context'
import type { DingTalkResponse } from '../http/request'
import type { Authorizations } from './authorizations'
import { requireId, type SuiteContext } from './context'
import type { PermanentCodeResult, SuiteAgent, SuiteAuthInfo } from './types'

function toAuthInfo(body: DingTalkResponse): SuiteAuthInfo {
  const corp = asRecord(body.auth_corp_info)
  return {
    corp: {
      corpId: asString(corp.corpid),
      corpName: asString(corp.corp_name),
      corpLogoUrl: asString(corp.corp_logo_url),
      industry: asString(corp.industry),
      inviteCode: asString(corp.invite_code),
      licenseCode: asString(corp.license_code),
      inviteUrl: asString(corp.invite_url),
      isAuthenticated: asBool(corp.is_authenticated),
      authLevel: asNumber(corp.auth_level),
    },
    authUser: { userId: asString(asRecord(body.auth_user_info).userId) },
    agents: asArray(asRecord(body.auth_info).agent).map((raw) => {
      const a = asRecord(raw)
      return {
        agentId: asNumber(a.agentid) ?? 0,
        agentName: asString(a.agent_name),
        appId: asNumber(a.appid),
        logoUrl: asString(a.logo_url),
        adminList: asArray(a.admin_list).map(String),
      }
    }),
  }
}

/** The suite's `service/*` calls about one authorised corp (§4.3), with the suite_access_token. */
export interface ServiceCalls {
  /** `get_permanent_code`: exchanges a single-use tmp_auth_code (40078 the second time). */
  fetchPermanentCode(tmpAuthCode: string): Promise<PermanentCodeResult>
  activate(corpId: string, permanentCode: string): Promise<void>
  getAuthInfo(corpId: string): Promise<SuiteAuthInfo>
  getAgent(corpId: string, agentId?: number): Promise<SuiteAgent>
  /** The corp's agentId: stored, or learnt once from `get_auth_info` and stored. */
  agentIdOf(corpId: string): Promise<number | undefined>
  setCorpIpWhitelist(corpId: string, ips: string[]): Promise<void>
}

export function serviceCalls(
  ctx: SuiteContext,
  suiteRequest: RequestFn,
  corps: Authorizations,
): ServiceCalls {
  const { suiteKey } = ctx
  const getAuthInfo = async (corpId: string): Promise<SuiteAuthInfo> => {
    const record = await corps.require(corpId)
    const body = await suiteRequest<DingTalkResponse>({
      path: '/service/get_auth_info',
      idempotent: true,
      json: { auth_corpid: corpId, permanent_code: record.permanentCode, suite_key: suiteKey },
    })
    return toAuthInfo(body)
  }
  const agentIdOf = async (corpId: string): Promise<number | undefined> => {
    const record = await corps.require(corpId)
    if (record.agentId !== undefined) return record.agentId
    const agentId = (await getAuthInfo(corpId)).agents[0]?.agentId
    if (agentId !== undefined) {
      const latest = await corps.read(corpId)
      if (latest?.permanentCode === record.permanentCode) await corps.write(corpId, { ...latest, agentId })
    }
    return agentId
  }
  return {
    async fetchPermanentCode(tmpAuthCode) {
      requireId(tmpAuthCode, 'tmpAuthCode')
      ctx.redactor.remember(tmpAuthCode)
      const body = await suiteRequest<DingTalkResponse>({
        path: '/service/get_permanent_code',
        json: { tmp_auth_code: tmpAuthCode },
      })
      const corp = asRecord(body.auth_corp_info)
      const permanentCode = asString(body.permanent_code)
      ctx.redactor.remember(permanentCode)
      return {
        corpId: asString(corp.corpid),
        corpName: asString(corp.corp_name),
        permanentCode,
        chPermanentCode: asString(body.ch_permanent_code),
      }
    },
    async activate(corpId, permanentCode) {
      await suiteRequest({
        path: '/service/activate_suite',
        json: { suite_key: suiteKey, auth_corpid: corpId, permanent_code: permanentCode },
      })
    },
    getAuthInfo,
    async getAgent(corpId, agentId) {
      const record = await corps.require(corpId)
      const id = agentId ?? (await agentIdOf(corpId))
      const body = await suiteRequest<DingTalkResponse>({
        path: '/service/get_agent',
        idempotent: true,
        json: { suite_key: suiteKey, auth_corpid: corpId, permanent_code: record.permanentCode, agentid: id },
      })
      return {
        agentId: asNumber(body.agentid) ?? id ?? 0,
        name: asString(body.name),
        logoUrl: asString(body.logo_url),
        description: asString(body.description),
        close: asNumber(body.close),
      }
    },
    agentIdOf,
    async setCorpIpWhitelist(corpId, ips) {
      requireId(corpId, 'corpId')
      await suiteRequest({
        path: '/service/set_corp_ipwhitelist',
        json: { auth_corpid: corpId, ip_whitelist: ips },
      })
    },
  }
}
