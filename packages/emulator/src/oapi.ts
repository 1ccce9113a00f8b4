import {
  ApiError,
  type Ctx,
  type Internals,
  type Payload,
  RawResponse,
  type RouteDef,
  type Routes,
  randomId,
} from './context'
import type { Api, Exchange } from './exchange'
import { JSON_TYPE } from './faults'
import { parseInput } from './input'
import type { LimitSubject, Refusal } from './limits'
import type { RequestLogEntry } from './request-log'
import { authRoutes } from './routes/auth'
import { callbackRoutes } from './routes/callbacks'
import { contactRoutes } from './routes/contacts'
import { isvRoutes } from './routes/isv'
import { mediaRoutes } from './routes/media'
import { messageRoutes } from './routes/messages'
import { officeRoutes } from './routes/office'
import { send } from './server'
import type { TokenRecord } from './state'

/** Every oapi endpoint the emulator serves, by path. */
export const oapiRoutes: Routes = {
  ...authRoutes,
  ...contactRoutes,
  ...mediaRoutes,
  ...messageRoutes,
  ...callbackRoutes,
  ...isvRoutes,
  ...officeRoutes, // #19
}

function tokenError(code: number, msg: string, topapi: boolean): ApiError {
  if (!topapi) return new ApiError(code, msg)
  // §9.1/§4.5: topapi reports token failures as 88 with the legacy code in sub_code.
  const sub = code === 41001 ? 40000 : code
  return new ApiError(88, `ding talk error[subcode=${sub},submsg=${msg}]`, {
    sub_code: String(sub),
    sub_msg: msg,
  })
}

/** §4.1: the token of the route's kind from the query string, known and unexpired. */
function authenticate(
  emu: Internals,
  route: RouteDef,
  query: URLSearchParams,
  topapi: boolean,
): TokenRecord | undefined {
  if (route.auth === 'none') return undefined
  const suite = route.auth === 'suite'
  const param = suite ? 'suite_access_token' : 'access_token'
  const value = query.get(param)
  if (!value) throw tokenError(41001, `缺少${param}参数`, topapi)
  const record = emu.state.tokens.get(value)
  const kind = route.auth === 'access' ? 'corp' : route.auth
  if (!record || record.kind !== kind) {
    throw tokenError(suite ? 40082 : 40014, suite ? '不合法的suiteToken' : '不合法的access_token', topapi)
  }
  if (record.expiresAt <= emu.now()) {
    throw tokenError(suite ? 42009 : 42001, suite ? 'suitetoken失效' : 'access_token超时', topapi)
  }
  return record
}

function refusalError(refusal: Refusal): ApiError {
  if (refusal.kind === 'ip') return new ApiError(60020, `访问ip不在白名单之中, request ip=${refusal.ip}`)
  const { errcode } = refusal
  return new ApiError(errcode, errcode === 45009 ? '接口调用超过限制' : '服务器当前接口调用被暂时禁用')
}

function sendEnvelope(exchange: Exchange, topapi: boolean, payload: Payload): void {
  const envelope: Payload = { errcode: 0, errmsg: 'ok', ...payload }
  if (topapi) envelope.request_id = randomId(6)
  const entry: RequestLogEntry = exchange.entry
  entry.errcode = typeof envelope.errcode === 'number' ? envelope.errcode : undefined
  let text = JSON.stringify(envelope)
  if (exchange.fault === 'truncated') text = text.slice(0, Math.max(1, Math.floor(text.length / 2)))
  send(exchange.res, entry, 200, { 'Content-Type': JSON_TYPE }, text)
}

interface OapiDeps {
  emu: Internals
  check: (ctx: LimitSubject) => Refusal | undefined
  maxBodyBytes: number
  /** 40033 for every `\uXXXX` escape in a JSON body, as DingTalk's old table says (§4.1). */
  strictEscapes: boolean
}

async function answer(exchange: Exchange, deps: OapiDeps, topapi: boolean): Promise<Payload | RawResponse> {
  const { path, method, url } = exchange
  if (exchange.fault === 'busy') throw new ApiError(-1, '系统繁忙')
  const route = oapiRoutes[path]
  if (!route) {
    if (topapi) throw new ApiError(22, `Invalid method[${path}]`, { sub_msg: `不合法ApiName ${path}` })
    throw new ApiError(404, `请求的URI地址不存在: ${path}`)
  }
  if (method !== route.method) {
    throw route.method === 'GET' ? new ApiError(43001, '需要GET请求') : new ApiError(43002, '需要POST请求')
  }
  const token = authenticate(deps.emu, route, url.searchParams, topapi)
  const limits = { topapi, maxBodyBytes: deps.maxBodyBytes, strictEscapes: deps.strictEscapes }
  const parsed = await parseInput(
    route,
    exchange.req,
    url.searchParams,
    exchange.body,
    exchange.entry,
    limits,
  )
  const ctx: Ctx = {
    emu: deps.emu,
    method,
    path,
    query: url.searchParams,
    headers: exchange.req.headers,
    input: parsed.input,
    ...(parsed.form ? { form: parsed.form } : {}),
    ...(token ? { token } : {}),
    remoteIp: exchange.entry.ip,
    topapi,
  }
  const refusal = deps.check(ctx)
  if (refusal) throw refusalError(refusal)
  return route.handle(ctx)
}

/**
 * `oapi.dingtalk.com`: every answer is HTTP 200 with the `errcode` envelope (topapi adds `request_id`),
 * except raw downloads.
 */
export function oapiApi(deps: OapiDeps): Api {
  return {
    bodyLimit: (_method, path) => oapiRoutes[path]?.maxBodyBytes ?? deps.maxBodyBytes,
    async dispatch(exchange) {
      const topapi = exchange.path.startsWith('/topapi/')
      try {
        const result = await answer(exchange, deps, topapi)
        if (result instanceof RawResponse) {
          return send(exchange.res, exchange.entry, result.status, result.headers, result.body)
        }
        sendEnvelope(exchange, topapi, result)
      } catch (error) {
        if (error instanceof ApiError) {
          sendEnvelope(exchange, topapi, { errcode: error.errcode, errmsg: error.errmsg, ...error.extra })
          return
        }
        const errmsg = `系统繁忙 (emulator bug: ${(error as Error).message})`
        sendEnvelope(exchange, topapi, { errcode: -1, errmsg })
      }
    },
  }
}
