import {
  createDingTalkClient,
  type DingTalkCredentials,
  DingTalkCredentialsError,
  DingTalkRequestError,
} from '@dingtalk-kit/core'
import { ENV, type Settings } from '../credentials'
import type { CliIo, Output } from '../io'

/** How one `doctor` check came out. */
export type Status = 'ok' | 'warn' | 'fail' | 'skip'

/** One line of `doctor`'s report. */
export interface Check {
  status: Status
  name: string
  message: string
}

export interface TokenOutcome {
  checks: Check[]
  report?: string
  server?: { dateMs: number; localMs: number }
}

export async function tokenCheck(
  io: CliIo,
  out: Output,
  s: Settings,
  baseUrl: string,
  report: { company?: string; egressIp?: string },
): Promise<TokenOutcome> {
  const appKey = s.appKey?.trim()
  const corpId = s.corpId?.trim()
  let credentials: DingTalkCredentials | undefined
  if (appKey !== undefined && s.appSecret !== undefined) {
    credentials = { appKey, appSecret: s.appSecret.trim(), ...(corpId === undefined ? {} : { corpId }) }
  } else if (corpId !== undefined && s.corpSecret !== undefined) {
    credentials = { corpId, corpSecret: s.corpSecret.trim() }
  }
  if (!credentials) {
    return {
      checks: [
        {
          status: 'skip',
          name: 'gettoken',
          message: 'token fetch skipped: no appKey/appSecret or corpId/corpSecret',
        },
      ],
    }
  }
  let server: TokenOutcome['server']
  const timedFetch: typeof fetch = async (input, init) => {
    const started = io.now()
    const response = await io.fetch(input, init)
    const date = response.headers.get('date')
    const dateMs = date ? Date.parse(date) : Number.NaN
    if (!Number.isNaN(dateMs)) server = { dateMs, localMs: (started + io.now()) / 2 }
    return response
  }
  const client = createDingTalkClient(credentials, {
    baseUrl,
    fetch: timedFetch,
    timeoutMs: 10_000,
    retry: { maxRetries: 0 },
  })
  const started = Date.now()
  try {
    const token = await out.progress(
      `fetching an access_token from ${baseUrl}/gettoken`,
      client.getAccessToken(),
    )
    out.secret(token)
    const check: Check = {
      status: 'ok',
      name: 'gettoken',
      message: `access_token obtained from ${baseUrl}/gettoken in ${Date.now() - started} ms (never printed)`,
    }
    return { checks: [check], ...(server ? { server } : {}) }
  } catch (error) {
    const message =
      error instanceof DingTalkCredentialsError
        ? rejectedMessage(error)
        : error instanceof Error
          ? error.message
          : String(error)
    const check: Check = { status: 'fail', name: 'gettoken', message: `gettoken failed: ${message}` }
    return {
      checks: [check],
      ...(error instanceof DingTalkRequestError ? { report: error.problemReport(report) } : {}),
      ...(server ? { server } : {}),
    }
  }
}

// §4.2: DingTalk's 40096 (and 40035, 40089) do not say which of the two is wrong: name both variables.
function rejectedMessage(error: DingTalkCredentialsError): string {
  const names = error.credentials.map((name) => ENV[name]).join(' or ')
  const which =
    error.credentials.length > 1
      ? ' DingTalk does not say which: compare both with the developer console (应用详情 → 凭证与基础信息); the secret is case-sensitive.'
      : ''
  return `DingTalk rejected the credentials: check ${names} (errcode ${error.errcode}: ${error.errmsg}).${which}`
}

export function skewCheck(server: TokenOutcome['server']): Check {
  if (!server)
    return {
      status: 'skip',
      name: 'clock',
      message: 'clock skew not measured: no Date header from the server',
    }
  // The Date header has one-second resolution; the skew is local minus server time.
  const skewS = Math.round((server.localMs - server.dateMs) / 1000)
  const abs = Math.abs(skewS)
  const direction = skewS > 0 ? 'ahead of' : 'behind'
  if (abs <= 2)
    return { status: 'ok', name: 'clock', message: 'clock within 2 s of the server’s (HTTP Date header)' }
  const text = `clock is ${abs} s ${direction} the server’s (HTTP Date header)`
  if (abs <= 60) return { status: 'ok', name: 'clock', message: text }
  if (abs <= 300) return { status: 'warn', name: 'clock', message: `${text}; sync it with NTP` }
  return {
    status: 'fail',
    name: 'clock',
    message: `${text}: callback timestamps are checked within ±5 minutes, so callbacks will be rejected; sync the clock with NTP`,
  }
}
