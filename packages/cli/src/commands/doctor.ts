import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { createCallbackCrypto, describeReceiveId } from '@dingtalk-kit/core'
import { EXIT, parse, UsageError } from '../args'
import { ENV, SECRET_SETTINGS, type Setting, type Settings, settingsFromEnv } from '../credentials'
import type { CliIo, Output } from '../io'
import { type Check, skewCheck, tokenCheck } from './doctor-network'

export type { Check, Status } from './doctor-network'

const DEFAULT_BASE_URL = 'https://oapi.dingtalk.com'
const ALIASES: Record<string, Setting> = { token: 'callbackToken', aesKey: 'callbackAesKey' }

/** A config file: JSON (env-var names or camelCase keys) or dotenv lines `DINGTALK_APP_KEY=…`. */
export function parseConfig(text: string): Settings {
  const byVariable = new Map<string, Setting>(
    Object.entries(ENV).map(([setting, variable]) => [variable, setting as Setting]),
  )
  const settings: Settings = {}
  const assign = (key: string, value: unknown): void => {
    const setting = byVariable.get(key) ?? ALIASES[key] ?? (key in ENV ? (key as Setting) : undefined)
    if (setting !== undefined && value !== undefined && value !== null && value !== '')
      settings[setting] = String(value)
  }
  const trimmed = text.trim()
  if (trimmed.startsWith('{')) {
    const parsed: unknown = JSON.parse(trimmed)
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new Error('the config must be a JSON object')
    for (const [key, value] of Object.entries(parsed)) assign(key, value)
    return settings
  }
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/^\s*export\s+/, '')
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$/.exec(line)
    if (!match || line.trimStart().startsWith('#')) continue
    let value = match[2]!
    const quoted = /^\s*(["'])(.*)\1\s*$/.exec(value)
    value = quoted ? quoted[2]! : value.replace(/\s+#.*$/, '').trim()
    assign(match[1]!, value)
  }
  return settings
}

function shapeChecks(s: Settings): Check[] {
  const checks: Check[] = []
  for (const [setting, variable] of Object.entries(ENV) as [Setting, string][]) {
    const value = s[setting]
    if (value !== undefined && value !== value.trim()) {
      checks.push({
        status: 'fail',
        name: variable,
        message: `${variable} has leading or trailing whitespace (a copy-paste accident?)`,
      })
    }
  }
  const id = (setting: Setting, pattern: RegExp, what: string): void => {
    const value = s[setting]?.trim()
    if (value === undefined) return
    const looks = pattern.test(value)
    checks.push({
      status: looks ? 'ok' : 'warn',
      name: ENV[setting],
      message: `${ENV[setting]} ${value}${looks ? '' : `: does not look like ${what}`}`,
    })
  }
  id('corpId', /^ding[0-9a-z]+$/i, 'a corpId (they start with "ding")')
  id('appKey', /^[0-9a-z]{8,64}$/i, 'an appKey (letters and digits; internal apps start with "ding")')
  id('suiteKey', /^suite[0-9a-z]+$/i, 'a suiteKey (they start with "suite")')
  if (s.agentId !== undefined) {
    const ok = /^\d+$/.test(s.agentId.trim())
    checks.push({
      status: ok ? 'ok' : 'fail',
      name: ENV.agentId,
      message: ok
        ? `${ENV.agentId} ${s.agentId.trim()}`
        : `${ENV.agentId} must be the numeric agentId of the micro-app`,
    })
  }
  for (const [key, secret] of [
    ['appKey', 'appSecret'],
    ['corpId', 'corpSecret'],
    ['suiteKey', 'suiteSecret'],
  ] as const) {
    if (s[secret] !== undefined) {
      checks.push({ status: 'ok', name: ENV[secret], message: `${ENV[secret]} is set (never printed)` })
    } else if (s[key] !== undefined && (key !== 'corpId' || s.appKey === undefined)) {
      checks.push({
        status: key === 'suiteKey' ? 'warn' : 'fail',
        name: ENV[secret],
        message: `${ENV[key]} is set but ${ENV[secret]} is missing`,
      })
    }
  }
  if (s.appKey === undefined && s.corpId === undefined && s.suiteKey === undefined) {
    checks.push({
      status: 'fail',
      name: 'credentials',
      message: `no app configured: set ${ENV.appKey} and ${ENV.appSecret} (or ${ENV.corpId} and ${ENV.corpSecret})`,
    })
  }
  return checks
}

async function callbackChecks(s: Settings): Promise<Check[]> {
  const token = s.callbackToken?.trim()
  const aesKey = s.callbackAesKey?.trim()
  if (token === undefined && aesKey === undefined) {
    return [
      {
        status: 'skip',
        name: 'callback',
        message: `no callback configured (${ENV.callbackToken}, ${ENV.callbackAesKey})`,
      },
    ]
  }
  const checks: Check[] = []
  if (token === undefined)
    checks.push({
      status: 'fail',
      name: ENV.callbackToken,
      message: `${ENV.callbackAesKey} is set but ${ENV.callbackToken} is missing`,
    })
  else
    checks.push({
      status: 'ok',
      name: ENV.callbackToken,
      message: `${ENV.callbackToken} is set (never printed)`,
    })
  if (aesKey === undefined) {
    checks.push({
      status: 'fail',
      name: ENV.callbackAesKey,
      message: `${ENV.callbackToken} is set but ${ENV.callbackAesKey} is missing`,
    })
    return checks
  }
  try {
    // The round trip checks the key alone; the receive-ids per callback kind follow below.
    const crypto = createCallbackCrypto({ token: token ?? '-', aesKey, receiveId: 'dingtalk-kit-doctor' })
    const roundTrip = await crypto.decrypt(await crypto.encrypt('success'))
    if (roundTrip.message !== 'success') throw new Error('round trip failed')
    checks.push({
      status: 'ok',
      name: ENV.callbackAesKey,
      message: `${ENV.callbackAesKey}: 43 characters, decodes to a 32-byte AES-256 key; encrypt/decrypt round trip works (never printed)`,
    })
  } catch (error) {
    checks.push({
      status: 'fail',
      name: ENV.callbackAesKey,
      message: `${ENV.callbackAesKey}: ${(error as Error).message}`,
    })
  }
  checks.push(...receiveIdChecks(s))
  return checks
}

// §1.1: the receive-id depends on which kind of callback it is, not on which variables happen to be set.
const CALLBACK_KINDS = [
  ['corpId', 'corp callbacks (call_back/register_call_back)'],
  ['appKey', 'the app’s event subscription (developer console 事件订阅)'],
  ['suiteKey', 'ISV suite callbacks (suite callback URL; the suite’s own token and aes key)'],
] as const

function receiveIdChecks(s: Settings): Check[] {
  const checks: Check[] = []
  for (const [setting, kind] of CALLBACK_KINDS) {
    const id = s[setting]?.trim()
    if (id === undefined) continue
    checks.push({
      status: 'ok',
      name: 'receive-id',
      message: `${kind} are encrypted for receive-id ${id} (${ENV[setting]}: ${describeReceiveId(id)})`,
    })
  }
  if (checks.length === 0) {
    checks.push({
      status: 'warn',
      name: 'receive-id',
      message: `no ${ENV.corpId}, ${ENV.appKey} or ${ENV.suiteKey}: callbacks cannot be checked for their receive-id`,
    })
  } else {
    checks.push({
      status: 'ok',
      name: 'receive-id',
      message: 'check a captured callback’s receive-id with dingtalk-kit decrypt',
    })
  }
  return checks
}

function baseUrlCheck(baseUrl: string): Check {
  let url: URL
  try {
    url = new URL(baseUrl)
  } catch {
    return { status: 'fail', name: ENV.baseUrl, message: `${ENV.baseUrl} is not a URL: ${baseUrl}` }
  }
  const local = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)
  if (url.protocol !== 'https:' && !local) {
    return {
      status: 'warn',
      name: ENV.baseUrl,
      message: `${baseUrl} is not HTTPS; DingTalk answers plain HTTP with errcode 43003`,
    }
  }
  return {
    status: 'ok',
    name: ENV.baseUrl,
    message: `base URL ${baseUrl}${local ? ' (a local emulator?)' : ''}`,
  }
}

