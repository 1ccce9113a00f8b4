import { DingTalkWebhookError, type WebhookErrorCode } from '../errors/webhook'
import { hashes } from '../hash/index'
import { runtimeFetch } from '../http/deadline'
import { toWebhookBody } from './messages'
import type { RobotMessage } from './types'

// §14.2 documents the signature only. The errcodes below come from DingTalk's custom-robot documentation
// (the references are silent on them): every security-setting refusal is 310000 with the reason in errmsg;
// 410100 and 130101 ("send too fast") are the rate limit; 300001 is an unknown access_token. The session
// webhook's expiry answer is not documented anywhere we have: "session" + "expire"/"not exist" in errmsg.
function classify(errcode: number, errmsg: string): { code: WebhookErrorCode; hint: string } {
  const msg = errmsg.toLowerCase()
  if (errcode === 310000 && msg.includes('keyword')) {
    return {
      code: 'WEBHOOK_KEYWORD_MISMATCH',
      hint: 'the message contains none of the robot\'s keywords: add one to the text, or edit "自定义关键词" (custom keywords) in the robot\'s security settings',
    }
  }
  if (errcode === 310000 && msg.includes('ip')) {
    return {
      code: 'WEBHOOK_IP_NOT_ALLOWED',
      hint: 'this server\'s IP is outside the robot\'s "IP地址(段)" (IP address range) security setting: add its egress IP there',
    }
  }
  if (errcode === 310000 && (msg.includes('sign') || msg.includes('timestamp'))) {
    return {
      code: 'WEBHOOK_SIGN_MISMATCH',
      hint: "the signature was refused: pass the SEC… secret of the robot's \"加签\" (signature) security setting, and keep this server's clock within an hour of DingTalk's",
    }
  }
  if (errcode === 410100 || errcode === 130101) {
    return {
      code: 'WEBHOOK_RATE_LIMITED',
      hint: 'the robot is sending too fast (DingTalk allows about 20 messages a minute per robot): slow down or batch messages',
    }
  }
  if (msg.includes('session') && (msg.includes('expire') || msg.includes('not exist'))) {
    return { code: 'WEBHOOK_SESSION_EXPIRED', hint: 'the session webhook has expired' }
  }
  if (errcode === 300001) {
    return {
      code: 'WEBHOOK_TOKEN_INVALID',
      hint: "the access_token names no robot: copy the webhook URL again from the robot's settings",
    }
  }
  return { code: 'WEBHOOK_FAILED', hint: "see DingTalk's errmsg" }
}

/** Reads a webhook's `{ errcode, errmsg }` answer; throws the typed error unless errcode is 0. */
export async function checkWebhookAnswer(response: Response): Promise<void> {
  const text = await response.text()
  let body: { errcode?: unknown; errmsg?: unknown } | undefined
  try {
    body = JSON.parse(text) as typeof body
  } catch {
    body = undefined
  }
  const errcode = typeof body?.errcode === 'number' ? body.errcode : undefined
  const errmsg = typeof body?.errmsg === 'string' ? body.errmsg.slice(0, 300) : undefined
  if (response.ok && errcode === 0) return
  if (errcode === undefined) {
    throw new DingTalkWebhookError(
      'WEBHOOK_FAILED',
      `The robot webhook answered HTTP ${response.status} without an errcode.`,
      { httpStatus: response.status },
    )
  }
  const { code, hint } = classify(errcode, errmsg ?? '')
  throw new DingTalkWebhookError(
    code,
    `The robot webhook refused the message (errcode ${errcode}: ${errmsg ?? ''}): ${hint}.`,
    {
      errcode,
      ...(errmsg === undefined ? {} : { errmsg }),
      httpStatus: response.status,
    },
  )
}

type Fetch = (input: string, init?: RequestInit) => Promise<Response>

/** Posts a message to a webhook; a network failure keeps only the error's name (the URL carries a credential). */
export async function postWebhook(
  url: string,
  message: RobotMessage,
  fetcher: Fetch,
  what: string,
  signal?: AbortSignal,
): Promise<Response> {
  try {
    return await fetcher(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(toWebhookBody(message)),
      ...(signal ? { signal } : {}),
    })
  } catch (cause) {
    const name = cause instanceof Error ? cause.name : 'Error'
    throw new DingTalkWebhookError('WEBHOOK_FAILED', `${what} could not be reached (${name}).`)
  }
}

/**
 * The signature of a custom robot's "加签" setting (§14.2): Base64(HMAC-SHA256(secret, `timestamp\nsecret`)),
 * returned raw (not URL-encoded).
 *
 * @example
 * ```ts
 * signWebhook('SECexampleWebhookSecret', 1700000000000) // 's4UxclK7nROqJS2ORK7yAFQgBkIpRcJVXOECdv6/jjw='
 * ```
 */
export function signWebhook(secret: string, timestamp: number | string): string {
  return hashes().hmacSha256Base64(secret, `${timestamp}\n${secret}`)
}

/**
 * A custom robot's webhook URL with `timestamp` and the URL-encoded `sign` appended (§14.2).
 *
 * @example
 * ```ts
 * signWebhookUrl('https://oapi.dingtalk.com/robot/send?access_token=abc', 'SEC…') // …&timestamp=…&sign=…
 * ```
 */
export function signWebhookUrl(url: string, secret: string, timestamp: number = Date.now()): string {
  const sign = encodeURIComponent(signWebhook(secret, timestamp))
  return `${url}${url.includes('?') ? '&' : '?'}timestamp=${timestamp}&sign=${sign}`
}

/**
 * Options of {@link sendToWebhook}.
 *
 * @example
 * ```ts
 * const options: SendToWebhookOptions = { secret: process.env.ROBOT_SECRET }
 * ```
 */
export interface SendToWebhookOptions {
  /** The `SEC…` secret of the robot's signature setting; without it the URL is posted to as it is. */
  secret?: string | undefined
  fetch?: (input: string, init?: RequestInit) => Promise<Response>
  /** Clock in epoch ms (tests). */
  now?: () => number
  signal?: AbortSignal
}

/**
 * Posts a message to a group's custom (webhook) robot (§14.2): text (a string), markdown, actionCard, link or
 * feedCard; signed when a secret is given. A refusal throws {@link DingTalkWebhookError} naming the robot
 * setting to fix (keywords, IP range, signature, rate).
 *
 * @example
 * ```ts
 * import { sendToWebhook } from '@dingtalk-kit/core'
 *
 * await sendToWebhook(process.env.ROBOT_WEBHOOK!, { msgtype: 'markdown', markdown: { title: 'Deploy', text: '**done**' } }, {
 *   secret: process.env.ROBOT_SECRET,
 * })
 * ```
 */
export async function sendToWebhook(
  url: string,
  message: RobotMessage,
  options: SendToWebhookOptions = {},
): Promise<void> {
  const fetcher = options.fetch ?? runtimeFetch
  const target =
    options.secret === undefined ? url : signWebhookUrl(url, options.secret, (options.now ?? Date.now)())
  const response = await postWebhook(target, message, fetcher, 'The robot webhook', options.signal)
  await checkWebhookAnswer(response)
}
