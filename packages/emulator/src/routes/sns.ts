import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { ApiError, type Ctx, type Internals, RawResponse, type Routes, str } from '../context'
import type { FixtureApp } from '../fixture'
import type { OrgState } from '../state'
import { unionIdOf } from './office-common'

/** How long a web-login code lives (single use). */
export const SNS_CODE_TTL_MS: number = 5 * 60 * 1000

/**
 * The web login (扫码登录, §5.3) from the browser's side, for tests that skip the login page.
 *
 * @example
 * ```ts
 * const code = emu.webLogin.issueCode('dingemuappkey0001', 'zhangsan')
 * const user = await createWebLogin(client, { appSecret: 'emu-app-secret' }).signIn(code)
 * ```
 */
export interface WebLoginController {
  /**
   * The `code` DingTalk appends to the redirect URL once `userid` signed in to the app `appKey`; with
   * `{ form: 'oauth2' }` a code of the newer OAuth2 login (exchanged at `/v1.0/oauth2/userAccessToken`).
   */
  issueCode(appKey: string, userid: string, options?: { form?: 'oauth2' }): string
}

function appOf(emu: Internals, appKey: string | undefined): { org: OrgState; app: FixtureApp } | undefined {
  if (!appKey) return undefined
  for (const org of emu.state.orgs.values()) {
    const app = org.apps.get(appKey)
    if (app) return { org, app }
  }
  return undefined
}

export function issueSnsCode(emu: Internals, appKey: string, userid: string, form?: 'oauth2'): string {
  const found = appOf(emu, appKey)
  if (!found) throw new Error(`unknown appKey ${appKey}`)
  if (!found.org.users.has(userid)) throw new Error(`unknown userid ${userid} in ${found.org.corpId}`)
  const code = randomBytes(16).toString('hex')
  emu.state.office.snsCodes.set(code, {
    code,
    appKey,
    corpId: found.org.corpId,
    userid,
    expiresAt: emu.now() + SNS_CODE_TTL_MS,
    ...(form === undefined ? {} : { form }),
  })
  return code
}

export function createWebLoginController(emu: Internals): WebLoginController {
  return { issueCode: (appKey, userid, options) => issueSnsCode(emu, appKey, userid, options?.form) }
}

const htmlText = (value: string): string => value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

