import { buildPush, type PushAttempt, pushEvent } from '@dingtalk-kit/emulator'
import { EXIT, parse } from '../args'
import { CREDENTIAL_OPTIONS } from '../credentials'
import { EVENTS, type EventTemplate } from '../events'
import { type CliIo, type Output, stopSignal } from '../io'
import { compact, redactFields } from '../redact'
import { planPush, type TriggerPlan } from './trigger-push'

function listEvents(out: Output): number {
  for (const scope of ['corp', 'suite'] as const) {
    out.out(out.paint('bold', scope === 'corp' ? 'Corp callback events (§2.2)' : 'ISV suite events (§2.3)'))
    for (const e of EVENTS.filter((t) => t.scope === scope)) out.out(`  ${e.type.padEnd(30)} ${e.summary}`)
    out.out()
  }
  return EXIT.ok
}

/** Why a reply is wrong, in words a developer can act on (§1.7, §2.3). */
export function likelyCause(reason: string, template: EventTemplate): string | undefined {
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

const OPTIONS = {
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
} as const

/** One push and its verdict on the reply, told on stderr with the likely cause of a wrong reply. */
async function attemptPush(
  plan: TriggerPlan,
  n: number,
  io: CliIo,
  out: Output,
  signal: AbortSignal,
): Promise<PushAttempt | undefined> {
  const { timeoutMs, retries, expectedReply } = plan
  const label = `pushing ${String(plan.event.EventType)} (attempt ${n + 1}/${retries + 1}), waiting up to ${timeoutMs} ms for the reply`
  const result = await out.progress(
    label,
    pushEvent({ ...plan.push, expectedReply, retries: 0, timeoutMs, fetch: io.fetch, signal }),
  )
  const attempt = result.attempts[0]
  if (!attempt) return undefined
  const prefix = `attempt ${n + 1}:`
  if (attempt.ok) {
    out.err(
      out.ok(
        `${prefix} HTTP ${attempt.status}, reply ${JSON.stringify(attempt.reply)} correctly signed and encrypted (${attempt.durationMs} ms)`,
        true,
      ),
    )
    return attempt
  }
  out.err(out.fail(`${prefix} ${attempt.reason ?? 'failed'} (${attempt.durationMs} ms)`, true))
  const cause = attempt.reason ? likelyCause(attempt.reason, plan.template) : undefined
  if (cause) out.err(`  likely cause: ${cause}`)
  return attempt
}

/** Pushes until the reply is right, the retries are spent or the user stops; says how it ended. */
async function pushUntilAccepted(plan: TriggerPlan, io: CliIo, out: Output): Promise<number> {
  const stop = stopSignal(io)
  const attempts: PushAttempt[] = []
  try {
    for (let n = 0; n <= plan.retries; n++) {
      if (n > 0) await waitFor(Math.min(plan.backoffMs * 2 ** (n - 1), 60_000), stop.signal)
      if (stop.signal.aborted) break
      const attempt = await attemptPush(plan, n, io, out, stop.signal)
      if (!attempt) break
      attempts.push(attempt)
      if (attempt.ok) break
    }
  } finally {
    stop.dispose()
  }
  const last = attempts.at(-1)
  const count = `${attempts.length} attempt${attempts.length === 1 ? '' : 's'}`
  if (last?.ok) {
    out.out(out.ok(`reply correct after ${count}`))
    return EXIT.ok
  }
  if (stop.signal.aborted) {
    out.out(out.fail('stopped before a correct reply'))
    return EXIT.failed
  }
  out.out(out.fail(`reply incorrect after ${count}: ${last?.reason ?? 'no attempt made'}`))
  return EXIT.failed
}

export async function triggerCommand(argv: string[], io: CliIo, out: Output): Promise<number> {
  const { values, positionals } = parse('trigger', argv, OPTIONS, 1)
  if (values.list) return listEvents(out)
  const plan = planPush(positionals[0], values, io, out)
  const { event, push } = plan
  out.err(
    `${out.paint('bold', String(event.EventType), true)} → ${push.url}  ${out.paint('dim', `(receive-id ${push.receiveId})`, true)}`,
  )
  out.err(out.paint('dim', `  ${compact(redactFields(event), 400)}`, true))
  if (values['dry-run']) {
    const built = buildPush(push)
    out.out(`curl -X POST '${built.url}' -H 'Content-Type: application/json' -d '${built.body}'`)
    out.err(out.paint('dim', `expected reply: the encrypted ${JSON.stringify(plan.expectedReply)}`, true))
    return EXIT.ok
  }
  return pushUntilAccepted(plan, io, out)
}
