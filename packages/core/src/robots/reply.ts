import { DingTalkError } from '../errors/base'
import { DingTalkWebhookError } from '../errors/webhook'
import { runtimeFetch } from '../http/deadline'
import type { RobotsApi } from './api'
import type { RobotMessage, RobotMessageEvent, RobotReplyResult } from './types'
import { checkWebhookAnswer, postWebhook } from './webhook'

/**
 * What `reply()` needs beyond the message: the client for the proactive fallback, and (tests) fetch and a
 * clock.
 *
 * @example
 * ```ts
 * const { event } = parseRobotMessage(data, { client })
 * ```
 */
export interface ReplyDeps {
  client?: { readonly robots: RobotsApi } | undefined
  fetch?: ((input: string, init?: RequestInit) => Promise<Response>) | undefined
  now?: (() => number) | undefined
}

/** A session webhook this close to its expiry is not tried: the post could arrive after it. */
const EXPIRY_MARGIN_MS = 1000

async function viaSession(url: string, message: RobotMessage, deps: ReplyDeps): Promise<boolean> {
  const fetcher = deps.fetch ?? runtimeFetch
  // §13.7: the session webhook takes the custom robot's body shapes (text, markdown, actionCard, …).
  const response = await postWebhook(url, message, fetcher, 'The session webhook')
  try {
    await checkWebhookAnswer(response)
    return true
  } catch (error) {
    if (error instanceof DingTalkWebhookError && error.code === 'WEBHOOK_SESSION_EXPIRED') return false
    throw error
  }
}

/**
 * Answers a robot message: its session webhook while it lives, else a proactive send into the same
 * conversation (DM → `batchSend` to the sender, group → `groupSend`).
 */
export async function replyTo(
  event: RobotMessageEvent,
  message: RobotMessage,
  deps: ReplyDeps,
): Promise<RobotReplyResult> {
  const now = (deps.now ?? Date.now)()
  const expiry = event.sessionWebhookExpiredTime
  const alive =
    event.sessionWebhook !== undefined && (expiry === undefined || now < expiry - EXPIRY_MARGIN_MS)
  if (alive && (await viaSession(event.sessionWebhook as string, message, deps))) {
    return { via: 'sessionWebhook' }
  }
  const robots = deps.client?.robots
  if (!robots) {
    throw new DingTalkError(
      'ROBOT_SESSION_EXPIRED',
      'The session webhook has expired and there is no client to send proactively with: give the dispatcher (or Stream client) a client.',
    )
  }
  const robotCode = event.robotCode || undefined
  if (event.conversation.type === 'group') {
    const sent = await robots.groupSend({ openConversationId: event.conversation.id, message, robotCode })
    return { via: 'groupSend', processQueryKey: sent.processQueryKey }
  }
  const userId = event.sender.userId
  if (!userId) {
    throw new DingTalkError(
      'ROBOT_SESSION_EXPIRED',
      'The session webhook has expired and the sender has no userid in this corp to send a DM to.',
    )
  }
  const sent = await robots.batchSend({ userIds: [userId], message, robotCode })
  return { via: 'batchSend', processQueryKey: sent.processQueryKey }
}
