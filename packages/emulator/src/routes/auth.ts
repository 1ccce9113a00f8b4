import { ApiError, type Ctx, type Internals, type Routes, randomId, str } from '../context'
import type { AuthCodeRecord, OrgState, UserRecord } from '../state'

export const AUTH_CODE_TTL_MS: number = 5 * 60 * 1000

function findAppByKey(
  emu: Internals,
  appKey: string,
): { org: OrgState; agentId: number; secret: string } | null {
  for (const org of emu.state.orgs.values()) {
    const app = org.apps.get(appKey)
    if (app) return { org, agentId: app.agentId, secret: app.appSecret }
  }
  return null
}

// §4.2 (as DingTalk answers today): a wrong appKey or appSecret — or a secret in the wrong letter case — is
// 40096 without saying which; no credentials at all 40035; a wrong corpId or corpSecret 40089. The same
// credential gets the same token back while it is valid.
const WRONG_APP = '不合法的appKey或appSecret'
const WRONG_CORP = '不合法的corpid或corpsecret'

function gettoken(ctx: Ctx): Record<string, unknown> {
  const { emu, input } = ctx
  const appKey = str(input, 'appkey')
  const corpId = str(input, 'corpid')
  if (appKey) {
    const found = findAppByKey(emu, appKey)
    if (!found || found.secret !== str(input, 'appsecret')) throw new ApiError(40096, WRONG_APP)
    const token = emu.issueToken({
      kind: 'corp',
      owner: `appkey:${appKey}`,
      corpId: found.org.corpId,
      appKey,
      agentId: found.agentId,
    })
    return { access_token: token.token, expires_in: Math.round((token.expiresAt - emu.now()) / 1000) }
  }
  if (!corpId)
    throw new ApiError(40035, '不合法的参数: appkey and appsecret (or corpid and corpsecret) are required')
  const corpSecret = str(input, 'corpsecret')
  if (!corpSecret) throw new ApiError(41004, '缺少corpsecret参数')
  const org = emu.state.orgs.get(corpId)
  const app = [...(org?.apps.values() ?? [])].find(
    (a) => a.corpSecret !== undefined && a.corpSecret === corpSecret,
  )
  if (!org || !app) throw new ApiError(40089, WRONG_CORP)
  const token = emu.issueToken({
    kind: 'corp',
    owner: `corpsecret:${corpId}:${app.appKey}`,
    corpId,
    appKey: app.appKey,
    agentId: app.agentId,
  })
  return { access_token: token.token, expires_in: Math.round((token.expiresAt - emu.now()) / 1000) }
}

// §3.1: every call issues a new ticket, which invalidates the previous one of the same token owner.
function getJsapiTicket(ctx: Ctx): Record<string, unknown> {
  const { emu } = ctx
  const token = ctx.token!
  const now = emu.now()
  const previous = emu.state.currentTickets.get(token.owner)
  if (previous) emu.state.tickets.delete(previous)
  const ticket = randomId(24)
  emu.state.tickets.set(ticket, {
    ticket,
    owner: token.owner,
    corpId: token.corpId ?? '',
    issuedAt: now,
    expiresAt: now + emu.tokenTtlMs,
  })
  emu.state.currentTickets.set(token.owner, ticket)
  return { ticket, expires_in: Math.round(emu.tokenTtlMs / 1000) }
}

export function issueCode(
  emu: Internals,
  kind: AuthCodeRecord['kind'],
  corpId: string,
  userid: string,
): string {
  const org = emu.state.orgs.get(corpId)
  if (!org) throw new Error(`unknown corpId ${corpId}`)
  if (!org.users.has(userid)) throw new Error(`unknown userid ${userid} in ${corpId}`)
  const code = randomId(16)
  emu.state.authCodes.set(code, { code, kind, corpId, userid, expiresAt: emu.now() + AUTH_CODE_TTL_MS })
  return code
}

