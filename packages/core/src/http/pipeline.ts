import { type AttemptConfig, runAttempts, type Transport } from './attempts'
import { encodeBody } from './body'
import { Call } from './call'
import { classifyEnvelope } from './envelope'
import type { ClientHooks } from './hooks'
import type { ClientObservers } from './observer'
import { RateLimitGate } from './rate-gate'
import type { Redactor } from './redact'
import type { AuthMode, DingTalkRequest, DingTalkResponse, TokenSource } from './request'
import type { RetryOptions } from './retry'
import { summariseCall } from './summary'
import { formatQuery, formEncode, joinUrl, trimBase } from './url'

export { type ClientHooks, tokenRefreshReporter } from './hooks'
export type { DingTalkRequest, DingTalkResponse } from './request'
export type { RetryOptions } from './retry'

export interface PipelineConfig {
  baseUrl: string
  fetch: typeof fetch
  timeoutMs: number
  retry: Required<RetryOptions>
  hooks: ClientHooks
  redactor: Redactor
  tokens: Partial<Record<Exclude<AuthMode, 'none'>, TokenSource>>
  /** Added to the parameters of problem reports (the FAQ asks for the CorpId). */
  corpId?: string | undefined
  /** Shared by the client's oapi and v1.0 pipelines; a pipeline without one gets its own. */
  gate?: RateLimitGate | undefined
  /** Observers of whole calls (`client.observe()`), shared with the client's token caches. */
  observers?: ClientObservers | undefined
}

/** The attempt loop's view of a pipeline: its config with a rate-limit gate. */
export function attemptConfig(config: PipelineConfig): AttemptConfig {
  return { ...config, gate: config.gate ?? new RateLimitGate(config.retry) }
}

/** §4.1: the token travels in the query string, under the name of its kind. */
function oapiTransport(base: string, auth: AuthMode, redactor: Redactor): Transport {
  return {
    okErrcode: 0,
    api: 'oapi',
    url(call, token) {
      call.prepared ??= formatQuery(call.input.query)
      const search = call.prepared
      // A query that names the token parameter itself wins over the token.
      if (token === undefined || call.input.query?.[auth] !== undefined)
        return joinUrl(base, call.path, search)
      const pair = `${auth}=${formEncode(token)}`
      return joinUrl(base, call.path, search === '' ? pair : `${pair}&${search}`)
    },
    headers: (call) => (call.contentType === undefined ? undefined : { 'Content-Type': call.contentType }),
    classify: (call, text, status) => classifyEnvelope(call, text, status, auth !== 'none', redactor),
  }
}

/** Builds the request pipeline shared by every API group (and by token fetching itself). */
export function createPipeline(
  config: PipelineConfig,
): <T = DingTalkResponse>(req: DingTalkRequest) => Promise<T> {
  const base = trimBase(config.baseUrl)
  const engine = attemptConfig(config)
  const summarise = (call: Call) => summariseCall(call, base, config.corpId, config.redactor)
  const transports: Record<AuthMode, Transport> = {
    access_token: oapiTransport(base, 'access_token', config.redactor),
    suite_access_token: oapiTransport(base, 'suite_access_token', config.redactor),
    none: oapiTransport(base, 'none', config.redactor),
  }

  return <T = DingTalkResponse>(req: DingTalkRequest): Promise<T> => {
    try {
      const method = req.method ?? (req.json !== undefined || req.form !== undefined ? 'POST' : 'GET')
      const auth = req.auth ?? 'access_token'
      const source = auth === 'none' ? undefined : config.tokens[auth]
      if (auth !== 'none' && source === undefined) {
        throw new TypeError(`This client has no ${auth}; create it with the credentials that provide one`)
      }
      const input = {
        method,
        path: req.path,
        query: req.query,
        json: req.json,
        form: req.form,
        idempotent: req.idempotent ?? method === 'GET',
        timeoutMs: req.timeoutMs ?? config.timeoutMs,
        signal: req.signal,
        responseType: req.responseType ?? 'json',
      }
      const call = new Call(input, encodeBody(req.json, req.form), summarise)
      return runAttempts<T>(call, transports[auth], source, engine)
    } catch (error) {
      return Promise.reject(error)
    }
  }
}
