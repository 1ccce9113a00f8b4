import { createHash } from 'node:crypto'
import {
  type CallbackCrypto,
  createCallbackCrypto,
  type DecryptedMessage,
  DingTalkCryptoError,
  describeReceiveId,
} from '@dingtalk-kit/core'
import { EXIT, parse, readInput, readStdin, UsageError } from '../args'
import { bodyFields, type Capture, parseCaptureText, queryFields, toCapture } from '../capture'
import { type CallbackCredentials, CREDENTIAL_OPTIONS, callbackCredentials } from '../credentials'
import type { CliIo, Output } from '../io'

const INPUT_OPTIONS = {
  query: { type: 'string', short: 'q' },
  body: { type: 'string', short: 'b' },
  encrypt: { type: 'string', short: 'e' },
  file: { type: 'string', short: 'f' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  ...CREDENTIAL_OPTIONS,
} as const

interface InputFlags {
  query?: string | undefined
  body?: string | undefined
  encrypt?: string | undefined
  file?: string | undefined
}

async function readCapture(
  io: CliIo,
  command: string,
  flags: InputFlags,
  positional?: string,
): Promise<Capture> {
  const file = flags.file ?? positional
  let query: Record<string, unknown> = {}
  let body: Record<string, unknown> = {}
  if (file !== undefined) {
    let text: string
    try {
      text = await readInput(io, file)
    } catch (error) {
      throw new UsageError(`cannot read ${file}: ${(error as Error).message}`, command)
    }
    ;({ query, body } = parseCaptureText(command, text))
  } else if (flags.query === undefined && flags.body === undefined && flags.encrypt === undefined) {
    if (io.stdin.isTTY === true) {
      throw new UsageError(
        'give the captured callback: --query and --body (or --encrypt), a file, or - for stdin',
        command,
      )
    }
    ;({ query, body } = parseCaptureText(command, await readStdin(io)))
  }
  if (flags.query !== undefined) query = { ...query, ...queryFields(flags.query) }
  if (flags.body !== undefined) body = { ...body, ...bodyFields(command, flags.body) }
  return toCapture(query, body, flags.encrypt)
}

const sha1 = (text: string): string => createHash('sha1').update(text, 'utf8').digest('hex')
const sorted = (...values: string[]): string => [...values].sort().join('')

interface SignatureVerdict {
  status: 'valid' | 'invalid' | 'unchecked'
  lines: string[]
}

/** Checks the signature (§1.5) and, when it fails, finds what the sender signed instead. */
export function diagnoseSignature(
  crypto: CallbackCrypto | undefined,
  token: string | undefined,
  c: Capture,
): SignatureVerdict {
  if (c.signature === undefined) {
    return {
      status: 'unchecked',
      lines: ['signature not checked: the input has no signature/msg_signature (give --query)'],
    }
  }
  if (token === undefined || crypto === undefined) {
    return {
      status: 'unchecked',
      lines: ['signature not checked: give the callback token (--token or DINGTALK_CALLBACK_TOKEN)'],
    }
  }
  try {
    crypto.checkSignature(c)
    return {
      status: 'valid',
      lines: ['signature valid (SHA-1 over the sorted token, timestamp, nonce and encrypt, §1.5)'],
    }
  } catch (error) {
    const lines = [(error as Error).message]
    const { signature, timestamp, nonce, encrypt } = c
    if (timestamp !== undefined && nonce !== undefined && encrypt !== undefined) {
      const wanted = signature.toLowerCase()
      const causes: [boolean, string][] = [
        [
          signature !== wanted && crypto.sign(timestamp, nonce, encrypt) === wanted,
          'the signature is upper-case hex; DingTalk signs with lower-case hex — the sender changed its case',
        ],
        [
          c.otherTimestamp !== undefined && crypto.sign(c.otherTimestamp, nonce, encrypt) === wanted,
          `it was signed over timestamp=${c.otherTimestamp}, not timeStamp=${timestamp}`,
        ],
        [
          encrypt.includes(' ') && crypto.sign(timestamp, nonce, encrypt.replaceAll(' ', '+')) === wanted,
          'the "encrypt" had its "+" characters turned into spaces (form/URL-decoded) on the way to you; read the raw JSON body',
        ],
        [
          sha1(sorted(token, timestamp, nonce)) === wanted,
          'it was signed over token, timestamp and nonce only — without the encrypt',
        ],
        [sha1(sorted(timestamp, nonce, encrypt)) === wanted, 'it was signed without the token'],
        [
          sha1(token + timestamp + nonce + encrypt) === wanted,
          'the four values were concatenated without sorting them first',
        ],
      ]
      const found = causes.filter(([hit]) => hit).map(([, why]) => `likely cause: ${why}`)
      // The error message already names the token and the captured values; only add what it does not say.
      lines.push(
        ...(found.length > 0
          ? found
          : [
              'none of the usual sender mistakes (hex case, timeStamp vs timestamp, "+" read as spaces, a missing or unsorted part) reproduces it; check the token for stray spaces',
            ]),
      )
    }
    return { status: 'invalid', lines }
  }
}

const HINTS: Partial<Record<string, string>> = {
  CRYPTO_INVALID_PADDING:
    'likely cause: the EncodingAESKey is not the one this message was encrypted with (a wrong key decrypts to noise)',
  CRYPTO_INVALID_LENGTH: 'likely cause: the EncodingAESKey is wrong, or the ciphertext was truncated',
  CRYPTO_INVALID_UTF8: 'likely cause: the EncodingAESKey is wrong, or the ciphertext was altered',
  CRYPTO_INVALID_AES_KEY: 'copy the 43-character EncodingAESKey again from the DingTalk console',
}

function cryptoFailure(error: unknown, c: Capture): string[] {
  if (!(error instanceof DingTalkCryptoError)) throw error
  const lines = [`${error.message} [${error.code}, DingTalk ${error.dingtalkCode}]`]
  if (error.code === 'CRYPTO_INVALID_CIPHERTEXT' && c.encrypt?.includes(' ')) {
    lines.push(
      'likely cause: "+" characters were turned into spaces (form/URL-decoded); read the raw JSON body',
    )
  }
  const hint = HINTS[error.code]
  if (hint) lines.push(hint)
  return lines
}

function buildCrypto(
  out: Output,
  creds: CallbackCredentials,
  receiveId: string,
): { crypto: CallbackCrypto } | { error: string[] } {
  try {
    return {
      crypto: createCallbackCrypto({ token: creds.token ?? '-', aesKey: creds.aesKey ?? '', receiveId }),
    }
  } catch (error) {
    out.secret(creds.aesKey)
    return {
      error: cryptoFailure(error, {
        signature: undefined,
        timestamp: undefined,
        nonce: undefined,
        encrypt: undefined,
        otherTimestamp: undefined,
        notes: [],
      }),
    }
  }
}

const PLACEHOLDER_ID = 'dingtalk-kit-any-receive-id'

export async function decryptCommand(argv: string[], io: CliIo, out: Output): Promise<number> {
  const { values, positionals } = parse('decrypt', argv, INPUT_OPTIONS, 1)
  const creds = callbackCredentials(io, 'decrypt', values)
  out.secret(creds.token, creds.aesKey)
  if (creds.aesKey === undefined) {
    throw new UsageError(
      'give the EncodingAESKey: --aes-key, DINGTALK_CALLBACK_AES_KEY or --fixture',
      'decrypt',
    )
  }
  const capture = await readCapture(io, 'decrypt', values, positionals[0])
  if (capture.encrypt === undefined || capture.encrypt === '') {
    throw new UsageError(
      'the input has no "encrypt" value (give --body \'{"encrypt":"…"}\' or --encrypt)',
      'decrypt',
    )
  }
  for (const note of capture.notes) out.err(out.warn(note, true))
  const built = buildCrypto(out, creds, creds.receiveId ?? PLACEHOLDER_ID)
  if ('error' in built) return report(out, values.json, { ok: false, lines: built.error })
  const { crypto } = built
  const verdict = diagnoseSignature(creds.token === undefined ? undefined : crypto, creds.token, capture)
  let decrypted: DecryptedMessage | undefined
  const lines: string[] = []
  let receiveIdOk = true
  try {
    decrypted = await crypto.decrypt(capture.encrypt, { receiveIds: creds.alternatives })
  } catch (error) {
    const actual = error instanceof DingTalkCryptoError ? error.actualReceiveId : undefined
    if (actual === undefined) {
      return report(out, values.json, { ok: false, signature: verdict, lines: cryptoFailure(error, capture) })
    }
    decrypted = await crypto.decrypt(capture.encrypt, { receiveIds: [actual] })
    if (creds.receiveId !== undefined) {
      receiveIdOk = false
      lines.push(...cryptoFailure(error, capture))
    }
  }
  const id = decrypted.receiveId
  const idLine = `receive-id ${JSON.stringify(id)}: ${describeReceiveId(id)}`
  lines.unshift(receiveIdOk ? (creds.receiveId === undefined ? idLine : `${idLine} — as expected`) : idLine)
  return report(out, values.json, {
    ok: receiveIdOk && verdict.status !== 'invalid',
    signature: verdict,
    lines,
    receiveIdOk,
    decrypted,
  })
}

function report(
  out: Output,
  json: boolean | undefined,
  result: {
    ok: boolean
    signature?: SignatureVerdict
    lines: string[]
    receiveIdOk?: boolean
    decrypted?: DecryptedMessage
  },
): number {
  const { decrypted, signature } = result
  if (json) {
    out.out(
      JSON.stringify(
        {
          ok: result.ok,
          signature: signature?.status ?? 'unchecked',
          receiveId: decrypted?.receiveId,
          message: decrypted?.message,
          problems: [
            ...(signature?.status === 'invalid' ? signature.lines : []),
            ...(result.ok ? [] : result.lines),
          ],
        },
        null,
        2,
      ),
    )
    return result.ok ? EXIT.ok : EXIT.failed
  }
  if (signature) {
    const [first = '', ...rest] = signature.lines
    out.err(
      signature.status === 'valid'
        ? out.ok(first, true)
        : signature.status === 'invalid'
          ? out.fail(first, true)
          : out.warn(first, true),
    )
    for (const line of rest) out.err(`  ${line}`)
  }
  const [first = '', ...rest] = result.lines
  if (decrypted) {
    out.err(
      result.receiveIdOk === false ? out.fail(rest[0] ?? first, true) : out.ok(`decrypted; ${first}`, true),
    )
    for (const line of result.receiveIdOk === false ? rest.slice(1) : rest) out.err(`  ${line}`)
    out.out(decrypted.message)
  } else {
    out.err(out.fail(first, true))
    for (const line of rest) out.err(`  ${line}`)
  }
  return result.ok ? EXIT.ok : EXIT.failed
}

export async function verifyCommand(argv: string[], io: CliIo, out: Output): Promise<number> {
  const { values, positionals } = parse('verify', argv, INPUT_OPTIONS, 1)
  const creds = callbackCredentials(io, 'verify', values)
  out.secret(creds.token, creds.aesKey)
  if (creds.token === undefined) {
    throw new UsageError('give the callback token: --token, DINGTALK_CALLBACK_TOKEN or --fixture', 'verify')
  }
  const capture = await readCapture(io, 'verify', values, positionals[0])
  for (const note of capture.notes) out.err(out.warn(note, true))
  if (capture.signature === undefined) {
    throw new UsageError('the input has no signature or msg_signature (give --query)', 'verify')
  }
  let crypto: CallbackCrypto
  try {
    // The signature needs only the token (§1.5); a stand-in key keeps verify usable without the aes key.
    crypto = createCallbackCrypto({ token: creds.token, aesKey: 'A'.repeat(43), receiveId: PLACEHOLDER_ID })
  } catch (error) {
    out.err(out.fail((error as Error).message, true))
    return EXIT.failed
  }
  const verdict = diagnoseSignature(crypto, creds.token, capture)
  if (values.json) {
    out.out(
      JSON.stringify(
        {
          ok: verdict.status === 'valid',
          signature: verdict.status,
          problems: verdict.status === 'valid' ? [] : verdict.lines,
        },
        null,
        2,
      ),
    )
  } else {
    const [first = '', ...rest] = verdict.lines
    out.out(verdict.status === 'valid' ? out.ok(first) : out.fail(first))
    for (const line of rest) out.out(`  ${line}`)
  }
  return verdict.status === 'valid' ? EXIT.ok : EXIT.failed
}

export async function encryptCommand(argv: string[], io: CliIo, out: Output): Promise<number> {
  const { values, positionals } = parse(
    'encrypt',
    argv,
    {
      message: { type: 'string', short: 'm' },
      timestamp: { type: 'string' },
      nonce: { type: 'string' },
      random: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      ...CREDENTIAL_OPTIONS,
    },
    1,
  )
  const creds = callbackCredentials(io, 'encrypt', values)
  out.secret(creds.token, creds.aesKey)
  if (creds.aesKey === undefined) {
    throw new UsageError(
      'give the EncodingAESKey: --aes-key, DINGTALK_CALLBACK_AES_KEY or --fixture',
      'encrypt',
    )
  }
  if (creds.receiveId === undefined) {
    throw new UsageError(
      'give the receive-id to encrypt for: --receive-id (corpId, suiteKey or appKey)',
      'encrypt',
    )
  }
  let message = values.message
  if (message === undefined) {
    const file = positionals[0]
    if (file === undefined && io.stdin.isTTY === true) {
      throw new UsageError('give the text to encrypt: --message, a file, or - for stdin', 'encrypt')
    }
    message = (file === undefined ? await readStdin(io) : await readInput(io, file)).replace(/\r?\n$/, '')
  }
  if (values.random !== undefined && values.random.length !== 16) {
    throw new UsageError('--random must be exactly 16 characters', 'encrypt')
  }
  let crypto: CallbackCrypto
  try {
    crypto = createCallbackCrypto({
      token: creds.token ?? '-',
      aesKey: creds.aesKey,
      receiveId: creds.receiveId,
    })
  } catch (error) {
    for (const line of cryptoFailure(error, toCapture({}, {}))) out.err(out.fail(line, true))
    return EXIT.failed
  }
  const random = values.random === undefined ? {} : { random: values.random }
  if (creds.token === undefined) {
    out.out(await crypto.encrypt(message, random))
    return EXIT.ok
  }
  // §1.7: the reply body DingTalk expects; also what a push carries as {encrypt} + the signed query.
  const reply = await crypto.reply(message, {
    ...random,
    ...(values.timestamp === undefined ? {} : { timeStamp: values.timestamp }),
    ...(values.nonce === undefined ? {} : { nonce: values.nonce }),
  })
  out.out(JSON.stringify(reply, null, 2))
  return EXIT.ok
}
