import { resolve } from 'node:path'
import {
  type Emulator,
  type Fixture,
  loadFixture,
  type PushRecord,
  type RequestLogEntry,
  startEmulator,
} from '@dingtalk-kit/emulator'
import { EXIT, integer, parse, UsageError } from '../args'
import { ENV } from '../credentials'
import { type CliIo, type Output, stopSignal } from '../io'
import { compact, redactFields } from '../redact'

// Callback credentials a corp app can register with call_back/register_call_back on the emulator; any
// values work there, these are just ready to paste.
const APP_CALLBACK_TOKEN = 'emu-callback-token'
const APP_CALLBACK_AES_KEY = 'emulatorCallbackAesKey0123456789abcdefghijk'

const time = (ms: number): string => {
  const d = new Date(ms)
  return `${d.toTimeString().slice(0, 8)}.${String(d.getMilliseconds()).padStart(3, '0')}`
}

function banner(out: Output, emu: Emulator, fixture: Fixture): void {
  const org = fixture.orgs[0]
  const app = org?.apps?.[0]
  const suite = fixture.suites?.[0]
  const line = (name: string, value: string | number | undefined): void => {
    if (value !== undefined) out.out(`${name}=${value}`)
  }
  out.out(out.paint('bold', `DingTalk emulator listening on ${emu.url}`))
  out.out()
  out.out(
    out.paint(
      'dim',
      `# ${app ? `internal app ${app.name} of ` : ''}${org?.corpName ?? 'no organisation'} — paste into your shell or .env`,
    ),
  )
  line(ENV.baseUrl, emu.url)
  line(ENV.corpId, org?.corpId)
  line(ENV.appKey, app?.appKey)
  line(ENV.appSecret, app?.appSecret)
  line(ENV.corpSecret, app?.corpSecret)
  line(ENV.agentId, app?.agentId)
  line(ENV.callbackToken, APP_CALLBACK_TOKEN)
  line(ENV.callbackAesKey, APP_CALLBACK_AES_KEY)
  if (suite) {
    out.out()
    out.out(
      out.paint(
        'dim',
        `# ISV suite ${suite.name}: suite pushes use its own callback token and aes key below`,
      ),
    )
    line(ENV.suiteKey, suite.suiteKey)
    line(ENV.suiteSecret, suite.suiteSecret)
    out.out(
      out.paint(
        'dim',
        `# suite callback token ${suite.token}, aes key ${suite.aesKey}, receive-id ${suite.suiteKey}`,
      ),
    )
    if (suite.suiteTicket) out.out(out.paint('dim', `# a valid suite_ticket: ${suite.suiteTicket}`))
  }
  out.out()
  out.out(
    out.paint(
      'dim',
      '# register a callback: POST $DINGTALK_BASE_URL/call_back/register_call_back?access_token=…',
    ),
  )
  out.out(
    out.paint(
      'dim',
      '#   {"call_back_tag":["user_add_org",…],"token":…,"aes_key":…,"url":"http://…"} (receive-id: the corpId)',
    ),
  )
  out.out(
    out.paint('dim', '# push any event yourself: dingtalk-kit trigger <event> --url <your callback URL> …'),
  )
  out.out(out.paint('dim', '# Ctrl-C stops the emulator.'))
  out.out()
}

function requestLine(out: Output, entry: RequestLogEntry): string {
  const query = Object.entries(entry.query)
    .map(([k, v]) => `${k}=${v}`)
    .join('&')
  const target = `${entry.path}${query ? `?${query}` : ''}`
  const outcome =
    entry.status === 0
      ? out.paint('red', 'connection reset')
      : entry.errcode === undefined
        ? `HTTP ${entry.status}`
        : entry.errcode === 0
          ? out.paint('green', 'errcode 0')
          : out.paint('red', `errcode ${entry.errcode}`)
  const body = entry.body === undefined ? '' : `  ${out.paint('dim', compact(redactFields(entry.body), 160))}`
  const fault = entry.fault ? out.paint('yellow', ` [fault: ${entry.fault}]`) : ''
  return `${out.paint('dim', time(entry.time))} ${entry.method} ${target} → ${outcome}${fault}${body}`
}

