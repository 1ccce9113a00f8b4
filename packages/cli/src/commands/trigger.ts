import {
  buildPush,
  defaultFixture,
  expectedReplyFor,
  type PushAttempt,
  pushEvent,
} from '@dingtalk-kit/emulator'
import { EXIT, integer, parse, UsageError } from '../args'
import { CREDENTIAL_OPTIONS, callbackCredentials, settingsFromEnv } from '../credentials'
import {
  buildEvent,
  EVENTS,
  type EventTemplate,
  findEvent,
  parseAssignment,
  SUITE_PLACEHOLDER,
} from '../events'
import { type CliIo, type Output, stopSignal } from '../io'
import { compact, redactFields } from '../redact'

const DEFAULT_CORP = defaultFixture.orgs[0]!.corpId
const DEFAULT_SUITE = defaultFixture.suites![0]!.suiteKey

function listEvents(out: Output): number {
  for (const scope of ['corp', 'suite'] as const) {
    out.out(out.paint('bold', scope === 'corp' ? 'Corp callback events (§2.2)' : 'ISV suite events (§2.3)'))
    for (const e of EVENTS.filter((t) => t.scope === scope)) out.out(`  ${e.type.padEnd(30)} ${e.summary}`)
    out.out()
  }
  return EXIT.ok
}

function unknownEvent(type: string): UsageError {
  const close = EVENTS.filter((e) => e.type.includes(type) || type.includes(e.type.split('_')[0]!)).map(
    (e) => e.type,
  )
  const hint = close.length > 0 ? `; did you mean ${close.slice(0, 4).join(', ')}?` : ''
  return new UsageError(`unknown event "${type}"${hint} (see dingtalk-kit trigger --list)`, 'trigger')
}

/** Why a reply is wrong, in words a developer can act on (§1.7, §2.3). */
function likelyCause(reason: string, template: EventTemplate): string | undefined {
  if (reason.startsWith('reply signature does not match')) {
    return 'the app signs its reply with another token, or not over (token, timeStamp, nonce, encrypt) sorted (§1.5, §1.7)'
  }
  if (reason.startsWith('reply cannot be decrypted'))
    return 'the app encrypts its reply with another EncodingAESKey'
  if (reason.startsWith('reply was encrypted for receive-id')) {
    return 'the reply must be encrypted for the same receive-id as the push (corpId, suiteKey or appKey)'
  }
  if (reason.startsWith('reply decrypts to')) {
    return template.type.startsWith('check_') && template.type.endsWith('_suite_url')
      ? 'the reply must be the encrypted value of the event’s "Random" field, not "success" (§2.3)'
      : 'the reply must be the encrypted text "success" (§1.7)'
  }
  if (/^reply (?:has no|field|is not)/.test(reason)) {
    return 'the reply must be JSON {"msg_signature","timeStamp","nonce","encrypt"} with string values (§1.7)'
  }
  if (/^HTTP 4\d\d/.test(reason)) {
    return 'the app rejected the push: its token, EncodingAESKey or receive-id differ from the ones used here'
  }
  if (/^HTTP 5\d\d/.test(reason)) return 'the app failed while handling the event; see its logs'
  if (reason.startsWith('timed out')) {
    return 'DingTalk waits 1500 ms: acknowledge first and do slow work afterwards (§1.7)'
  }
  if (reason.startsWith('connection failed')) return 'is the app running and listening at that URL?'
  return undefined
}

function waitFor(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve()
    const done = (): void => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
  })
}