function page(status: number, title: string, body: string): RawResponse {
  const html = `<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>${htmlText(title)}</title>
<style>body{font:15px system-ui,sans-serif;max-width:28rem;margin:3rem auto;color:#1f2329}a.user{display:block;padding:.7rem 1rem;margin:.5rem 0;border:1px solid #dee0e3;border-radius:8px;text-decoration:none;color:inherit}a.user:hover{border-color:#3370ff}small{color:#646a73}</style>
</head><body>${body}</body></html>`
  return new RawResponse(
    status,
    { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' },
    new TextEncoder().encode(html),
  )
}

// The legacy pages name the app `appid`; the OAuth2 page (login.dingtalk.com/oauth2/auth) `client_id`.
const oauth2 = (ctx: Ctx): boolean => ctx.path.startsWith('/oauth2/')

function redirectTarget(
  ctx: Ctx,
): { org: OrgState; appKey: string; redirect: URL; state: string } | RawResponse {
  const appKey = str(ctx.input, oauth2(ctx) ? 'client_id' : 'appid')
  const found = appOf(ctx.emu, appKey)
  if (!found || !appKey)
    return page(400, '登录失败', `<h1>登录失败</h1><p>appid ${htmlText(appKey ?? '')} 不存在</p>`)
  if (str(ctx.input, 'response_type') !== 'code') {
    return page(400, '登录失败', '<h1>登录失败</h1><p>response_type must be code</p>')
  }
  let redirect: URL
  try {
    redirect = new URL(str(ctx.input, 'redirect_uri') ?? '')
    if (redirect.protocol !== 'http:' && redirect.protocol !== 'https:') throw new Error('scheme')
  } catch {
    return page(400, '登录失败', '<h1>登录失败</h1><p>redirect_uri must be an absolute http(s) URL</p>')
  }
  return { org: found.org, appKey, redirect, state: str(ctx.input, 'state') ?? '' }
}

// §5.3: the QR-code page. Here a list of the app's corp members stands in for scanning with the phone.
function loginPage(ctx: Ctx): RawResponse {
  const target = redirectTarget(ctx)
  if (target instanceof RawResponse) return target
  const confirmPath = oauth2(ctx) ? '/oauth2/auth/confirm' : '/connect/qrconnect/confirm'
  const links = [...target.org.users.values()]
    .filter((u) => u.active !== false)
    .map((u) => {
      const query = new URLSearchParams({
        [oauth2(ctx) ? 'client_id' : 'appid']: target.appKey,
        response_type: 'code',
        scope: oauth2(ctx) ? 'openid' : 'snsapi_login',
        state: target.state,
        redirect_uri: target.redirect.toString(),
        userid: u.userid,
      })
      return `<a class="user" href="${confirmPath}?${htmlText(query.toString())}" data-userid="${htmlText(u.userid)}">${htmlText(u.name)} <small>${htmlText(u.userid)}</small></a>`
    })
    .join('\n')
  return page(
    200,
    '钉钉扫码登录',
    `<h1>钉钉扫码登录</h1><p><small>dingtalk-kit emulator — ${htmlText(target.org.corpName)}: choose who scans the code</small></p>\n${links}`,
  )
}

function confirm(ctx: Ctx): RawResponse {
  const target = redirectTarget(ctx)
  if (target instanceof RawResponse) return target
  const userid = str(ctx.input, 'userid') ?? ''
  if (!target.org.users.has(userid)) return page(400, '登录失败', '<h1>登录失败</h1><p>unknown user</p>')
  const location = new URL(target.redirect)
  const code = issueSnsCode(ctx.emu, target.appKey, userid, oauth2(ctx) ? 'oauth2' : undefined)
  // The OAuth2 login appends the code as `authCode` and as `code`.
  if (oauth2(ctx)) location.searchParams.set('authCode', code)
  location.searchParams.set('code', code)
  location.searchParams.set('state', target.state)
  return new RawResponse(
    302,
    { Location: location.toString(), 'Cache-Control': 'no-store' },
    new Uint8Array(),
  )
}

function sameBytes(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

// §4.4/§5.3: accessKey = the app, signature = Base64(HMAC-SHA256(appSecret, timestamp)), timestamp within a minute.
function getUserInfoByCode(ctx: Ctx): Record<string, unknown> {
  const accessKey = ctx.query.get('accessKey') ?? undefined
  const timestamp = ctx.query.get('timestamp') ?? ''
  const signature = ctx.query.get('signature') ?? ''
  if (!/^\d{10,16}$/.test(timestamp)) {
    throw new ApiError(853001, 'timestamp参数格式不正确，必须是当前时间的毫秒数')
  }
  if (Math.abs(ctx.emu.now() - Number(timestamp)) > 60_000) {
    throw new ApiError(853002, 'timestamp参数不合法，该参数值与钉钉服务器当前时间相差超过1分钟')
  }
  const found = appOf(ctx.emu, accessKey)
  if (!found || !accessKey) throw new ApiError(853003, 'accessKey参数不合法，必须是钉钉开放平台存在的appId')
  const expected = createHmac('sha256', found.app.appSecret).update(timestamp).digest('base64')
  if (!sameBytes(signature, expected)) {
    throw new ApiError(
      853004,
      'signature参数不正确，与钉钉服务端计算出来的签名不一致，注意该参数传递时必须urlEncode',
    )
  }
  const code = str(ctx.input, 'tmp_auth_code')
  const record = code === undefined ? undefined : ctx.emu.state.office.snsCodes.get(code)
  // Single use; the errcode for a used or unknown code here is unverified (40078 as for other one-time codes).
  if (code !== undefined) ctx.emu.state.office.snsCodes.delete(code)
  if (!record || record.form || record.appKey !== accessKey || record.expiresAt <= ctx.emu.now()) {
    throw new ApiError(40078, '不存在的临时授权码')
  }
  const user = ctx.emu.state.orgs.get(record.corpId)?.users.get(record.userid)
  if (!user) throw new ApiError(40078, '不存在的临时授权码: the user left')
  return {
    user_info: {
      nick: user.name,
      unionid: unionIdOf(user),
      openid: `openid${createHash('sha256').update(`${accessKey}:${user.userid}`).digest('hex').slice(0, 20)}`,
      main_org_auth_high_level: true,
    },
  }
}

export const snsRoutes: Routes = {
  '/connect/qrconnect': { method: 'GET', auth: 'none', handle: loginPage },
  '/connect/oauth2/sns_authorize': { method: 'GET', auth: 'none', handle: loginPage },
  '/connect/qrconnect/confirm': { method: 'GET', auth: 'none', handle: confirm },
  '/sns/getuserinfo_bycode': { method: 'POST', auth: 'none', body: 'json', handle: getUserInfoByCode },
  // The newer OAuth2 login page (login.dingtalk.com in production; the emulator serves it on its one origin).
  '/oauth2/auth': { method: 'GET', auth: 'none', handle: loginPage },
  '/oauth2/auth/confirm': { method: 'GET', auth: 'none', handle: confirm },
}
