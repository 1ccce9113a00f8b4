import { createTokenCache, type TokenCache } from '../auth/token-cache'
import { DingTalkError } from '../errors/base'
import { isTokenInvalid } from '../errors/catalogue'
import { DingTalkApiError } from '../errors/request-errors'
import type { DingTalkResponse } from '../http/request'
import { storeKey } from '../store/store'
import { type ApiContext, asBool, asNumber, asRecord, asString } from './context'

/** Who opened the micro-app, from `user/getuserinfo` (legacy, §5.1). */
export interface SsoUserLegacy {
  userId: string
  deviceId: string
  isSys: boolean
  /** 2016 meaning: 0 non-admin, 1 admin, 2 super admin. */
  sysLevel: number
}

/** Who opened the micro-app, from `topapi/v2/user/getuserinfo` (§5.1). */
export interface SsoUser {
  userId: string
  deviceId: string
  /** Whether the user is an admin. */
  sys: boolean
  /** 1 super admin, 2 sub admin, 100 boss, 0 other. */
  sysLevel: number
  unionId: string
  associatedUnionId: string
  name: string
}

/** The admin who opened the app's back office from the admin console (`sso/getuserinfo`, §5.2). */
export interface SsoAdmin {
  isSys: boolean
  corp: { corpId: string; corpName: string }
  user: { userId: string; name: string; email: string; avatar: string }
}

/**
 * Identity (免登, §5): exchange the one-time `code` the front end got from
 * `dd.runtime.permission.requestAuthCode` for the user.
 *
 * @example
 * ```ts
 * const user = await client.sso.getUserInfo(code)
 * session.userId = user.userId
 * ```
 */
export interface SsoApi {
  /**
   * `POST /topapi/v2/user/getuserinfo` — codes are single-use and live 5 minutes (40078 otherwise; 40029 in the old documents).
   *
   * @example
   * ```ts
   * const { userId, name, sysLevel } = await client.sso.getUserInfo(code)
   * ```
   */
  getUserInfo(code: string): Promise<SsoUser>
  /**
   * `GET /user/getuserinfo` — the legacy form of {@link SsoApi.getUserInfo}.
   *
   * @example
   * ```ts
   * const { userId, isSys } = await client.sso.getUserInfoLegacy(code)
   * ```
   */
  getUserInfoLegacy(code: string): Promise<SsoUserLegacy>
  /**
   * Admin-console SSO (§5.2): an SSO token from `sso/gettoken` with the client's `ssoSecret` (cached like
   * any token), then `sso/getuserinfo` with the admin's `code`.
   *
   * @example
   * ```ts
   * const client = createDingTalkClient({ corpId, corpSecret }, { ssoSecret: process.env.DINGTALK_SSO_SECRET })
   * const admin = await client.sso.getAdminUserInfo(String(req.query.code))
   * ```
   */
  getAdminUserInfo(code: string): Promise<SsoAdmin>
}

function requireCode(code: string): void {
  if (typeof code !== 'string' || code.length === 0) {
    throw new DingTalkError('SSO_MISSING_CODE', 'The free-login code is empty; get one on the client first.')
  }
}

export function createSsoApi(ctx: ApiContext): SsoApi {
  let ssoToken: TokenCache | undefined

  const adminToken = (): TokenCache => {
    const corpId = ctx.corpId
    const secret = ctx.ssoSecret
    if (corpId === undefined || secret === undefined) {
      throw new DingTalkError(
        'SSO_NOT_CONFIGURED',
        'Admin SSO needs the corpId and the SSO secret: create the client with { corpId } and { ssoSecret }.',
      )
    }
    ctx.remember(secret)
    ssoToken ??= createTokenCache({
      store: ctx.store,
      key: storeKey({ owner: `sso:${corpId}`, corpId, kind: 'sso_access_token' }),
      kind: 'sso_access_token',
      fetch: async () => {
        // §5.2: a dedicated token from the admin console's SSOSecret.
        const body = await ctx.request<DingTalkResponse>({
          path: '/sso/gettoken',
          query: { corpid: corpId, corpsecret: secret },
          auth: 'none',
        })
        const value = asString(body.access_token)
        ctx.remember(value)
        return { value, expiresIn: asNumber(body.expires_in) }
      },
    })
    return ssoToken
  }

  return {
    async getUserInfo(code) {
      requireCode(code)
      const body = await ctx.request<DingTalkResponse>({
        path: '/topapi/v2/user/getuserinfo',
        json: { code },
      })
      const r = asRecord(body.result)
      return {
        userId: asString(r.userid),
        deviceId: asString(r.device_id),
        sys: asBool(r.sys),
        sysLevel: asNumber(r.sys_level) ?? 0,
        unionId: asString(r.unionid),
        associatedUnionId: asString(r.associated_unionid),
        name: asString(r.name),
      }
    },
    async getUserInfoLegacy(code) {
      requireCode(code)
      // Single-use code (§5.1): a lost answer must not be re-asked with the spent code (40078).
      const body = await ctx.request<DingTalkResponse>({
        path: '/user/getuserinfo',
        query: { code },
        idempotent: false,
      })
      return {
        userId: asString(body.userid),
        deviceId: asString(body.deviceId),
        isSys: asBool(body.is_sys),
        sysLevel: asNumber(body.sys_level) ?? 0,
      }
    },
    async getAdminUserInfo(code) {
      requireCode(code)
      const cache = adminToken()
      let replayed = false
      for (;;) {
        const token = await cache.get()
        try {
          const body = await ctx.request<DingTalkResponse>({
            path: '/sso/getuserinfo',
            query: { access_token: token, code },
            idempotent: false,
            auth: 'none',
          })
          const corp = asRecord(body.corp_info)
          const user = asRecord(body.user_info)
          return {
            isSys: asBool(body.is_sys),
            corp: { corpId: asString(corp.corpid), corpName: asString(corp.corp_name) },
            user: {
              userId: asString(user.userid),
              name: asString(user.name),
              email: asString(user.email),
              avatar: asString(user.avatar),
            },
          }
        } catch (error) {
          // §4.5: the SSO token is not the pipeline's token, so its refresh-and-replay-once lives here.
          if (
            !replayed &&
            error instanceof DingTalkApiError &&
            isTokenInvalid(error.errcode, error.subCode)
          ) {
            replayed = true
            await cache.invalidate(token)
            continue
          }
          throw error
        }
      }
    },
  }
}