// §5.1: codes are single use and live five minutes; a code of another corp is just as invalid. DingTalk
// answers all of these with 40078 today (the old documents: 40029).
const INVALID_CODE = '不存在的临时授权码'
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
const ILLEGAL_IN_CODE = /[\u0000-\u001f"']/

function consumeCode(ctx: Ctx, kind: AuthCodeRecord['kind']): UserRecord {
  const code = str(ctx.input, 'code')
  if (!code) throw new ApiError(40078, `${INVALID_CODE}: code is missing`)
  // §4.1: a code with a control character (a `%00`) or a quote is refused as illegal characters.
  if (ILLEGAL_IN_CODE.test(code)) throw new ApiError(40033, '不合法的请求字符')
  const record = ctx.emu.state.authCodes.get(code)
  if (!record || record.kind !== kind || record.corpId !== ctx.token?.corpId) {
    throw new ApiError(40078, INVALID_CODE)
  }
  ctx.emu.state.authCodes.delete(code)
  if (record.expiresAt <= ctx.emu.now()) throw new ApiError(40078, `${INVALID_CODE}: code expired`)
  const user = ctx.emu.state.orgs.get(record.corpId)?.users.get(record.userid)
  if (!user) throw new ApiError(40078, `${INVALID_CODE}: user no longer exists`)
  return user
}

function getUserInfoLegacy(ctx: Ctx): Record<string, unknown> {
  const user = consumeCode(ctx, 'app')
  return {
    userid: user.userid,
    deviceId: randomId(8),
    is_sys: user.isAdmin === true,
    sys_level: user.isAdmin ? 2 : 0,
  }
}

function getUserInfoV2(ctx: Ctx): Record<string, unknown> {
  const user = consumeCode(ctx, 'app')
  return {
    result: {
      userid: user.userid,
      device_id: randomId(8),
      sys: user.isAdmin === true,
      sys_level: user.isAdmin ? 1 : user.isBoss ? 100 : 0,
      associated_unionid: '',
      unionid: user.unionid ?? `union${user.userid}`,
      name: user.name,
    },
  }
}

// §5.2: the admin SSO token comes from the corp's dedicated SSOSecret.
function ssoGettoken(ctx: Ctx): Record<string, unknown> {
  const corpId = str(ctx.input, 'corpid')
  if (!corpId) throw new ApiError(41002, '缺少corpid参数')
  const secret = str(ctx.input, 'corpsecret')
  if (!secret) throw new ApiError(41004, '缺少corpsecret参数')
  const org = ctx.emu.state.orgs.get(corpId)
  if (!org) throw new ApiError(40089, `不合法的corpid或corpsecret: corpid ${corpId} does not exist`)
  if (org.ssoSecret === undefined || org.ssoSecret !== secret) {
    throw new ApiError(40001, `获取access_token时Secret错误: corpsecret is not the SSO secret of ${corpId}`)
  }
  const token = ctx.emu.issueToken({ kind: 'sso', owner: `sso:${corpId}`, corpId })
  return { access_token: token.token, expires_in: Math.round((token.expiresAt - ctx.emu.now()) / 1000) }
}

function ssoGetUserInfo(ctx: Ctx): Record<string, unknown> {
  const user = consumeCode(ctx, 'sso')
  const org = ctx.emu.state.orgs.get(ctx.token!.corpId!)!
  return {
    corp_info: { corp_name: org.corpName, corpid: org.corpId },
    is_sys: user.isAdmin === true,
    user_info: { avatar: user.avatar ?? '', email: user.email ?? '', name: user.name, userid: user.userid },
  }
}

export const authRoutes: Routes = {
  '/gettoken': { method: 'GET', auth: 'none', handle: gettoken },
  '/get_jsapi_ticket': { method: 'GET', auth: 'access', handle: getJsapiTicket },
  '/user/getuserinfo': { method: 'GET', auth: 'access', handle: getUserInfoLegacy },
  '/topapi/v2/user/getuserinfo': { method: 'POST', auth: 'access', body: 'json', handle: getUserInfoV2 },
  '/sso/gettoken': { method: 'GET', auth: 'none', handle: ssoGettoken },
  '/sso/getuserinfo': { method: 'GET', auth: 'sso', handle: ssoGetUserInfo },
}
