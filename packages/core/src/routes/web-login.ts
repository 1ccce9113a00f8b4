import type { WebLogin, WebLoginForm, WebLoginUser } from '../api/web-login'
import { DingTalkApiError } from '../errors/request-errors'
import { DingTalkV1ApiError } from '../errors/v1-api'
import { failure, json, type RouteResponse } from './failure'
import { param, type RouteRequest } from './request'

/**
 * What {@link handleWebLogin} needs.
 *
 * @example
 * ```ts
 * const options: WebLoginRouteOptions = {
 *   webLogin: createWebLogin(client, { appSecret }),
 *   redirectUri: 'https://app.example.com/dingtalk/login',
 *   onSignIn: (user) => ({ status: 302, headers: { location: '/', 'set-cookie': sessionCookieFor(user) }, body: '' }),
 * }
 * ```
 */
export interface WebLoginRouteOptions {
  webLogin: WebLogin
  /**
   * The absolute URL of this route as the browser reaches it — DingTalk sends the browser back here with
   * `code` and `state`, so it must be the redirect URL registered for the login app.
   */
  redirectUri: string
  /** Default: the web login's own form (`qrconnect`). */
  form?: WebLoginForm
  /** Accounts that are not members of the corp get 403 (default `true`). */
  membersOnly?: boolean
  /**
   * The answer once signed in — typically your session cookie and a redirect. Default: 200 with
   * `{ userId, unionId, openId, nick }`.
   */
  onSignIn?: (
    user: WebLoginUser,
    request: RouteRequest,
    locals: unknown,
  ) => RouteResponse | Promise<RouteResponse>
  /** Name of the short-lived cookie that carries `state` (default `dingtalk_login_state`). */
  stateCookie?: string
}

const STATE_TTL_S = 600

function cookieOf(request: RouteRequest, name: string): string | undefined {
  const { headers } = request
  let raw: unknown
  if (headers instanceof Headers) raw = headers.get('cookie')
  else if (headers) raw = headers.cookie ?? headers.Cookie
  const text = [raw]
    .flat()
    .filter((v): v is string => typeof v === 'string')
    .join('; ')
  for (const part of text.split(';')) {
    const eq = part.indexOf('=')
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}

function sameText(a: string, b: string): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i)
  return diff === 0
}

function stateCookie(name: string, value: string, path: string, secure: boolean, maxAge: number): string {
  return `${name}=${value}; Path=${path}; Max-Age=${maxAge}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`
}

// The web login's own cases; everything else maps as for every GET route.
function loginFailure(error: unknown): RouteResponse {
  if (error instanceof DingTalkApiError) {
    // A used or expired code: 40078 today, 40029 in the older tables (Corrections 2026-12).
    if (error.errcode === 40078 || error.errcode === 40029) {
      return json(401, { error: 'invalid_code', errcode: error.errcode, requestId: error.requestId ?? null })
    }
    // 853001–853004: the timestamp, accessKey or signature was refused — the app's key, secret or clock.
    if (error.errcode >= 853001 && error.errcode <= 853004) {
      return json(500, { error: 'misconfigured', errcode: error.errcode })
    }
  }
  if (error instanceof DingTalkV1ApiError && error.httpStatus === 400) {
    // The OAuth2 form: a refused clientId/clientSecret is ours to fix; a used, expired or foreign authCode is
    // the browser's.
    const apiCode = error.apiCode
    if (/client/i.test(apiCode)) return json(500, { error: 'misconfigured', code: apiCode })
    if (/code/i.test(apiCode)) {
      return json(401, { error: 'invalid_code', code: apiCode, requestId: error.requestId ?? null })
    }
  }

  return failure(error)
}

/**
 * The web login route (`GET {prefix}/login`), framework-free. Without `code` it starts a login: a fresh
 * `state` in an HttpOnly cookie and 302 to DingTalk's login page. With `code` (DingTalk sending the browser
 * back) it checks `state` against the cookie (400 `invalid_state` otherwise, against login CSRF), exchanges
 * the code (401 `invalid_code` when used or expired) and finds the member (403 `not_a_member`), then answers
 * with `onSignIn`. Never throws; no code, state or secret appears in an answer.
 *
 * @example
 * ```ts
 * const webLogin = createWebLogin(client, { appSecret })
 * const reply = await handleWebLogin(
 *   { method: 'GET', path: '/login', url: req.url, headers: req.headers },
 *   { webLogin, redirectUri: 'https://app.example.com/dingtalk/login' },
 * )
 * res.writeHead(reply.status, reply.headers).end(reply.body)
 * ```
 */
export async function handleWebLogin(
  request: RouteRequest,
  options: WebLoginRouteOptions,
  locals?: unknown,
): Promise<RouteResponse> {
  if (request.method.toUpperCase() !== 'GET')
    return json(405, { error: 'method_not_allowed' }, { allow: 'GET' })
  try {
    const redirect = new URL(options.redirectUri)
    const secure = redirect.protocol === 'https:'
    const name = options.stateCookie ?? 'dingtalk_login_state'
    // The OAuth2 form sends the code back as `authCode` (and `code`).
    const code = param(request, 'code') ?? param(request, 'authCode')
    const state = param(request, 'state')

    if (code === undefined || code === '') {
      const fresh = options.webLogin.createState()
      const location = options.webLogin.authorizeUrl({
        redirectUri: options.redirectUri,
        state: fresh,
        ...(options.form === undefined ? {} : { form: options.form }),
      })
      return {
        status: 302,
        headers: {
          location,
          'cache-control': 'no-store',
          'set-cookie': stateCookie(name, fresh, redirect.pathname, secure, STATE_TTL_S),
        },
        body: '',
      }
    }

    const expected = cookieOf(request, name)
    if (state === undefined || expected === undefined || expected === '' || !sameText(state, expected)) {
      return json(400, {
        error: 'invalid_state',
        message: 'The login did not start here (or its cookie expired): start again.',
      })
    }
    const user = await options.webLogin.signIn(code)
    if ((options.membersOnly ?? true) && user.userId === undefined) {
      return json(403, { error: 'not_a_member', unionId: user.unionId })
    }
    const reply = options.onSignIn
      ? await options.onSignIn(user, request, locals)
      : json(200, {
          userId: user.userId ?? null,
          unionId: user.unionId,
          openId: user.openId,
          nick: user.nick,
        })
    const headers = { ...reply.headers }
    // The state is spent; a session cookie set by onSignIn takes the one Set-Cookie header instead.
    if (!Object.keys(headers).some((key) => key.toLowerCase() === 'set-cookie')) {
      headers['set-cookie'] = stateCookie(name, '', redirect.pathname, secure, 0)
    }
    return { ...reply, headers }
  } catch (error) {
    return loginFailure(error)
  }
}
