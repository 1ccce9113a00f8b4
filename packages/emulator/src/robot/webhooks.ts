import { createHmac, timingSafeEqual } from 'node:crypto'
import type { Exchange } from '../exchange'
import { JSON_TYPE } from '../faults'
import { redactBody } from '../request-log'
import { send } from '../server'
import type { CustomRobotRecord, RobotReplyRecord, RobotState } from './state'
import { webhookText } from './state'

type Raw = Record<string, unknown>
type Answer = { errcode: number; errmsg: string }

const OK: Answer = { errcode: 0, errmsg: 'ok' }
/** DingTalk's documented cap for a custom robot: 20 messages a minute. */
const PER_MINUTE = 20
const WINDOW_MS = 60 * 60 * 1000

export class WebhookRefusal extends Error {
  constructor(readonly answer: Answer) {
    super(answer.errmsg)
  }
}

function refuse(errcode: number, errmsg: string): never {
  throw new WebhookRefusal({ errcode, errmsg })
}

const SHAPES: Record<string, (body: Raw) => boolean> = {
  text: (b) => typeof (b.text as Raw | undefined)?.content === 'string',
  markdown: (b) =>
    typeof (b.markdown as Raw | undefined)?.title === 'string' &&
    typeof (b.markdown as Raw | undefined)?.text === 'string',
  actionCard: (b) => typeof (b.actionCard as Raw | undefined)?.text === 'string',
  link: (b) => typeof (b.link as Raw | undefined)?.messageUrl === 'string',
  feedCard: (b) => Array.isArray((b.feedCard as Raw | undefined)?.links),
}

/** The JSON body of a webhook post, checked against the message shapes; 40035 otherwise. */
export function webhookBody(exchange: Exchange): Raw {
  let body: unknown
  try {
    body = JSON.parse(exchange.body.bytes.toString('utf8'))
  } catch {
    refuse(40035, '缺少参数 json')
  }
  const shape = body && typeof body === 'object' ? SHAPES[String((body as Raw).msgtype)] : undefined
  if (!shape?.(body as Raw)) refuse(40035, '缺少参数 json: unknown msgtype or missing fields')
  exchange.entry.body = redactBody(body)
  return body as Raw
}

// §14.2: sign = Base64(HMAC-SHA256(secret, timestamp + "\n" + secret)), sent URL-encoded; the timestamp
// within an hour. The errcodes are DingTalk's custom-robot ones (the references are silent on them): every
// security refusal is 310000 with the reason in errmsg.
function checkSignature(hook: CustomRobotRecord, query: URLSearchParams, now: number): void {
  if (hook.secret === undefined) return
  const timestamp = query.get('timestamp') ?? ''
  const sign = query.get('sign') ?? ''
  if (!/^\d+$/.test(timestamp) || Math.abs(now - Number(timestamp)) > WINDOW_MS) {
    refuse(
      310000,
      'invalid timestamp, more: [https://open.dingtalk.com/document/robots/customize-robot-security-settings]',
    )
  }
  const expected = createHmac('sha256', hook.secret).update(`${timestamp}\n${hook.secret}`).digest()
  const given = Buffer.from(sign, 'base64')
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    refuse(
      310000,
      'sign not match, more: [https://open.dingtalk.com/document/robots/customize-robot-security-settings]',
    )
  }
}

function ipAllowed(ranges: string[], ip: string): boolean {
  const bare = ip.replace(/^::ffff:/, '')
  return ranges.some((r) =>
    r.endsWith('*') || r.endsWith('.') ? bare.startsWith(r.replace(/\*$/, '')) : bare === r,
  )
}

function checkCustomRobot(hook: CustomRobotRecord, exchange: Exchange, body: Raw, now: number): void {
  checkSignature(hook, exchange.url.searchParams, now)
  if (hook.ipRanges && !ipAllowed(hook.ipRanges, exchange.entry.ip)) {
    refuse(310000, `ip ${exchange.entry.ip.replace(/^::ffff:/, '')} not in whitelist`)
  }
  const text = webhookText(body)
  if (hook.keywords && !hook.keywords.some((k) => text.includes(k))) {
    refuse(
      310000,
      'keywords not in content, more: [https://open.dingtalk.com/document/robots/customize-robot-security-settings]',
    )
  }
  hook.recent = hook.recent.filter((t) => t > now - 60_000)
  if (hook.recent.length >= PER_MINUTE) refuse(410100, 'send too fast, exceed 20 times per minute')
  hook.recent.push(now)
}

function record(
  state: RobotState,
  conversationId: string,
  via: RobotReplyRecord['via'],
  body: Raw,
  now: number,
) {
  state.replies.push({
    conversationId,
    via,
    msgtype: String(body.msgtype),
    text: webhookText(body),
    body,
    recalled: false,
    time: now,
  })
}

/** `POST /robot/send?access_token=…`: a custom robot's webhook. */
export function customRobotPost(state: RobotState, exchange: Exchange, now: number): Answer {
  const hook = state.webhooks.get(exchange.url.searchParams.get('access_token') ?? '')
  if (!hook) refuse(300001, 'token is not exist')
  try {
    const body = webhookBody(exchange)
    checkCustomRobot(hook, exchange, body, now)
    hook.posts.push(body)
    record(state, hook.conversationId, 'webhook', body, now)
    return OK
  } catch (error) {
    if (error instanceof WebhookRefusal) hook.refused.push(error.answer)
    throw error
  }
}

/**
 * `POST /robot/sendBySession?session=…`: a message's session webhook. Once expired it answers 300001 with
 * "session is expired" (DingTalk's exact answer is not in the references; the SDK falls back on it).
 */
export function sessionPost(state: RobotState, exchange: Exchange, now: number): Answer {
  const session = state.sessions.get(exchange.url.searchParams.get('session') ?? '')
  if (!session || session.expiresAt <= now) refuse(300001, 'session is expired')
  record(state, session.conversationId, 'sessionWebhook', webhookBody(exchange), now)
  return OK
}

export function answerJson(exchange: Exchange, status: number, payload: unknown): void {
  send(exchange.res, exchange.entry, status, { 'Content-Type': JSON_TYPE }, JSON.stringify(payload))
}
