import { buildPush, defaultFixture, expectedReplyFor, type PushEventOptions } from '@dingtalk-kit/emulator'
import { integer, UsageError } from '../args'
import { type CredentialFlags, callbackCredentials, settingsFromEnv } from '../credentials'
import {
  buildEvent,
  EVENTS,
  type EventTemplate,
  findEvent,
  parseAssignment,
  SUITE_PLACEHOLDER,
} from '../events'
import type { CliIo, Output } from '../io'

const DEFAULT_CORP = defaultFixture.orgs[0]!.corpId
const DEFAULT_SUITE = defaultFixture.suites![0]!.suiteKey

/** The flags of `dingtalk-kit trigger` that say what to push and how. */
export interface TriggerFlags extends CredentialFlags {
  url?: string | undefined
  retries?: string | undefined
  set?: string[] | undefined
  json?: string | undefined
  expect?: string | undefined
  'corp-id'?: string | undefined
  'query-style'?: string | undefined
  timeout?: string | undefined
  backoff?: string | undefined
}

/** One push, resolved from the flags: the signed request, the reply it expects and how to repeat it. */
export interface TriggerPlan {
  template: EventTemplate
  event: Record<string, unknown>
  push: Pick<PushEventOptions, 'url' | 'token' | 'aesKey' | 'receiveId' | 'event' | 'queryStyle'>
  expectedReply: string
  retries: number
  timeoutMs: number
  backoffMs: number
}

function unknownEvent(type: string): UsageError {
  const close = EVENTS.filter((e) => e.type.includes(type) || type.includes(e.type.split('_')[0]!)).map(
    (e) => e.type,
  )
  const hint = close.length > 0 ? `; did you mean ${close.slice(0, 4).join(', ')}?` : ''
  return new UsageError(`unknown event "${type}"${hint} (see dingtalk-kit trigger --list)`, 'trigger')
}

/** The event's fields: the template's, then `--json`'s, then each `--set Key=value`. */
function eventFields(
  template: EventTemplate,
  flags: TriggerFlags,
  ids: { corpId: string; suiteKey: string; now: number },
): Record<string, unknown> {
  let event = buildEvent(template, ids)
  if (flags.json !== undefined) {
    let extra: unknown
    try {
      extra = JSON.parse(flags.json)
    } catch {
      throw new UsageError('--json must be a JSON object', 'trigger')
    }
    if (!extra || typeof extra !== 'object' || Array.isArray(extra))
      throw new UsageError('--json must be a JSON object', 'trigger')
    event = { ...event, ...(extra as Record<string, unknown>) }
  }
  for (const assignment of flags.set ?? []) {
    const pair = parseAssignment(assignment)
    if (!pair) throw new UsageError(`--set takes Key=value, got "${assignment}"`, 'trigger')
    event[pair[0]] = pair[1]
  }
  return event
}

/**
 * Resolves what `trigger` pushes: the event template, the callback credentials (told to `out` as secrets
 * before anything is printed), the receive-id (§2.3: the placeholder suiteKey for `check_create_suite_url`),
 * the corp and suite the event names, and the event's fields.
 */
export function planPush(type: string | undefined, flags: TriggerFlags, io: CliIo, out: Output): TriggerPlan {
  if (type === undefined)
    throw new UsageError('name the event to push, e.g. user_add_org (see --list)', 'trigger')
  const template = findEvent(type)
  if (!template) throw unknownEvent(type)
  if (flags.url === undefined) throw new UsageError('give the app’s callback URL with --url', 'trigger')
  const queryStyle = flags['query-style'] ?? 'legacy'
  if (queryStyle !== 'legacy' && queryStyle !== 'new') {
    throw new UsageError(
      '--query-style must be legacy (signature&timestamp) or new (msg_signature&timeStamp)',
      'trigger',
    )
  }
  const retries = integer('trigger', 'retries', flags.retries) ?? 0
  const timeoutMs = integer('trigger', 'timeout', flags.timeout) ?? 1500
  const backoffMs = integer('trigger', 'backoff', flags.backoff) ?? 1000
  if (timeoutMs === 0) throw new UsageError('--timeout must be positive', 'trigger')

  const creds = callbackCredentials(io, 'trigger', flags, template.scope === 'suite')
  out.secret(creds.token, creds.aesKey)
  if (creds.token === undefined || creds.aesKey === undefined) {
    throw new UsageError(
      'give the callback credentials: --token and --aes-key (or --fixture, or DINGTALK_CALLBACK_TOKEN and DINGTALK_CALLBACK_AES_KEY)',
      'trigger',
    )
  }
  // §2.3: a suite that is being created is addressed by the placeholder suiteKey.
  const receiveId =
    template.type === 'check_create_suite_url' && flags['receive-id'] === undefined
      ? SUITE_PLACEHOLDER
      : creds.receiveId
  if (receiveId === undefined) {
    throw new UsageError(
      'give the receive-id: --receive-id (corpId, suiteKey or appKey) or DINGTALK_CORP_ID',
      'trigger',
    )
  }
  const env = settingsFromEnv(io.env)
  const corpId =
    flags['corp-id'] ?? env.corpId ?? (receiveId.startsWith('ding') ? receiveId : undefined) ?? DEFAULT_CORP
  const suiteKey =
    template.scope === 'suite' && receiveId !== SUITE_PLACEHOLDER
      ? receiveId
      : (env.suiteKey ?? DEFAULT_SUITE)
  const event = eventFields(template, flags, { corpId, suiteKey, now: io.now() })
  const push = {
    url: flags.url,
    token: creds.token,
    aesKey: creds.aesKey,
    receiveId,
    event,
    queryStyle,
  } as const
  try {
    buildPush(push)
  } catch (error) {
    throw new UsageError((error as Error).message, 'trigger')
  }
  return {
    template,
    event,
    push,
    expectedReply: flags.expect ?? expectedReplyFor(event),
    retries,
    timeoutMs,
    backoffMs,
  }
}
