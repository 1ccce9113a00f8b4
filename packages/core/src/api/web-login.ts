import type { DingTalkClient } from '../client'
import { DingTalkError } from '../errors/base'
import { DingTalkApiError } from '../errors/request-errors'
import type { DingTalkResponse } from '../http/pipeline'
import { DEFAULT_OAPI_BASE_URL } from '../http/v1'
import { signIsvRequest } from '../signing/isv'
import { asBool, asRecord, asString } from './context'

/**
 * Where the browser signs in: `qrconnect` (a QR-code page for any browser, the default) or `sns_authorize`
 * (the same login inside the DingTalk client), both on `oapi.dingtalk.com/connect/…` (§5.3); or `oauth2`,
 * DingTalk's newer login (`login.dingtalk.com/oauth2/auth`, scope `openid`), whose code is exchanged on
 * api.dingtalk.com (`/v1.0/oauth2/userAccessToken`, then `/v1.0/contact/users/me` with the user's token).
 */
export type WebLoginForm = 'qrconnect' | 'sns_authorize' | 'oauth2'

/**
 * Options of {@link createWebLogin}.
 *
 * @example
 * ```ts
 * const options: WebLoginOptions = { appSecret: process.env.DINGTALK_APP_SECRET!, form: 'qrconnect' }
 * ```
 */
export interface WebLoginOptions {
  /** The login app's AppKey (sent as `appid` / `accessKey`). Default: the client's appKey. */
  appKey?: string
  /** The login app's AppSecret: it signs the timestamp (HMAC-SHA256, §4.4) and never leaves this process. */
  appSecret: string
  /**
   * Where the login page is. Default: the client's base URL (`https://oapi.dingtalk.com`, or the emulator,
   * which serves the pages too); for the `oauth2` form `https://login.dingtalk.com` when the client talks to
   * DingTalk itself.
   */
  loginBaseUrl?: string
  /** Default `qrconnect`. */
  form?: WebLoginForm
  /** Clock of the signed timestamp (DingTalk rejects one more than a minute off: 853002). Default `Date.now`. */
  now?: () => number
}

/** The DingTalk account that signed in, from `sns/getuserinfo_bycode`. */
export interface WebLoginProfile {
  nick: string
  /** Stable per developer organisation; maps to a member with `client.lookups.getUserIdByUnionId`. */
  unionId: string
  /** Stable per app. */
  openId: string
  /**
   * Whether the user's main organisation is verified at the high level; `undefined` from the `oauth2` form,
   * whose profile (`/v1.0/contact/users/me`) does not say.
   */
  mainOrgAuthHighLevel: boolean | undefined
}

/** A signed-in account and, when it is a member of the client's corp, its userid. */
export interface WebLoginUser extends WebLoginProfile {
  /** `undefined` when the account is not a member of the corp (60121 from `topapi/user/getbyunionid`). */
  userId: string | undefined
}

/**
 * Web login outside DingTalk (扫码登录, §5.3): send the browser to DingTalk's login page with a `state` you
 * keep (in a cookie or the session), check the `state` that comes back, then exchange the one-time `code`.
 * The `handleWebLogin` route does all of this.
 *
 * @example
 * ```ts
 * const login = createWebLogin(client, { appSecret: process.env.DINGTALK_APP_SECRET! })
 * const state = login.createState() // keep it, e.g. in an HttpOnly cookie
 * redirect(login.authorizeUrl({ redirectUri: 'https://app.example.com/login', state }))
 * // … DingTalk sends the browser back to /login?code=…&state=… — compare state, then:
 * const user = await login.signIn(code)
 * ```
 */
export interface WebLogin {
  readonly appKey: string
  /**
   * The login page URL: `/connect/qrconnect` (or `/connect/oauth2/sns_authorize`) with `appid`,
   * `response_type=code`, `scope=snsapi_login`, `state` and `redirect_uri`.
   *
   * @example
   * ```ts
   * const url = login.authorizeUrl({ redirectUri: 'https://app.example.com/login', state })
   * ```
   */
  authorizeUrl(input: { redirectUri: string; state: string; form?: WebLoginForm }): string
  /**
   * A fresh, unguessable `state` (128 random bits, URL-safe) against login CSRF.
   *
   * @example
   * ```ts
   * const state = login.createState()
   * ```
   */
  createState(): string
  /**
   * `POST sns/getuserinfo_bycode?accessKey&timestamp&signature` with the one-time code: the account. The
   * signature is the URL-encoded Base64 HMAC-SHA256 of the millisecond timestamp with the AppSecret.
   *
   * @example
   * ```ts
   * const { unionId, nick } = await login.getUserInfoByCode(code)
   * ```
   */
  getUserInfoByCode(code: string): Promise<WebLoginProfile>
  /**
   * {@link WebLogin.getUserInfoByCode}, then the member's userid in the client's corp (`topapi/user/getbyunionid`).
   *
   * @example
   * ```ts
   * const user = await login.signIn(code)
   * if (user.userId === undefined) throw new Error('not a member of this company')
   * ```
   */
  signIn(code: string): Promise<WebLoginUser>
}

