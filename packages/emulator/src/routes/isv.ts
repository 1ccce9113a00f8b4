import { createHmac, timingSafeEqual } from 'node:crypto'
import { ApiError, type Ctx, invalidParam, num, type Routes, str, strList } from '../context'
import { type AuthorizationState, grantAuthorization, type SuiteState, type TokenRecord } from '../state'

function suiteOfToken(ctx: Ctx): SuiteState {
  const suite = ctx.emu.state.suites.get(ctx.token?.suiteKey ?? '')
  if (!suite) throw new ApiError(40082, '不合法的suiteToken')
  return suite
}

function checkSuiteKey(ctx: Ctx, suite: SuiteState): void {
  const suiteKey = str(ctx.input, 'suite_key')
  if (suiteKey !== undefined && suiteKey !== suite.suiteKey) {
    throw new ApiError(40088, `不合法的suiteKey: suite_key does not belong to this suite_access_token`)
  }
}

function authorization(ctx: Ctx, suite: SuiteState, requireCode: boolean): AuthorizationState {
  const corpId = str(ctx.input, 'auth_corpid')
  if (!corpId) throw new ApiError(41002, '缺少auth_corpid参数')
  const auth = ctx.emu.state.authorizations.get(`${suite.suiteKey}:${corpId}`)
  if (!auth) throw new ApiError(48004, `授权关系无效: ${corpId} has not authorised this suite`)
  const code = str(ctx.input, 'permanent_code')
  if ((requireCode || code !== undefined) && code !== auth.permanentCode) {
    throw new ApiError(48004, '授权关系无效: permanent_code does not match')
  }
  return auth
}

// §4.3: the suite token needs the latest suite_ticket (the one before it is accepted too, against races).
function getSuiteToken(ctx: Ctx): Record<string, unknown> {
  const suiteKey = str(ctx.input, 'suite_key')
  if (!suiteKey) throw new ApiError(40088, '不合法的suiteKey或suiteSecret: suite_key is missing')
  const suite = ctx.emu.state.suites.get(suiteKey)
  if (!suite) throw new ApiError(40088, `不合法的suiteKey或suiteSecret: suite_key ${suiteKey} does not exist`)
  if (str(ctx.input, 'suite_secret') !== suite.suiteSecret) {
    throw new ApiError(
      40088,
      `不合法的suiteKey或suiteSecret: suite_secret does not match suite_key ${suiteKey}`,
    )
  }
  const ticket = str(ctx.input, 'suite_ticket')
  if (!ticket || !suite.tickets.includes(ticket)) {
    throw new ApiError(40085, '不存在的suiteticket: use the latest suite_ticket pushed to the suite callback')
  }
  const token = ctx.emu.issueToken({ kind: 'suite', owner: `suite:${suiteKey}`, suiteKey })
  return {
    suite_access_token: token.token,
    expires_in: Math.round((token.expiresAt - ctx.emu.now()) / 1000),
  }
}

function getPermanentCode(ctx: Ctx): Record<string, unknown> {
  const suite = suiteOfToken(ctx)
  const code = str(ctx.input, 'tmp_auth_code')
  const record = code === undefined ? undefined : ctx.emu.state.tmpAuthCodes.get(code)
  if (!code || !record || record.suiteKey !== suite.suiteKey) throw new ApiError(40078, '不存在的临时授权码')
  ctx.emu.state.tmpAuthCodes.delete(code)
  if (record.expiresAt <= ctx.emu.now()) throw new ApiError(42008, '临时授权码过期')
  const auth = grantAuthorization(ctx.emu.state, record.corpId, suite.suiteKey)
  const org = ctx.emu.state.orgs.get(record.corpId)
  return {
    permanent_code: auth.permanentCode,
    ch_permanent_code: '',
    auth_corp_info: { corpid: auth.corpId, corp_name: org?.corpName ?? '' },
  }
}

function issueCorpToken(ctx: Ctx, suite: SuiteState, auth: AuthorizationState): Record<string, unknown> {
  const owner = `isv:${suite.suiteKey}:${auth.corpId}`
  if (ctx.emu.corpTokens === 'replace') {
    // A new corp token each time; the previous one stops working (40014).
    for (const [value, record] of ctx.emu.state.tokens)
      if (record.owner === owner) ctx.emu.state.tokens.delete(value)
  }
  const token: TokenRecord = ctx.emu.issueToken({
    kind: 'corp',
    owner,
    corpId: auth.corpId,
    suiteKey: suite.suiteKey,
    agentId: auth.agentId,
  })
  return { access_token: token.token, expires_in: Math.round((token.expiresAt - ctx.emu.now()) / 1000) }
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}

// §4.3 (suite_access_token) and §4.4 (accessKey + timestamp + suiteTicket + HMAC-SHA256 signature).
function getCorpToken(ctx: Ctx): Record<string, unknown> {
  const suiteToken = ctx.query.get('suite_access_token')
  if (suiteToken !== null) {
    const record = ctx.emu.state.tokens.get(suiteToken)
    if (record?.kind !== 'suite') throw new ApiError(40082, '不合法的suiteToken')
    if (record.expiresAt <= ctx.emu.now()) throw new ApiError(42009, 'suitetoken失效')
    const suite = ctx.emu.state.suites.get(record.suiteKey ?? '')
    if (!suite) throw new ApiError(40082, '不合法的suiteToken')
    return issueCorpToken(ctx, suite, authorization(ctx, suite, true))
  }
  const accessKey = ctx.query.get('accessKey')
  if (!accessKey)
    throw new ApiError(41001, '缺少suite_access_token参数 (or accessKey/timestamp/suiteTicket/signature)')
  const suite = signedSuite(ctx, accessKey)
  return issueCorpToken(ctx, suite, authorization(ctx, suite, false))
}

