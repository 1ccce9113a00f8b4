import type { DingTalkMode, DingTalkSettings, ExampleConfig } from './app'

type Env = Readonly<Record<string, string | undefined>>

const APP = ['DINGTALK_APP_KEY', 'DINGTALK_APP_SECRET', 'DINGTALK_CORP_ID']
const CALLBACK = ['DINGTALK_CALLBACK_TOKEN', 'DINGTALK_CALLBACK_AES_KEY']
const CORP = [...APP, ...CALLBACK]
const MODES: readonly DingTalkMode[] = ['http', 'stream', 'both']
const SUITE = [
  'DINGTALK_SUITE_KEY',
  'DINGTALK_SUITE_SECRET',
  'DINGTALK_SUITE_TOKEN',
  'DINGTALK_SUITE_AES_KEY',
]

function required(env: Env, names: readonly string[]): (name: string) => string {
  const missing = names.filter((name) => !env[name])
  if (missing.length > 0) throw new Error(`Missing environment variables: ${missing.join(', ')}`)
  return (name) => env[name] ?? ''
}

/** The example's configuration from environment variables (see README); none set → the bundled emulator. */
export function configFromEnv(env: Env): ExampleConfig {
  const config: ExampleConfig = { port: env.PORT ? Number(env.PORT) : 3000 }
  if (env.DINGTALK_MODE) {
    if (!MODES.includes(env.DINGTALK_MODE as DingTalkMode))
      throw new Error(`DINGTALK_MODE must be one of ${MODES.join(', ')}`)
    config.mode = env.DINGTALK_MODE as DingTalkMode
  }
  if (env.HOST) config.host = env.HOST
  if (env.DRAIN_TIMEOUT_MS) config.drainTimeoutMs = Number(env.DRAIN_TIMEOUT_MS)
  if (env.PUBLIC_URL) config.publicUrl = env.PUBLIC_URL
  if (env.SESSION_SECRET) config.sessionSecret = env.SESSION_SECRET
  if (env.DINGTALK_ALLOWED_ORIGINS)
    config.allowedOrigins = env.DINGTALK_ALLOWED_ORIGINS.split(',').map((s) => s.trim())
  if (env.DINGTALK_REGISTER_CALLBACK) config.registerCallback = env.DINGTALK_REGISTER_CALLBACK === 'true'
  if (![...CORP, ...SUITE].some((name) => env[name])) return config
  // Stream mode needs no callback: its token and key are optional there.
  const get = required(env, config.mode === 'stream' ? APP : CORP)
  const settings: DingTalkSettings = {
    appKey: get('DINGTALK_APP_KEY'),
    appSecret: get('DINGTALK_APP_SECRET'),
    corpId: get('DINGTALK_CORP_ID'),
  }
  if (env.DINGTALK_CALLBACK_TOKEN) settings.callbackToken = env.DINGTALK_CALLBACK_TOKEN
  if (env.DINGTALK_CALLBACK_AES_KEY) settings.callbackAesKey = env.DINGTALK_CALLBACK_AES_KEY
  if (env.DINGTALK_BASE_URL) settings.baseUrl = env.DINGTALK_BASE_URL
  if (env.DINGTALK_API_BASE_URL) settings.apiBaseUrl = env.DINGTALK_API_BASE_URL
  if (env.DINGTALK_AGENT_ID) settings.agentId = Number(env.DINGTALK_AGENT_ID)
  if (SUITE.some((name) => env[name])) {
    const suite = required(env, SUITE)
    settings.suite = {
      suiteKey: suite('DINGTALK_SUITE_KEY'),
      suiteSecret: suite('DINGTALK_SUITE_SECRET'),
      token: suite('DINGTALK_SUITE_TOKEN'),
      aesKey: suite('DINGTALK_SUITE_AES_KEY'),
    }
  }
  return { ...config, dingtalk: settings }
}