export async function triggerCommand(argv: string[], io: CliIo, out: Output): Promise<number> {
  const { values, positionals } = parse(
    'trigger',
    argv,
    {
      url: { type: 'string', short: 'u' },
      retries: { type: 'string' },
      set: { type: 'string', multiple: true },
      json: { type: 'string' },
      expect: { type: 'string' },
      'corp-id': { type: 'string' },
      'query-style': { type: 'string' },
      timeout: { type: 'string' },
      backoff: { type: 'string' },
      'dry-run': { type: 'boolean' },
      list: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      ...CREDENTIAL_OPTIONS,
    },
    1,
  )
  if (values.list) return listEvents(out)
  const type = positionals[0]
  if (type === undefined)
    throw new UsageError('name the event to push, e.g. user_add_org (see --list)', 'trigger')
  const template = findEvent(type)
  if (!template) throw unknownEvent(type)
  if (values.url === undefined) throw new UsageError('give the app’s callback URL with --url', 'trigger')
  const queryStyle = values['query-style'] ?? 'legacy'
  if (queryStyle !== 'legacy' && queryStyle !== 'new') {
    throw new UsageError(
      '--query-style must be legacy (signature&timestamp) or new (msg_signature&timeStamp)',
      'trigger',
    )
  }
  const retries = integer('trigger', 'retries', values.retries) ?? 0
  const timeoutMs = integer('trigger', 'timeout', values.timeout) ?? 1500
  const backoffMs = integer('trigger', 'backoff', values.backoff) ?? 1000
  if (timeoutMs === 0) throw new UsageError('--timeout must be positive', 'trigger')

  const creds = callbackCredentials(io, 'trigger', values, template.scope === 'suite')
  out.secret(creds.token, creds.aesKey)
  if (creds.token === undefined || creds.aesKey === undefined) {
    throw new UsageError(
      'give the callback credentials: --token and --aes-key (or --fixture, or DINGTALK_CALLBACK_TOKEN and DINGTALK_CALLBACK_AES_KEY)',
      'trigger',
    )
  }
  // §2.3: a suite that is being created is addressed by the placeholder suiteKey.
  const receiveId =
    template.type === 'check_create_suite_url' && values['receive-id'] === undefined
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
    values['corp-id'] ?? env.corpId ?? (receiveId.startsWith('ding') ? receiveId : undefined) ?? DEFAULT_CORP
  const suiteKey =
    template.scope === 'suite' && receiveId !== SUITE_PLACEHOLDER
      ? receiveId
      : (env.suiteKey ?? DEFAULT_SUITE)
  let event = buildEvent(template, { corpId, suiteKey, now: io.now() })
  if (values.json !== undefined) {
    let extra: unknown
    try {
      extra = JSON.parse(values.json)
    } catch {
      throw new UsageError('--json must be a JSON object', 'trigger')
    }
    if (!extra || typeof extra !== 'object' || Array.isArray(extra))
      throw new UsageError('--json must be a JSON object', 'trigger')
    event = { ...event, ...(extra as Record<string, unknown>) }
  }
  for (const assignment of values.set ?? []) {
    const pair = parseAssignment(assignment)
    if (!pair) throw new UsageError(`--set takes Key=value, got "${assignment}"`, 'trigger')
    event[pair[0]] = pair[1]
  }
  const expectedReply = values.expect ?? expectedReplyFor(event)
  const base = {
    url: values.url,
    token: creds.token,
    aesKey: creds.aesKey,
    receiveId,
    event,
    queryStyle,
  } as const
  try {
    buildPush(base)
  } catch (error) {
    throw new UsageError((error as Error).message, 'trigger')
  }

  out.err(
    `${out.paint('bold', String(event.EventType), true)} → ${values.url}  ${out.paint('dim', `(receive-id ${receiveId})`, true)}`,
  )
  out.err(out.paint('dim', `  ${compact(redactFields(event), 400)}`, true))
  if (values['dry-run']) {
    const push = buildPush(base)
    out.out(`curl -X POST '${push.url}' -H 'Content-Type: application/json' -d '${push.body}'`)
    out.err(out.paint('dim', `expected reply: the encrypted ${JSON.stringify(expectedReply)}`, true))
    return EXIT.ok
  }

  const stop = stopSignal(io)
  const attempts: PushAttempt[] = []
  try {
    for (let n = 0; n <= retries; n++) {
      if (n > 0) await waitFor(Math.min(backoffMs * 2 ** (n - 1), 60_000), stop.signal)
      if (stop.signal.aborted) break
      const label = `pushing ${String(event.EventType)} (attempt ${n + 1}/${retries + 1}), waiting up to ${timeoutMs} ms for the reply`
      const result = await out.progress(
        label,
        pushEvent({ ...base, expectedReply, retries: 0, timeoutMs, fetch: io.fetch, signal: stop.signal }),
      )
      const attempt = result.attempts[0]
      if (!attempt) break
      attempts.push(attempt)
      const prefix = `attempt ${n + 1}:`
      if (attempt.ok) {
        out.err(
          out.ok(
            `${prefix} HTTP ${attempt.status}, reply ${JSON.stringify(attempt.reply)} correctly signed and encrypted (${attempt.durationMs} ms)`,
            true,
          ),
        )
        break
      }
      out.err(
        out.fail(
          `${prefix} ${attempt.reason ?? 'failed'}${attempt.status === undefined ? '' : ''} (${attempt.durationMs} ms)`,
          true,
        ),
      )
      const cause = attempt.reason ? likelyCause(attempt.reason, template) : undefined
      if (cause) out.err(`  likely cause: ${cause}`)
    }
  } finally {
    stop.dispose()
  }
  const last = attempts.at(-1)
  if (last?.ok) {
    out.out(out.ok(`reply correct after ${attempts.length} attempt${attempts.length === 1 ? '' : 's'}`))
    return EXIT.ok
  }
  if (stop.signal.aborted) {
    out.out(out.fail('stopped before a correct reply'))
    return EXIT.failed
  }
  out.out(
    out.fail(
      `reply incorrect after ${attempts.length} attempt${attempts.length === 1 ? '' : 's'}: ${last?.reason ?? 'no attempt made'}`,
    ),
  )
  return EXIT.failed
}
