import type { DingTalkSettings, ExampleConfig } from './settings'

type Env = Readonly<Record<string, string | undefined>>

const CORP = [
  'DINGTALK_APP_KEY',
  'DINGTALK_APP_SECRET',
  'DINGTALK_CORP_ID',
  'DINGTALK_CALLBACK_TOKEN',
  'DINGTALK_CALLBACK_AES_KEY',
] as const
const SUITE = [
  'DINGTALK_SUITE_KEY',
  'DINGTALK_SUITE_SECRET',
  'DINGTALK_SUITE_TOKEN',
  'DINGTALK_SUITE_AES_KEY',
] as const

function pick<const N extends string>(env: Env, names: readonly N[]): Record<N, string> {
  const missing = names.filter((name) => !env[name])
  if (missing.length > 0) throw new Error(`Missing environment variables: ${missing.join(', ')}`)
  return Object.fromEntries(names.map((name) => [name, env[name]])) as Record<N, string>
}

/**
 * The example's configuration from environment variables (see the README). With no `DINGTALK_*` credential
 * set, `dingtalk` stays empty and the app runs against a bundled emulator.
 *
 * @example
 * ```ts
 * const running = await startApp(configFromEnv(process.env))
 * ```
 */
export function configFromEnv(env: Env): ExampleConfig {
  const config: ExampleConfig = { port: env.PORT ? Number(env.PORT) : 3000 }
  if (env.HOST) config.host = env.HOST
  if (env.DRAIN_TIMEOUT_MS) config.drainTimeoutMs = Number(env.DRAIN_TIMEOUT_MS)
  if (env.PUBLIC_URL) config.publicUrl = env.PUBLIC_URL
  if (env.SESSION_SECRET) config.sessionSecret = env.SESSION_SECRET
  const origins = env.DINGTALK_ALLOWED_ORIGINS?.split(',')
    .map((origin) => origin.trim())
    .filter(Boolean)
  if (origins?.length) config.allowedOrigins = origins
  if (env.DINGTALK_REGISTER_CALLBACK) config.registerCallback = env.DINGTALK_REGISTER_CALLBACK === 'true'
  if (![...CORP, ...SUITE].some((name) => env[name])) return config

  const corp = pick(env, CORP)
  const dingtalk: DingTalkSettings = {
    appKey: corp.DINGTALK_APP_KEY,
    appSecret: corp.DINGTALK_APP_SECRET,
    corpId: corp.DINGTALK_CORP_ID,
    callbackToken: corp.DINGTALK_CALLBACK_TOKEN,
    callbackAesKey: corp.DINGTALK_CALLBACK_AES_KEY,
  }
  if (env.DINGTALK_BASE_URL) dingtalk.baseUrl = env.DINGTALK_BASE_URL
  if (env.DINGTALK_AGENT_ID) dingtalk.agentId = Number(env.DINGTALK_AGENT_ID)
  if (SUITE.some((name) => env[name])) {
    const suite = pick(env, SUITE)
    dingtalk.suite = {
      suiteKey: suite.DINGTALK_SUITE_KEY,
      suiteSecret: suite.DINGTALK_SUITE_SECRET,
      token: suite.DINGTALK_SUITE_TOKEN,
      aesKey: suite.DINGTALK_SUITE_AES_KEY,
    }
  }
  return { ...config, dingtalk }
}
