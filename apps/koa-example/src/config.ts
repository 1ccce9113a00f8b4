import type { DingTalkMode, DingTalkSettings, ExampleConfig } from './app'

type Env = Readonly<Record<string, string | undefined>>

function required(env: Env, names: readonly string[]): Record<string, string> {
  const missing = names.filter((name) => !env[name])
  if (missing.length > 0) throw new Error(`Missing environment variables: ${missing.join(', ')}`)
  return Object.fromEntries(names.map((name) => [name, env[name]!]))
}

const APP = ['DINGTALK_APP_KEY', 'DINGTALK_APP_SECRET', 'DINGTALK_CORP_ID'] as const
const CALLBACK = ['DINGTALK_CALLBACK_TOKEN', 'DINGTALK_CALLBACK_AES_KEY'] as const
const CORP = [...APP, ...CALLBACK] as const
const MODES: readonly DingTalkMode[] = ['http', 'stream', 'both']

function modeOf(value: string | undefined): DingTalkMode {
  const mode = (value ?? 'http') as DingTalkMode
  if (!MODES.includes(mode)) throw new Error(`DINGTALK_MODE must be one of ${MODES.join(', ')}`)
  return mode
}
const SUITE = [
  'DINGTALK_SUITE_KEY',
  'DINGTALK_SUITE_SECRET',
  'DINGTALK_SUITE_TOKEN',
  'DINGTALK_SUITE_AES_KEY',
] as const

/**
 * The example's configuration from environment variables (documented in the README). With no
 * `DINGTALK_*` credential set, `dingtalk` is left out and the app runs against a bundled emulator.
 */
export function configFromEnv(env: Env): ExampleConfig {
  const list = (name: string): string[] | undefined =>
    env[name]
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean)
  const config: ExampleConfig = { port: env.PORT ? Number(env.PORT) : 3000 }
  if (env.DINGTALK_MODE) config.mode = modeOf(env.DINGTALK_MODE)
  if (env.HOST) config.host = env.HOST
  if (env.DRAIN_TIMEOUT_MS) config.drainTimeoutMs = Number(env.DRAIN_TIMEOUT_MS)
  if (env.PUBLIC_URL) config.publicUrl = env.PUBLIC_URL
  const origins = list('DINGTALK_ALLOWED_ORIGINS')
  if (origins) config.allowedOrigins = origins
  const keys = list('SESSION_KEYS')
  if (keys) config.sessionKeys = keys
  if (env.DINGTALK_REGISTER_CALLBACK) config.registerCallback = env.DINGTALK_REGISTER_CALLBACK === 'true'
  if (![...CORP, ...SUITE].some((name) => env[name])) return config

  // Stream mode needs no callback: its token and key are optional there.
  const corp = required(env, config.mode === 'stream' ? APP : CORP)
  const settings: DingTalkSettings = {
    appKey: corp.DINGTALK_APP_KEY!,
    appSecret: corp.DINGTALK_APP_SECRET!,
    corpId: corp.DINGTALK_CORP_ID!,
  }
  if (env.DINGTALK_CALLBACK_TOKEN) settings.callbackToken = env.DINGTALK_CALLBACK_TOKEN
  if (env.DINGTALK_CALLBACK_AES_KEY) settings.callbackAesKey = env.DINGTALK_CALLBACK_AES_KEY
  if (env.DINGTALK_BASE_URL) settings.baseUrl = env.DINGTALK_BASE_URL
  if (env.DINGTALK_API_BASE_URL) settings.apiBaseUrl = env.DINGTALK_API_BASE_URL
  if (env.DINGTALK_AGENT_ID) settings.agentId = Number(env.DINGTALK_AGENT_ID)
  if (SUITE.some((name) => env[name])) {
    const suite = required(env, SUITE)
    settings.suite = {
      suiteKey: suite.DINGTALK_SUITE_KEY!,
      suiteSecret: suite.DINGTALK_SUITE_SECRET!,
      token: suite.DINGTALK_SUITE_TOKEN!,
      aesKey: suite.DINGTALK_SUITE_AES_KEY!,
    }
  }
  return { ...config, dingtalk: settings }
}
