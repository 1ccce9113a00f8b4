/**
 * The name of one DingTalk route.
 *
 * @example
 * ```ts
 * const name: DingTalkRouteName = 'callback'
 * ```
 */
export type DingTalkRouteName = 'callback' | 'suiteCallback' | 'jsapiConfig' | 'sso' | 'webLogin' | 'robot'

/**
 * One route of the table every adapter mounts: its method and its path under the mount prefix.
 *
 * @example
 * ```ts
 * for (const route of routes.table) app.all(route.path, (c) => answer(c, route))
 * ```
 */
export interface DingTalkRoute {
  readonly name: DingTalkRouteName
  readonly method: 'GET' | 'POST'
  /** Under the mount prefix, e.g. `/callback`. */
  readonly path: string
}

/**
 * Every route dingtalk-kit can mount, longest path first (so `/suite/callback` is found before `/callback`).
 *
 * @example
 * ```ts
 * DINGTALK_ROUTES.map((route) => route.path) // ['/suite/callback', '/jsapi-config', '/callback', '/robot', '/login', '/sso']
 * ```
 */
export const DINGTALK_ROUTES: readonly DingTalkRoute[] = [
  { name: 'suiteCallback', method: 'POST', path: '/suite/callback' },
  { name: 'jsapiConfig', method: 'GET', path: '/jsapi-config' },
  { name: 'callback', method: 'POST', path: '/callback' },
  // §14.1: a robot in HTTP mode posts its messages here.
  { name: 'robot', method: 'POST', path: '/robot' },
  { name: 'webLogin', method: 'GET', path: '/login' },
  { name: 'sso', method: 'GET', path: '/sso' },
]

/**
 * A mount prefix in one spelling: `''` for the root, else `/a/b` (one leading slash, none trailing).
 *
 * @example
 * ```ts
 * normalizePrefix('dingtalk/') // '/dingtalk'
 * ```
 */
export function normalizePrefix(prefix: string | undefined): string {
  const inner = (prefix ?? '').replace(/^\/+|\/+$/g, '')
  return inner === '' ? '' : `/${inner}`
}

/**
 * The path of `url` below `prefix` (query and one trailing slash dropped), or `undefined` when it is not
 * under it.
 *
 * @example
 * ```ts
 * pathUnder('/dingtalk', '/dingtalk/callback?nonce=1') // '/callback'
 * pathUnder('/dingtalk', '/dingtalkx/callback') // undefined
 * ```
 */
export function pathUnder(prefix: string, url: string): string | undefined {
  const mark = url.search(/[?#]/)
  const path = mark === -1 ? url : url.slice(0, mark)
  if (prefix !== '' && path !== prefix && !path.startsWith(`${prefix}/`)) return undefined
  const rest = path.slice(prefix.length) || '/'
  return rest.length > 1 && rest.endsWith('/') ? rest.slice(0, -1) : rest
}

/**
 * The DingTalk route a path ends with, for frameworks that matched the route already under prefixes the
 * adapter cannot know (NestJS' global prefix).
 *
 * @example
 * ```ts
 * routeBySuffix('/api/dingtalk/suite/callback')?.name // 'suiteCallback'
 * ```
 */
export function routeBySuffix(url: string): DingTalkRoute | undefined {
  const path = pathUnder('', url) ?? url
  return DINGTALK_ROUTES.find((route) => path.endsWith(route.path))
}