// §4.4, §9.2: the signed-request family — 853001 timestamp not in ms, 853002 more than a minute off,
// 853003 unknown accessKey, 853004 signature mismatch, 853005 a suiteTicket DingTalk does not know (the
// latest two pushed; a test suite may sign with any ticket).
function signedSuite(ctx: Ctx, accessKey: string): SuiteState {
  const timestamp = ctx.query.get('timestamp') ?? ''
  const suiteTicket = ctx.query.get('suiteTicket') ?? ''
  const signature = ctx.query.get('signature') ?? ''
  if (!/^\d{13}$/.test(timestamp)) {
    throw new ApiError(853001, 'timestamp参数格式不正确，必须是当前时间的毫秒数')
  }
  if (Math.abs(ctx.emu.now() - Number(timestamp)) > 60_000) {
    throw new ApiError(853002, 'timestamp参数不合法，该参数值与钉钉服务器当前时间相差超过1分钟')
  }
  const suite = ctx.emu.state.suites.get(accessKey)
  if (!suite) throw new ApiError(853003, 'accessKey参数不合法，必须是钉钉开放平台存在的suiteKey')
  const expected = createHmac('sha256', suite.suiteSecret)
    .update(`${timestamp}\n${suiteTicket}`)
    .digest('base64')
  if (!signature || !safeEqual(signature, expected)) {
    throw new ApiError(
      853004,
      'signature参数不正确，与钉钉服务端计算出来的签名不一致，注意该参数传递时必须urlEncode',
    )
  }
  if (suite.testSuite !== true && !suite.tickets.includes(suiteTicket)) {
    throw new ApiError(853005, 'suiteTicket参数不合法，钉钉服务端不存在该suiteTicket')
  }
  return suite
}

function getAuthInfo(ctx: Ctx): Record<string, unknown> {
  const suite = suiteOfToken(ctx)
  checkSuiteKey(ctx, suite)
  const auth = authorization(ctx, suite, false)
  const org = ctx.emu.state.orgs.get(auth.corpId)
  const admins = org ? [...org.users.values()].filter((u) => u.isAdmin).map((u) => u.userid) : []
  return {
    auth_corp_info: {
      corpid: auth.corpId,
      corp_name: org?.corpName ?? '',
      corp_logo_url: '',
      industry: '',
      invite_code: '',
      license_code: '',
      is_authenticated: false,
      invite_url: '',
      auth_level: 0,
    },
    auth_user_info: { userId: admins[0] ?? '' },
    auth_info: {
      agent: [
        {
          agent_name: suite.name,
          agentid: auth.agentId,
          appid: suite.appId ?? 0,
          logo_url: '',
          admin_list: admins,
        },
      ],
    },
  }
}

function getAgent(ctx: Ctx): Record<string, unknown> {
  const suite = suiteOfToken(ctx)
  checkSuiteKey(ctx, suite)
  const auth = authorization(ctx, suite, true)
  const agentId = num(ctx.input, 'agentid')
  if (agentId !== auth.agentId) throw new ApiError(40056, `不合法的agentid: ${agentId ?? 'missing'}`)
  // §4.3: close = 1 normal, 2 waiting for activation.
  return {
    agentid: auth.agentId,
    name: suite.name,
    logo_url: '',
    description: suite.name,
    close: auth.activated ? 1 : 2,
  }
}

function activateSuite(ctx: Ctx): Record<string, unknown> {
  const suite = suiteOfToken(ctx)
  checkSuiteKey(ctx, suite)
  authorization(ctx, suite, true).activated = true
  return {}
}

function setCorpIpWhitelist(ctx: Ctx): Record<string, unknown> {
  const suite = suiteOfToken(ctx)
  const auth = authorization(ctx, suite, false)
  const list = strList(ctx.input, 'ip_whitelist')
  if (!list) throw invalidParam('ip_whitelist is required')
  // §4.3: wildcards only in the last two segments.
  const valid = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3}|\*)\.(\d{1,3}|\*)$/
  const bad = list.filter((ip) => !valid.test(ip))
  if (bad.length > 0) throw invalidParam(`invalid ip_whitelist entries: ${bad.join(',')}`)
  ctx.emu.state.orgs.get(auth.corpId)?.isvIpWhitelist.set(suite.suiteKey, list)
  return {}
}

export const isvRoutes: Routes = {
  '/service/get_suite_token': { method: 'POST', auth: 'none', body: 'json', handle: getSuiteToken },
  '/service/get_permanent_code': { method: 'POST', auth: 'suite', body: 'json', handle: getPermanentCode },
  '/service/activate_suite': { method: 'POST', auth: 'suite', body: 'json', handle: activateSuite },
  '/service/get_corp_token': { method: 'POST', auth: 'none', body: 'json', handle: getCorpToken },
  '/service/get_auth_info': { method: 'POST', auth: 'suite', body: 'json', handle: getAuthInfo },
  '/service/get_agent': { method: 'POST', auth: 'suite', body: 'json', handle: getAgent },
  '/service/set_corp_ipwhitelist': {
    method: 'POST',
    auth: 'suite',
    body: 'json',
    handle: setCorpIpWhitelist,
  },
}
