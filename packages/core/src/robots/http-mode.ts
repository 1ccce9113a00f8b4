import { appCredentialsOf } from '../auth/app-credentials'
import { readBodyText } from '../callback/body'
import { type CallbackHeaders, getHeader, isJsonContentType, isRejection } from '../callback/request'
import type { DingTalkClient } from '../client'
import { timingSafeEqualString } from '../encoding'
import { DingTalkError } from '../errors/base'
import type { WaitUntilContext } from '../events/context'
import type { EventDispatcher } from '../events/dispatcher'
import { hashes } from '../hash/index'
import { json, type RouteResponse } from '../routes/failure'
import type { RouteRequest } from '../routes/request'
import { parseRobotMessage, robotDeliveryId } from './parse'

/**
 * The `sign` header of a robot request in HTTP mode (§14.1): Base64(HMAC-SHA256(appSecret,
 * `timestamp\nappSecret`)).
 *
 * @example
 * ```ts
 * signRobotRequest('robotAppSecretExample', 1700000000000) // 'LcmML43wfqDtiiGm/P4jBAiGTw27lFv0BGwPMtORBeM='
 * ```
 */
export function signRobotRequest(appSecret: string, timestamp: number | string): string {
  return hashes().hmacSha256Base64(appSecret, `${timestamp}\n${appSecret}`)
}

/** §14.1: the timestamp must be within one hour of the server's clock, either way. */
const WINDOW_MS = 60 * 60 * 1000

/**
 * Whether a robot request's `timestamp` and `sign` headers are DingTalk's (§14.1): the timestamp within one
 * hour either way, the signature compared in constant time.
 *
 * @example
 * ```ts
 * if (!verifyRobotRequest(req.headers, appSecret)) return res.status(401).end()
 * ```
 */
export function verifyRobotRequest(
  headers: CallbackHeaders | undefined,
  appSecret: string,
  now: number = Date.now(),
): boolean {
  const timestamp = getHeader(headers, 'timestamp')
  const sign = getHeader(headers, 'sign')
  if (typeof timestamp !== 'string' || typeof sign !== 'string' || !/^\d{1,16}$/.test(timestamp)) return false
  if (Math.abs(now - Number(timestamp)) > WINDOW_MS) return false
  return timingSafeEqualString(signRobotRequest(appSecret, timestamp), sign)
}

/**
 * Options of the HTTP-mode robot route (`POST {prefix}/robot`).
 *
 * @example
 * ```ts
 * createDingTalkRoutes({ client, robot: { deadlineMs: 1000 } })
 * ```
 */
export interface RobotRouteOptions {
  /** The robot app's AppSecret; default: the one the client was created with. */
  appSecret?: string
  /** Handlers still running this long after the request are finished in the background (default 1200). */
  deadlineMs?: number
  /** Largest body accepted (default 1 MiB); larger gets 413. */
  maxBodyBytes?: number
  /** Clock in epoch ms (tests). */
  now?: () => number
}

// One body for every bad or missing signature, so a caller learns nothing about which check failed.
const UNAUTHORIZED = (): RouteResponse => json(401, { error: 'unauthorized' })
const BAD_REQUEST = (message: string): RouteResponse => json(400, { error: 'bad_request', message })

async function bodyOf(request: RouteRequest, maxBodyBytes: number): Promise<unknown | RouteResponse> {
  const { body } = request
  if (body !== null && typeof body === 'object' && !(body instanceof Uint8Array) && !isStream(body)) {
    return body // The framework parsed the JSON already.
  }
  const type = getHeader(request.headers, 'content-type')
  if (typeof type !== 'string' || !isJsonContentType(type)) {
    return json(415, { error: 'unsupported_media_type' })
  }
  const length = getHeader(request.headers, 'content-length')
  const declared = typeof length === 'string' && /^\d+$/.test(length) ? Number(length) : undefined
  const text = await readBodyText(body ?? '', { limit: maxBodyBytes, declared })
  if (isRejection(text)) return json(text.status, { error: 'bad_request', message: text.reason })
  try {
    return JSON.parse(text) as unknown
  } catch {
    return BAD_REQUEST('the body is not JSON')
  }
}

function isStream(value: object): boolean {
  return (
    typeof (value as { getReader?: unknown }).getReader === 'function' ||
    typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function'
  )
}

function isResponse(value: unknown): value is RouteResponse {
  return value !== null && typeof value === 'object' && 'status' in value && 'body' in value
}

/**
 * The HTTP-mode robot transport (§14.1): verifies the signature headers, parses the message into a
 * `robot_message` event and delivers it through the dispatcher (de-duplicated on `msgId`, like Stream).
 * Answers 200 `{"msgtype":"empty"}` (no inline answer: reply through `event.reply()`), 401 for any bad or
 * missing signature, 400/413/415 for a bad body, 405 for another method, 503 when handlers failed.
 *
 * @example
 * ```ts
 * const robot = createRobotRoute({ dispatcher, client })
 * const response = await robot({ method: 'POST', path: '/robot', headers, body })
 * ```
 */
export function createRobotRoute(
  options: RobotRouteOptions & {
    dispatcher: Pick<EventDispatcher, 'deliver' | 'reporter' | 'client'>
    client?: DingTalkClient | undefined
  },
): (request: RouteRequest, context?: WaitUntilContext) => Promise<RouteResponse> {
  const appSecret = options.appSecret ?? appCredentialsOf(options.client)?.clientSecret
  if (!appSecret) {
    throw new DingTalkError(
      'ROBOT_SECRET_MISSING',
      'The robot route needs the AppSecret: create the client with appKey/appSecret or give robot.appSecret.',
    )
  }
  const now = options.now ?? Date.now
  const deadlineMs = options.deadlineMs ?? 1200
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024
  const { dispatcher } = options
  return async (request, context) => {
    if (request.method.toUpperCase() !== 'POST')
      return json(405, { error: 'method_not_allowed' }, { allow: 'POST' })
    const started = now()
    if (!verifyRobotRequest(request.headers, appSecret, started)) {
      dispatcher.reporter.report(
        'CALLBACK_REJECTED',
        'Robot request rejected (401): bad or missing signature',
        {
          status: 401,
          transport: 'robot',
        },
      )
      return UNAUTHORIZED()
    }
    let body: unknown
    try {
      body = await bodyOf(request, maxBodyBytes)
    } catch {
      return BAD_REQUEST('the body could not be read')
    }
    if (isResponse(body)) return body
    const parsed = parseRobotMessage(body, { client: dispatcher.client ?? options.client })
    const id = robotDeliveryId(parsed)
    if (id === undefined) return BAD_REQUEST('not a robot message (msgId and conversationId are required)')
    const outcome = await dispatcher.deliver([{ parsed, id }], {
      ...context,
      transport: 'robot',
      receiveId: parsed.event.EventType === 'robot_message' ? parsed.event.robotCode : '',
      deadlineAt: started + deadlineMs,
      retryStatus: 503,
    })
    if (outcome.kind === 'retry')
      return json(503, { error: 'temporarily_unavailable' }, { 'retry-after': '1' })
    // The reference is silent on the answer's body: "empty" asks DingTalk for no inline message.
    return json(200, { msgtype: 'empty' })
  }
}
