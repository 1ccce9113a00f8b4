import { resolve } from 'node:path'
import { type FixtureSuite, loadFixture } from '@dingtalk-kit/emulator'
import { UsageError } from './args'
import type { CliIo } from './io'

/** The environment variables dingtalk-kit reads (documented in the README). */
export const ENV = {
  baseUrl: 'DINGTALK_BASE_URL',
  appKey: 'DINGTALK_APP_KEY',
  appSecret: 'DINGTALK_APP_SECRET',
  corpId: 'DINGTALK_CORP_ID',
  corpSecret: 'DINGTALK_CORP_SECRET',
  agentId: 'DINGTALK_AGENT_ID',
  callbackToken: 'DINGTALK_CALLBACK_TOKEN',
  callbackAesKey: 'DINGTALK_CALLBACK_AES_KEY',
  suiteKey: 'DINGTALK_SUITE_KEY',
  suiteSecret: 'DINGTALK_SUITE_SECRET',
} as const

export type Setting = keyof typeof ENV

/** Settings whose values are secret: never printed. */
export const SECRET_SETTINGS: readonly Setting[] = [
  'appSecret',
  'corpSecret',
  'callbackToken',
  'callbackAesKey',
  'suiteSecret',
]

export type Settings = Partial<Record<Setting, string>>

export function settingsFromEnv(env: CliIo['env']): Settings {
  const out: Settings = {}
  for (const [name, variable] of Object.entries(ENV) as [Setting, string][]) {
    const value = env[variable]
    if (value !== undefined && value !== '') out[name] = value
  }
  return out
}

/** Callback credentials as given by flags, a fixture or the environment. */
export interface CallbackCredentials {
  token: string | undefined
  aesKey: string | undefined
  /** The receive-id to require; `undefined` when none was given. */
  receiveId: string | undefined
  /** Further receive-ids from the environment that are acceptable too. */
  alternatives: string[]
  /** Where the values came from, for messages. */
  source: string
}

export interface CredentialFlags {
  token?: string | undefined
  'aes-key'?: string | undefined
  'receive-id'?: string | undefined
  fixture?: string | undefined
  suite?: string | undefined
}

export function fixtureSuite(
  io: CliIo,
  command: string,
  file: string,
  suiteKey: string | undefined,
): FixtureSuite {
  let suites: FixtureSuite[]
  try {
    suites = loadFixture(resolve(io.cwd, file)).suites ?? []
  } catch (error) {
    throw new UsageError(`cannot read the fixture ${file}: ${(error as Error).message}`, command)
  }
  const suite = suiteKey === undefined ? suites[0] : suites.find((s) => s.suiteKey === suiteKey)
  if (!suite) {
    throw new UsageError(
      suiteKey === undefined
        ? `the fixture ${file} has no suites, so it holds no callback token or aes key: pass --token and --aes-key`
        : `the fixture ${file} has no suite ${suiteKey}`,
      command,
    )
  }
  return suite
}

/**
 * Flags win, then the fixture's suite (its callback token and aes key; receive-id the suiteKey), then
 * DINGTALK_CALLBACK_TOKEN / DINGTALK_CALLBACK_AES_KEY and the ids in the environment.
 */
export function callbackCredentials(
  io: CliIo,
  command: string,
  flags: CredentialFlags,
  preferSuite = false,
): CallbackCredentials {
  const env = settingsFromEnv(io.env)
  const suite = flags.fixture ? fixtureSuite(io, command, flags.fixture, flags.suite) : undefined
  const envIds = (
    preferSuite ? [env.suiteKey, env.corpId, env.appKey] : [env.corpId, env.appKey, env.suiteKey]
  ).filter((id): id is string => id !== undefined)
  const receiveId = flags['receive-id'] ?? suite?.suiteKey ?? envIds[0]
  const sources = [
    flags.token || flags['aes-key'] || flags['receive-id'] ? 'flags' : undefined,
    suite ? `fixture ${flags.fixture} (suite ${suite.suiteKey})` : undefined,
    env.callbackToken || env.callbackAesKey || envIds.length > 0 ? 'environment' : undefined,
  ].filter(Boolean)
  return {
    token: flags.token ?? suite?.token ?? env.callbackToken,
    aesKey: flags['aes-key'] ?? suite?.aesKey ?? env.callbackAesKey,
    receiveId,
    alternatives: flags['receive-id'] !== undefined || suite ? [] : envIds.slice(1),
    source: sources.join(' + ') || 'nothing',
  }
}

/** The option definitions shared by the commands that take callback credentials. */
export const CREDENTIAL_OPTIONS = {
  token: { type: 'string' },
  'aes-key': { type: 'string' },
  'receive-id': { type: 'string' },
  fixture: { type: 'string' },
  suite: { type: 'string' },
} as const
