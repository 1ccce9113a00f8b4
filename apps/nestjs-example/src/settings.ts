import type { DingTalkTelemetry } from '@dingtalk-kit/otel'
/** Credentials of the corp app and, optionally, of an ISV suite. */
export interface DingTalkSettings {
  /** Default `https://oapi.dingtalk.com`. */
  baseUrl?: string
  appKey: string
  appSecret: string
  corpId: string
  agentId?: number
  callbackToken: string
  callbackAesKey: string
  suite?: { suiteKey: string; suiteSecret: string; token: string; aesKey: string }
}

/** How to run the example; every field is optional. */
export interface ExampleConfig {
  /** DingTalk credentials; without them a bundled emulator is started and its credentials are used. */
  dingtalk?: DingTalkSettings
  /** On close (SIGTERM): how long callbacks in flight may take to reply before connections are cut. Default 10 000 ms. */
  drainTimeoutMs?: number
  /** Default 3000 (0 = any free port). */
  port?: number
  /** Default `127.0.0.1`. */
  host?: string
  /** The URL DingTalk reaches this app at (callback registration); default the listening URL. */
  publicUrl?: string
  /** Page origins allowed to get a `dd.config` signature; default the public and listening origins. */
  allowedOrigins?: string[]
  /** Key signing the session cookie; default a random one (sessions end with the process). */
  sessionSecret?: string
  /** Register the corp callback at start-up (default: only with the bundled emulator). */
  registerCallback?: boolean
  /** OpenTelemetry (`DINGTALK_OTEL`, see telemetry.ts): the clients and the routes are observed. */
  telemetry?: DingTalkTelemetry
}

/** The injection token of the resolved settings (what `forRootAsync` builds the clients from). */
export const SETTINGS: unique symbol = Symbol('settings')

/** The settings once the app's origin is known. */
export interface ResolvedSettings {
  dingtalk: DingTalkSettings
  allowedOrigins: string[]
  sessionSecret: string
  /** Whether the session cookie gets `Secure` (the public URL is https). */
  secureCookie: boolean
}
