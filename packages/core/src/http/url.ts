import type { QueryValue } from './request'

const PLAIN = /^[A-Za-z0-9*\-._]*$/
const EXTRA = /[!'()~]|%20/g

const escapeExtra = (match: string): string =>
  match === '%20' ? '+' : `%${match.charCodeAt(0).toString(16).toUpperCase()}`

/**
 * One value in `application/x-www-form-urlencoded` form, byte for byte what `URLSearchParams` writes
 * (space as `+`; only `*-._` and alphanumerics left as they are), without building a `URLSearchParams`.
 */
export function formEncode(value: string): string {
  if (PLAIN.test(value)) return value
  let encoded: string
  try {
    encoded = encodeURIComponent(value)
  } catch {
    // A lone surrogate: URLSearchParams writes U+FFFD for it.
    return new URLSearchParams([['', value]]).toString().slice(1)
  }
  return encoded.replace(EXTRA, escapeExtra)
}

/** `key=value&…` of the entries of `query` that are not `undefined`, encoded like `URLSearchParams`. */
export function formatQuery(query: Record<string, QueryValue> | undefined): string {
  let out = ''
  if (query === undefined) return out
  for (const key of Object.keys(query)) {
    const value = query[key]
    if (value === undefined) continue
    out += `${out === '' ? '' : '&'}${formEncode(key)}=${formEncode(String(value))}`
  }
  return out
}

/** `base + path`, with `?search` when there is one. */
export function joinUrl(base: string, path: string, search: string): string {
  return search === '' ? base + path : `${base}${path}?${search}`
}

/** The base URL without trailing slashes. */
export function trimBase(url: string): string {
  return url.replace(/\/+$/, '')
}
