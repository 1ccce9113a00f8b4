import { createHash } from 'node:crypto'
import { DingTalkError, normalizeJsapiUrl, signJsapi } from '@dingtalk-kit/core'
import { EXIT, parse, UsageError } from '../args'
import type { CliIo, Output } from '../io'

export async function signJsapiCommand(argv: string[], _io: CliIo, out: Output): Promise<number> {
  const { values } = parse('sign-jsapi', argv, {
    ticket: { type: 'string' },
    nonce: { type: 'string' },
    timestamp: { type: 'string' },
    url: { type: 'string' },
    sha256: { type: 'boolean' },
    compare: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  })
  const { ticket, nonce, timestamp, url } = values
  out.secret(ticket)
  const missing = (['ticket', 'nonce', 'timestamp', 'url'] as const).filter(
    (name) => values[name] === undefined,
  )
  if (missing.length > 0)
    throw new UsageError(`missing ${missing.map((m) => `--${m}`).join(', ')}`, 'sign-jsapi')
  const input = { ticket: ticket!, nonceStr: nonce!, timeStamp: timestamp!, url: url! }
  let signature: string
  let normalized: string
  try {
    signature = signJsapi({ ...input, algorithm: values.sha256 ? 'sha256' : 'sha1' })
    normalized = normalizeJsapiUrl(url!)
  } catch (error) {
    if (!(error instanceof DingTalkError)) throw error
    out.err(out.fail(`${error.message} [${error.code}]`, true))
    return EXIT.failed
  }
  const changes: string[] = []
  if (url!.includes('#')) changes.push('dropped the #fragment')
  if (normalized !== url!.split('#')[0]) changes.push('decoded %XX escapes in the query')
  const algorithm = values.sha256 ? 'sha256' : 'sha1'
  // §3.2: the exact string hashed, with the ticket itself never shown.
  const plain = `jsapi_ticket=***&noncestr=${nonce}&timestamp=${timestamp}&url=${normalized}`
  const compare = values.compare?.trim().toLowerCase()
  const explanation =
    compare === undefined || compare === signature ? undefined : explainMismatch(compare, input, url!)
  if (values.json) {
    out.out(
      JSON.stringify(
        {
          signature,
          url: normalized,
          algorithm,
          stringToSign: plain,
          ...(compare === undefined ? {} : { matches: compare === signature, explanation }),
        },
        null,
        2,
      ),
    )
  } else {
    out.out(`signature     ${out.paint('bold', signature)}`)
    out.out(
      `signed url    ${normalized}${changes.length > 0 ? out.paint('dim', `  (${changes.join(', ')})`) : ''}`,
    )
    out.out(
      `algorithm     ${algorithm}${algorithm === 'sha1' ? out.paint('dim', '  (DingTalk’s default, §3.2)') : ''}`,
    )
    out.out(`string        ${plain}`)
    if (compare !== undefined) {
      out.out(
        compare === signature ? out.ok('matches the given signature') : out.fail(`does not match ${compare}`),
      )
      if (explanation) out.out(`  ${explanation}`)
    }
  }
  return compare === undefined || compare === signature ? EXIT.ok : EXIT.failed
}

/** What the other side probably signed, when its signature differs (FAQ 权限校验失败, §3.3). */
function explainMismatch(
  other: string,
  input: { ticket: string; nonceStr: string; timeStamp: string; url: string },
  url: string,
): string {
  const hash = (algorithm: 'sha1' | 'sha256', signedUrl: string): string =>
    createHash(algorithm)
      .update(
        `jsapi_ticket=${input.ticket}&noncestr=${input.nonceStr}&timestamp=${input.timeStamp}&url=${signedUrl}`,
      )
      .digest('hex')
  const normalized = normalizeJsapiUrl(url)
  const withoutHash = url.split('#')[0]!
  const candidates: [string, string][] = [
    [normalized, 'the same string'],
    [url, 'the URL with its #fragment, which must be dropped'],
    [withoutHash, 'the URL with its query still percent-encoded, which DingTalk decodes first'],
    [normalized.replace(/\/(?=\?|$)/, ''), 'the URL without the trailing slash of its path'],
  ]
  for (const algorithm of ['sha1', 'sha256'] as const) {
    for (const [candidate, what] of candidates) {
      if (hash(algorithm, candidate) === other) return `the other signature is ${algorithm} over ${what}`
    }
  }
  return (
    'likely causes: a different or expired jsapi_ticket (a new ticket invalidates the old one), a different ' +
    'nonceStr/timeStamp than dd.config used, or another page URL (it must be location.href of the page, without #)'
  )
}