function pushLines(out: Output, push: PushRecord): string[] {
  const head = `${out.paint('dim', time(push.time))} push #${push.id} ${out.paint('bold', push.eventType)} → ${push.url}`
  const result = push.result
  if (!result) return [head]
  const lines = result.attempts.map((a, i) =>
    a.ok
      ? `  ${out.ok(`attempt ${i + 1}: reply ${JSON.stringify(a.reply)} accepted (${a.durationMs} ms)`)}`
      : `  ${out.fail(`attempt ${i + 1}: ${a.reason ?? 'failed'} (${a.durationMs} ms)`)}`,
  )
  return [`${head}  ${out.paint('dim', compact(redactFields(push.event), 160))}`, ...lines]
}

function finished(entry: RequestLogEntry): boolean {
  return entry.status !== 0 || entry.fault === 'reset'
}

export async function emulatorCommand(argv: string[], io: CliIo, out: Output): Promise<number> {
  const { values } = parse('emulator', argv, {
    fixture: { type: 'string' },
    port: { type: 'string', short: 'p' },
    host: { type: 'string' },
    'suite-callback-url': { type: 'string' },
    'suite-ticket-interval': { type: 'string' },
    quiet: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  })
  const port = integer('emulator', 'port', values.port) ?? 0
  if (port > 65535) throw new UsageError('--port must be at most 65535', 'emulator')
  const intervalMs = integer('emulator', 'suite-ticket-interval', values['suite-ticket-interval'])
  let fixture: Fixture
  try {
    fixture = loadFixture(values.fixture === undefined ? undefined : resolve(io.cwd, values.fixture))
  } catch (error) {
    throw new UsageError(`cannot read the fixture: ${(error as Error).message}`, 'emulator')
  }
  const suiteUrl = values['suite-callback-url']
  if (suiteUrl !== undefined) {
    if (!/^https?:\/\//.test(suiteUrl))
      throw new UsageError('--suite-callback-url must be an http(s) URL', 'emulator')
    for (const suite of fixture.suites ?? []) suite.callbackUrl = suiteUrl
  }
  const stop = stopSignal(io)
  let emu: Emulator
  try {
    emu = await startEmulator({
      fixture,
      port,
      host: values.host ?? '127.0.0.1',
      ...(intervalMs === undefined ? {} : { suiteTicketIntervalMs: intervalMs }),
    })
  } catch (error) {
    stop.dispose()
    out.err(out.fail(`cannot start the emulator: ${(error as Error).message}`, true))
    return EXIT.failed
  }
  banner(out, emu, fixture)

  // The emulator records requests and pushes in arrays; follow them and print each once it is complete.
  let nextRequest = 0
  const waiting: RequestLogEntry[] = []
  const seenPushes = new Set<number>()
  const drain = (): void => {
    if (values.quiet) return
    while (nextRequest < emu.log.length) waiting.push(emu.log[nextRequest++]!)
    for (let i = 0; i < waiting.length; ) {
      const entry = waiting[i]!
      if (finished(entry)) {
        out.out(requestLine(out, entry))
        waiting.splice(i, 1)
      } else i++
    }
    for (const push of emu.state.pushes) {
      if (seenPushes.has(push.id)) continue
      seenPushes.add(push.id)
      void push.done.then(() => {
        if (!values.quiet) for (const line of pushLines(out, push)) out.out(line)
      })
    }
  }
  const poll = setInterval(drain, 50)
  if (suiteUrl !== undefined) void emu.pushSuiteTicket().catch(() => {})

  await new Promise<void>((done) => {
    if (stop.signal.aborted) return done()
    stop.signal.addEventListener('abort', () => done(), { once: true })
  })
  clearInterval(poll)
  out.err('stopping the emulator…')
  await emu.close()
  drain()
  stop.dispose()
  out.err('emulator stopped')
  return EXIT.ok
}
