import type { DingTalkEvent, EventContext } from '@dingtalk-kit/core'
import { pushEvent } from '@dingtalk-kit/emulator'
import { createStreamClient, DingTalkStreamError } from '@dingtalk-kit/stream'
import { EXIT, integer, parse, UsageError } from '../args'
import { CREDENTIAL_OPTIONS, callbackCredentials, settingsFromEnv } from '../credentials'
import { type CliIo, type Output, stopSignal } from '../io'

const API_ENV = 'DINGTALK_API_BASE_URL'

// The HTTP callback plaintext of an event received over Stream: the typed event is already in the
// callback's shape (parseStreamEvent); an event the parser does not know goes as it came, with its type.
function plaintextOf(event: DingTalkEvent, context: EventContext): Record<string, unknown> {
  if (event.EventType !== 'unknown') return { ...event }
  const raw =
    context.raw !== null && typeof context.raw === 'object' ? (context.raw as Record<string, unknown>) : {}
  return { ...raw, EventType: event.rawEventType ?? 'unknown' }
}

/**
 * `dingtalk-kit listen --forward-to <url>`: receives events over Stream mode and forwards each to an
 * existing HTTP callback route, encrypted and signed as DingTalk would, checking the reply. The event is
 * acknowledged `SUCCESS` only when the reply is correct, so a failing route gets it again (§13.4).
 */
export async function listenCommand(argv: string[], io: CliIo, out: Output): Promise<number> {
  const { values } = parse('listen', argv, {
    'forward-to': { type: 'string', short: 'f' },
    'client-id': { type: 'string' },
    'client-secret': { type: 'string' },
    'api-base-url': { type: 'string' },
    proxy: { type: 'string' },
    timeout: { type: 'string' },
    'query-style': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
    ...CREDENTIAL_OPTIONS,
  })
  const url = values['forward-to']
  if (url === undefined)
    throw new UsageError('give the callback route to forward to with --forward-to', 'listen')
  const env = settingsFromEnv(io.env)
  const clientId = values['client-id'] ?? env.appKey ?? env.suiteKey
  const clientSecret =
    values['client-secret'] ??
    (clientId !== undefined && clientId === env.suiteKey ? env.suiteSecret : env.appSecret)
  out.secret(clientSecret)
  if (clientId === undefined || clientSecret === undefined) {
    throw new UsageError(
      'give the app’s Stream credentials: --client-id and --client-secret (or DINGTALK_APP_KEY and DINGTALK_APP_SECRET)',
      'listen',
    )
  }
  const creds = callbackCredentials(io, 'listen', values)
  out.secret(creds.token, creds.aesKey)
  if (creds.token === undefined || creds.aesKey === undefined || creds.receiveId === undefined) {
    throw new UsageError(
      'give the callback route’s credentials: --token, --aes-key and --receive-id (or --fixture, or the DINGTALK_CALLBACK_* and DINGTALK_CORP_ID variables)',
      'listen',
    )
  }
  const queryStyle = values['query-style'] ?? 'legacy'
  if (queryStyle !== 'legacy' && queryStyle !== 'new') {
    throw new UsageError('--query-style must be legacy or new', 'listen')
  }
  const timeoutMs = integer('listen', 'timeout', values.timeout) ?? 1500
  const apiBaseUrl = values['api-base-url'] ?? io.env[API_ENV] ?? 'https://api.dingtalk.com'
  const { token, aesKey, receiveId } = creds
  const stop = stopSignal(io)

  const stream = createStreamClient({
    clientId,
    clientSecret,
    apiBaseUrl,
    ...(values.proxy === undefined ? {} : { proxy: values.proxy }),
    logger: {
      warn: (message) => out.err(out.paint('yellow', `warning: ${message}`, true)),
      error: (message) => out.err(out.paint('red', `error: ${message}`, true)),
    },
    hooks: {
      connect: ({ host, reconnect }) =>
        out.err(out.paint('dim', `${reconnect ? 'reconnected' : 'connected'} to ${host}`, true)),
      disconnect: ({ reason }) => out.err(out.paint('dim', `disconnected: ${reason}`, true)),
    },
  })
  stream.onAny(async (event, context) => {
    const plaintext = plaintextOf(event, context)
    const result = await pushEvent({
      url,
      token,
      aesKey,
      receiveId,
      event: plaintext,
      queryStyle,
      timeoutMs,
      fetch: io.fetch,
      signal: stop.signal,
    })
    const attempt = result.attempts.at(-1)
    const line = `${String(plaintext.EventType)} → ${url}`
    if (!result.ok) {
      out.err(
        out.fail(`${line}: ${attempt?.reason ?? 'not delivered'}; DingTalk will deliver it again`, true),
      )
      throw new Error(`forwarding failed: ${attempt?.reason ?? 'not delivered'}`)
    }
    out.out(
      out.ok(
        `${line}: HTTP ${attempt?.status} ${JSON.stringify(attempt?.reply)} (${attempt?.durationMs} ms)`,
      ),
    )
  })
  try {
    await stream.start()
  } catch (error) {
    stop.dispose()
    if (error instanceof DingTalkStreamError) {
      out.err(out.fail(error.message, true))
      return EXIT.failed
    }
    throw error
  }
  out.err(
    out.paint(
      'bold',
      `Listening for ${clientId}'s events over Stream; forwarding to ${url} (receive-id ${receiveId}). Ctrl-C stops.`,
      true,
    ),
  )
  await new Promise<void>((resolve) => {
    if (stop.signal.aborted) resolve()
    else stop.signal.addEventListener('abort', () => resolve(), { once: true })
  })
  await stream.close()
  stop.dispose()
  return EXIT.ok
}
