import { DingTalkError } from '../errors/base'

/** The placeholder DingTalk replaces with the user's corpId before it opens a micro-app's home page (§3.3, §5.1). */
export const CORPID_PLACEHOLDER = '$CORPID$'

const CORP_ID = /^[A-Za-z0-9_-]{1,64}$/

/**
 * A micro-app home-page URL with the `$CORPID$` placeholder (set it in the ISV console): checks a URL that
 * already has the placeholder, or adds `?corpid=$CORPID$` (or `param`) before any `#fragment`. Throws
 * `INVALID_HOME_PAGE_URL` for a relative/non-http(s) URL, a percent-encoded or repeated placeholder.
 *
 * @example
 * ```ts
 * homePageUrl('https://app.example.com/index.html#/home')
 * // 'https://app.example.com/index.html?corpid=$CORPID$#/home'
 * homePageUrl('https://app.example.com/?corpId=$CORPID$') // unchanged
 * ```
 */
export function homePageUrl(url: string, options: { param?: string } = {}): string {
  const invalid = (why: string): DingTalkError =>
    new DingTalkError('INVALID_HOME_PAGE_URL', `Home-page URL ${JSON.stringify(url)}: ${why}`)
  if (typeof url !== 'string' || !/^https?:\/\/[^/?#\s]+/i.test(url) || /\s/.test(url)) {
    throw invalid('must be an absolute http(s) URL without spaces')
  }
  if (/%24CORPID%24/i.test(url)) throw invalid('the $CORPID$ placeholder must not be percent-encoded')
  const count = url.split(CORPID_PLACEHOLDER).length - 1
  if (count > 1) throw invalid('the $CORPID$ placeholder may appear only once')
  const hash = url.indexOf('#')
  const beforeHash = hash === -1 ? url : url.slice(0, hash)
  if (count === 1) {
    if (!beforeHash.includes(CORPID_PLACEHOLDER))
      throw invalid('the $CORPID$ placeholder must come before any #')
    return url
  }
  const param = options.param ?? 'corpid'
  if (!/^[A-Za-z0-9_.-]+$/.test(param)) throw invalid(`parameter name ${JSON.stringify(param)} is not plain`)
  const fragment = hash === -1 ? '' : url.slice(hash)
  const separator = !beforeHash.includes('?')
    ? '?'
    : beforeHash.endsWith('?') || beforeHash.endsWith('&')
      ? ''
      : '&'
  return `${beforeHash}${separator}${param}=${CORPID_PLACEHOLDER}${fragment}`
}

/**
 * Reads the corpId DingTalk substituted for `$CORPID$` back from a request URL or its query. Looks at
 * `param` (default `corpid`, matched case-insensitively, so `corpId` works too). Returns `undefined` when
 * absent, repeated, still the literal placeholder (the page was opened outside DingTalk), or not shaped like a
 * corpId.
 *
 * @example
 * ```ts
 * corpIdFromRequest('https://app.example.com/?corpid=ding123abc') // 'ding123abc'
 * corpIdFromRequest(new URL(req.url, 'http://x').searchParams)   // from a framework request
 * ```
 */
export function corpIdFromRequest(
  input: string | URL | URLSearchParams,
  options: { param?: string } = {},
): string | undefined {
  let params: URLSearchParams
  if (input instanceof URLSearchParams) params = input
  else if (input instanceof URL) params = input.searchParams
  else {
    const query = input.indexOf('?')
    if (query === -1) return undefined
    const hash = input.indexOf('#', query)
    params = new URLSearchParams(input.slice(query + 1, hash === -1 ? undefined : hash))
  }
  const wanted = (options.param ?? 'corpid').toLowerCase()
  const values: string[] = []
  for (const [name, value] of params) if (name.toLowerCase() === wanted) values.push(value)
  if (values.length !== 1) return undefined
  const value = values[0]!.trim()
  if (value === CORPID_PLACEHOLDER || !CORP_ID.test(value)) return undefined
  return value
}
