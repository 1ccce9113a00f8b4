import { describe, expect, it } from 'vitest'
import { configFromEnv } from './config'

const corp = {
  DINGTALK_APP_KEY: 'key',
  DINGTALK_APP_SECRET: 'secret',
  DINGTALK_CORP_ID: 'dingcorp',
  DINGTALK_CALLBACK_TOKEN: 'token',
  DINGTALK_CALLBACK_AES_KEY: 'a'.repeat(43),
}

describe('configFromEnv', () => {
  it('leaves DingTalk out (bundled emulator) when no credential is set', () => {
    expect(configFromEnv({ PORT: '8080' })).toEqual({ port: 8080 })
    expect(configFromEnv({}).dingtalk).toBeUndefined()
  })

  it('reads the corp app, the optional suite and the lists', () => {
    const config = configFromEnv({
      ...corp,
      DINGTALK_BASE_URL: 'http://127.0.0.1:9999',
      DINGTALK_AGENT_ID: '123',
      DINGTALK_SUITE_KEY: 'suite',
      DINGTALK_SUITE_SECRET: 'suite-secret',
      DINGTALK_SUITE_TOKEN: 'suite-token',
      DINGTALK_SUITE_AES_KEY: 'b'.repeat(43),
      DINGTALK_ALLOWED_ORIGINS: 'https://a.example, https://b.example',
      SESSION_KEYS: 'k1,k2',
      DINGTALK_REGISTER_CALLBACK: 'true',
    })
    expect(config).toMatchObject({
      port: 3000,
      allowedOrigins: ['https://a.example', 'https://b.example'],
      sessionKeys: ['k1', 'k2'],
      registerCallback: true,
      dingtalk: {
        baseUrl: 'http://127.0.0.1:9999',
        appKey: 'key',
        corpId: 'dingcorp',
        agentId: 123,
        suite: { suiteKey: 'suite', aesKey: 'b'.repeat(43) },
      },
    })
  })

  it('DINGTALK_MODE: stream needs no callback variables; an unknown mode is refused', () => {
    const app = { DINGTALK_APP_KEY: 'key', DINGTALK_APP_SECRET: 'secret', DINGTALK_CORP_ID: 'dingcorp' }
    expect(
      configFromEnv({ ...app, DINGTALK_MODE: 'stream', DINGTALK_API_BASE_URL: 'http://127.0.0.1:1' }),
    ).toMatchObject({
      mode: 'stream',
      dingtalk: { appKey: 'key', apiBaseUrl: 'http://127.0.0.1:1' },
    })
    expect(() => configFromEnv({ ...app, DINGTALK_MODE: 'both' })).toThrow(/DINGTALK_CALLBACK_TOKEN/)
    expect(() => configFromEnv({ DINGTALK_MODE: 'websocket' })).toThrow(
      'DINGTALK_MODE must be one of http, stream, both',
    )
  })

  it('names every missing variable once a credential is set, without echoing values', () => {
    expect(() => configFromEnv({ DINGTALK_APP_KEY: 'key', DINGTALK_APP_SECRET: 'top-secret' })).toThrow(
      'Missing environment variables: DINGTALK_CORP_ID, DINGTALK_CALLBACK_TOKEN, DINGTALK_CALLBACK_AES_KEY',
    )
    expect(() => configFromEnv({ ...corp, DINGTALK_SUITE_KEY: 'suite' })).toThrow(/DINGTALK_SUITE_SECRET/)
  })
})
