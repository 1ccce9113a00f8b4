import { signWebhook } from '@dingtalk-kit/core'
import { EXIT, parse, UsageError } from '../args'
import type { CliIo, Output } from '../io'

/** `dingtalk-kit robot <say|sign>`. */
export async function robotCommand(argv: string[], io: CliIo, out: Output): Promise<number> {
  const [sub, ...rest] = argv
  if (sub === 'sign') return robotSign(rest, io, out)
  if (sub === 'say') return robotSay(rest, io, out)
  throw new UsageError(
    sub === undefined ? 'missing subcommand: say or sign' : `unknown subcommand "${sub}"`,
    'robot',
  )
}

// §14.2: timestamp (ms) and sign = URL-encoded Base64(HMAC-SHA256(secret, timestamp + "\n" + secret)).
async function robotSign(argv: string[], io: CliIo, out: Output): Promise<number> {
  const { values } = parse('robot', argv, {
    secret: { type: 'string' },
    timestamp: { type: 'string' },
    url: { type: 'string' },
    reveal: { type: 'boolean' },
    json: { type: 'boolean' },
  })
  const secret = values.secret ?? io.env.DINGTALK_ROBOT_SECRET
  if (!secret) throw new UsageError('missing --secret (or DINGTALK_ROBOT_SECRET)', 'robot')
  out.secret(secret)
  const timestamp = values.timestamp ?? String((io.now ?? Date.now)())
  if (!/^\d{13}$/.test(timestamp))
    throw new UsageError('--timestamp must be milliseconds (13 digits)', 'robot')
  const sign = signWebhook(secret, timestamp)
  const encoded = encodeURIComponent(sign)
  let url: string | undefined
  if (values.url !== undefined) {
    const token = /[?&]access_token=([^&]+)/.exec(values.url)?.[1]
    // The access_token is a credential: masked unless asked for.
    if (token && !values.reveal) out.secret(token)
    url = `${values.url}${values.url.includes('?') ? '&' : '?'}timestamp=${timestamp}&sign=${encoded}`
  }
  if (values.json) {
    out.out(JSON.stringify({ timestamp, sign, signEncoded: encoded, ...(url ? { url } : {}) }, null, 2))
  } else {
    out.out(`timestamp     ${timestamp}`)
    out.out(`sign          ${out.paint('bold', sign)}`)
    out.out(`url-encoded   ${encoded}`)
    if (url)
      out.out(
        `signed url    ${url}${values.reveal ? '' : out.paint('dim', '  (access_token masked; --reveal shows it)')}`,
      )
  }
  return EXIT.ok
}

interface SayAnswer {
  conversationId?: string
  delivered?: boolean
  ok?: boolean
  status?: number
  reply?: { via: string; msgtype: string; text: string } | null
  error?: string
}

async function robotSay(argv: string[], io: CliIo, out: Output): Promise<number> {
  const { values, positionals } = parse(
    'robot',
    argv,
    {
      to: { type: 'string' },
      from: { type: 'string' },
      emulator: { type: 'string' },
      mode: { type: 'string' },
      url: { type: 'string' },
      'no-at': { type: 'boolean' },
      wait: { type: 'string' },
      json: { type: 'boolean' },
    },
    1,
  )
  const text = positionals[0]
  if (!text) throw new UsageError('missing the text to say', 'robot')
  const base = values.emulator ?? io.env.DINGTALK_BASE_URL
  if (!base)
    throw new UsageError(
      'missing --emulator <url> (or DINGTALK_BASE_URL from `dingtalk-kit emulator`)',
      'robot',
    )
  const mode = values.mode ?? 'stream'
  if (mode !== 'stream' && mode !== 'http') throw new UsageError('--mode must be stream or http', 'robot')
  if (mode === 'http' && !values.url)
    throw new UsageError('--mode http needs --url <your robot route>', 'robot')
  const waitMs = values.wait === undefined ? 3000 : Number(values.wait)
  if (!Number.isFinite(waitMs) || waitMs < 0) throw new UsageError('--wait must be milliseconds', 'robot')
  let answer: SayAnswer
  try {
    const response = await fetch(`${base.replace(/\/+$/, '')}/_emulator/robot/say`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        text,
        mode,
        waitMs,
        ...(values.to ? { to: values.to } : {}),
        ...(values.from ? { from: values.from } : {}),
        ...(values.url ? { url: values.url } : {}),
        ...(values['no-at'] ? { atRobot: false } : {}),
      }),
    })
    answer = (await response.json()) as SayAnswer
  } catch (error) {
    out.err(out.fail(`the emulator at ${base} did not answer (${(error as Error).message})`, true))
    return EXIT.failed
  }
  if (values.json) out.out(JSON.stringify(answer, null, 2))
  if (answer.error !== undefined) {
    if (!values.json) out.err(out.fail(answer.error, true))
    return EXIT.failed
  }
  if (values.json) return answer.delivered && answer.ok ? EXIT.ok : EXIT.failed
  if (!answer.delivered) {
    out.out(out.fail('not delivered: DingTalk delivers group messages only when the robot is @-mentioned'))
    return EXIT.failed
  }
  const how = mode === 'http' ? `HTTP ${answer.status ?? '?'}` : answer.ok ? 'ACKed' : 'not ACKed'
  out.out(`${answer.ok ? out.ok('delivered') : out.fail('delivered')} to ${answer.conversationId} (${how})`)
  if (answer.reply) out.out(`reply (${answer.reply.via})  ${answer.reply.text}`)
  else out.out(out.paint('dim', `no reply within ${waitMs} ms (is your bot connected to this emulator?)`))
  return answer.ok ? EXIT.ok : EXIT.failed
}
