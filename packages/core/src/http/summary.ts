import type { RequestSummary } from '../errors/request-errors'
import type { Call } from './call'
import type { Redactor } from './redact'

/**
 * The call as errors and problem reports show it (§11): the API URL without query string, and the query
 * and body parameters plus the corpId (the FAQ asks for it), every secret-named key and known secret value
 * replaced by `[redacted]`. Tokens never appear: they are not parameters of the request.
 */
export function summariseCall(
  call: Call,
  base: string,
  corpId: string | undefined,
  redactor: Redactor,
): RequestSummary {
  const { method, path, query, json, form } = call.input
  const params: Record<string, unknown> = {}
  if (corpId !== undefined) params.corpid = corpId
  for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined) params[key] = value
  if (json !== undefined) {
    if (json !== null && typeof json === 'object' && !Array.isArray(json)) Object.assign(params, json)
    else params.body = json
  }
  if (form !== undefined) {
    for (const [key, value] of form) {
      params[key] = typeof value === 'string' ? value : `<file ${value.name}, ${value.size} bytes>`
    }
  }
  return {
    method,
    api: base + path,
    path,
    params: redactor.value(params) as Record<string, unknown>,
    time: new Date(call.started),
  }
}