export async function doctorCommand(argv: string[], io: CliIo, out: Output): Promise<number> {
  const { values } = parse('doctor', argv, {
    env: { type: 'boolean' },
    config: { type: 'string', short: 'c' },
    'no-network': { type: 'boolean' },
    report: { type: 'boolean' },
    company: { type: 'string' },
    'egress-ip': { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  })
  if (values.env && values.config !== undefined)
    throw new UsageError('give either --env or --config, not both', 'doctor')
  let settings: Settings
  let source: string
  if (values.config !== undefined) {
    try {
      settings = parseConfig(await readFile(resolve(io.cwd, values.config), 'utf8'))
    } catch (error) {
      throw new UsageError(`cannot read the config ${values.config}: ${(error as Error).message}`, 'doctor')
    }
    source = values.config
  } else {
    settings = settingsFromEnv(io.env)
    source = 'the environment'
  }
  for (const setting of SECRET_SETTINGS) out.secret(settings[setting], settings[setting]?.trim())

  const baseUrl = (settings.baseUrl?.trim() ?? DEFAULT_BASE_URL).replace(/\/+$/, '')
  const checks: Check[] = [
    baseUrlCheck(baseUrl),
    ...shapeChecks(settings),
    ...(await callbackChecks(settings)),
  ]
  const reportOptions = {
    ...(values.company === undefined ? {} : { company: values.company }),
    ...(values['egress-ip'] === undefined ? {} : { egressIp: values['egress-ip'] }),
  }
  let problemReport: string | undefined
  if (values['no-network']) {
    checks.push({
      status: 'skip',
      name: 'gettoken',
      message: 'token fetch and clock check skipped (--no-network)',
    })
  } else if (checks.find((c) => c.name === ENV.baseUrl)?.status !== 'fail') {
    const outcome = await tokenCheck(io, out, settings, baseUrl, reportOptions)
    checks.push(...outcome.checks)
    if (outcome.checks[0]?.status !== 'skip') checks.push(skewCheck(outcome.server))
    problemReport = outcome.report
  }
  const failed = checks.filter((c) => c.status === 'fail').length
  const warned = checks.filter((c) => c.status === 'warn').length
  if (problemReport === undefined && values.report)
    problemReport = successReport(settings, baseUrl, io.now(), reportOptions)

  if (values.json) {
    out.out(
      JSON.stringify(
        { ok: failed === 0, source, checks, ...(problemReport ? { problemReport } : {}) },
        null,
        2,
      ),
    )
    return failed === 0 ? EXIT.ok : EXIT.failed
  }
  out.out(out.paint('bold', `dingtalk-kit doctor — configuration from ${source}`))
  out.out()
  for (const check of checks) {
    const line =
      check.status === 'ok'
        ? out.ok(check.message)
        : check.status === 'fail'
          ? out.fail(check.message)
          : check.status === 'warn'
            ? out.warn(check.message)
            : `${out.paint('dim', '-')} ${out.paint('dim', check.message)}`
    out.out(line)
  }
  out.out()
  if (problemReport !== undefined) {
    out.out(
      out.paint(
        'bold',
        'Problem report (the FAQ’s template; secrets removed — fill in the company and egress IP):',
      ),
    )
    out.out(problemReport)
    out.out()
  }
  out.out(
    failed === 0
      ? out.ok(`no problems found${warned > 0 ? ` (${warned} warning${warned === 1 ? '' : 's'})` : ''}`)
      : out.fail(
          `${failed} problem${failed === 1 ? '' : 's'} found${warned > 0 ? `, ${warned} warning${warned === 1 ? '' : 's'}` : ''}`,
        ),
  )
  return failed === 0 ? EXIT.ok : EXIT.failed
}

function successReport(
  s: Settings,
  baseUrl: string,
  now: number,
  options: { company?: string; egressIp?: string },
): string {
  const t = new Date(now + 8 * 3600_000)
  const pad = (n: number): string => String(n).padStart(2, '0')
  const time = `${t.getUTCFullYear()}-${t.getUTCMonth() + 1}-${t.getUTCDate()} ${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}:${pad(t.getUTCSeconds())} (UTC+8)`
  const params: Record<string, string> = {}
  if (s.corpId) params.corpid = s.corpId.trim()
  if (s.appKey) params.appkey = s.appKey.trim()
  // The FAQ's fields, in its order (reference §11); never the token or a secret.
  const rows: [string, string][] = [
    ['企业完整名称 Company', options.company ?? '(your company’s full name)'],
    ['访问接口的路径 API', `${baseUrl}/gettoken`],
    ['输入参数 Parameters', JSON.stringify(params)],
    ['发起请求的服务器的外网IP地址 Egress IP', options.egressIp ?? '(public IP of the calling server)'],
    ['发起请求的时间点 Time', time],
    ['返回的错误结果 Result', '(describe the error you get)'],
  ]
  return [
    '| field | value |',
    '| --- | --- |',
    ...rows.map(([k, v]) => `| ${k} | ${v.replaceAll('|', '\\|')} |`),
  ].join('\n')
}