function base64Url(bytes: Uint8Array): string {
  let text = ''
  for (const b of bytes) text += String.fromCharCode(b)
  return btoa(text).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '')
}

const OAUTH2_LOGIN_BASE_URL = 'https://login.dingtalk.com'

// The newer login: the code for a user access token, then the account it belongs to (both api.dingtalk.com).
async function oauth2Profile(
  client: DingTalkClient,
  appKey: string,
  appSecret: string,
  code: string,
): Promise<WebLoginProfile> {
  const { accessToken } = await client.requestV1<{ accessToken?: string }>({
    method: 'POST',
    path: '/v1.0/oauth2/userAccessToken',
    json: { clientId: appKey, clientSecret: appSecret, code, grantType: 'authorization_code' },
    auth: 'none',
  })
  if (typeof accessToken !== 'string' || accessToken === '') {
    throw new DingTalkError(
      'WEB_LOGIN_INVALID_RESPONSE',
      'DingTalk answered the OAuth2 code without an accessToken.',
    )
  }
  const me = await client.requestV1<Record<string, unknown>>({
    method: 'GET',
    path: '/v1.0/contact/users/me',
    userAccessToken: accessToken,
  })
  return {
    nick: asString(me.nick),
    unionId: asString(me.unionId),
    openId: asString(me.openId),
    mainOrgAuthHighLevel: undefined,
  }
}

/**
 * Creates the web login of an app, on a client (its base URL, retries, errors and `lookups`).
 *
 * @example
 * ```ts
 * import { createDingTalkClient, createWebLogin } from '@dingtalk-kit/core'
 *
 * const client = createDingTalkClient({ appKey, appSecret, corpId })
 * const login = createWebLogin(client, { appSecret })
 * ```
 */
export function createWebLogin(client: DingTalkClient, options: WebLoginOptions): WebLogin {
  const appKey = options.appKey ?? client.appKey
  if (!appKey || typeof options.appSecret !== 'string' || options.appSecret === '') {
    throw new TypeError(
      'createWebLogin needs the login app’s appKey (or a client created with one) and appSecret',
    )
  }
  const appSecret = options.appSecret
  const oapiBase = client.baseUrl.replace(/\/+$/, '')
  const loginBase = (form: WebLoginForm): string => {
    if (options.loginBaseUrl !== undefined) return options.loginBaseUrl.replace(/\/+$/, '')
    return form === 'oauth2' && oapiBase === DEFAULT_OAPI_BASE_URL ? OAUTH2_LOGIN_BASE_URL : oapiBase
  }
  const now = options.now ?? Date.now
  const oauth2 = options.form === 'oauth2'

  const login: WebLogin = {
    appKey,
    authorizeUrl(input) {
      const form = input.form ?? options.form ?? 'qrconnect'
      if (form === 'oauth2') {
        const query = new URLSearchParams({
          redirect_uri: input.redirectUri,
          response_type: 'code',
          client_id: appKey,
          scope: 'openid',
          state: input.state,
          prompt: 'consent',
        })
        return `${loginBase(form)}/oauth2/auth?${query.toString()}`
      }
      const path = form === 'sns_authorize' ? '/connect/oauth2/sns_authorize' : '/connect/qrconnect'
      const query = new URLSearchParams({
        appid: appKey,
        response_type: 'code',
        scope: 'snsapi_login',
        state: input.state,
        redirect_uri: input.redirectUri,
      })
      return `${loginBase(form)}${path}?${query.toString()}`
    },
    createState() {
      return base64Url(globalThis.crypto.getRandomValues(new Uint8Array(16)))
    },
    async getUserInfoByCode(code) {
      if (typeof code !== 'string' || code === '') {
        throw new DingTalkError(
          'WEB_LOGIN_MISSING_CODE',
          'The login code is empty: DingTalk sends it as ?code=.',
        )
      }
      if (oauth2) return oauth2Profile(client, appKey, appSecret, code)
      const timestamp = String(now())
      const body = await client.request<DingTalkResponse>({
        path: '/sns/getuserinfo_bycode',
        // The pipeline percent-encodes the Base64 signature (RFC 3986), as §4.4 requires.
        query: { accessKey: appKey, timestamp, signature: signIsvRequest({ secret: appSecret, timestamp }) },
        json: { tmp_auth_code: code },
        auth: 'none',
        // A spent code cannot be asked again.
        idempotent: false,
      })
      const info = asRecord(body.user_info)
      return {
        nick: asString(info.nick),
        unionId: asString(info.unionid),
        openId: asString(info.openid),
        mainOrgAuthHighLevel: asBool(info.main_org_auth_high_level),
      }
    },
    async signIn(code) {
      const profile = await login.getUserInfoByCode(code)
      try {
        const { userId, external } = await client.lookups.getUserIdByUnionId(profile.unionId)
        return { ...profile, userId: external ? undefined : userId }
      } catch (error) {
        if (error instanceof DingTalkApiError && error.errcode === 60121)
          return { ...profile, userId: undefined }
        throw error
      }
    },
  }
  return login
}
