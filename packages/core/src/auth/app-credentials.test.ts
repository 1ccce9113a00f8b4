import { describe, expect, it } from 'vitest'
import { createDingTalkClient } from '../client'
import { createSuiteClient } from '../suite/suite-client'
import { appCredentialsOf } from './app-credentials'

describe('appCredentialsOf', () => {
  it('gives the AppKey/AppSecret of an app client and the SuiteKey/SuiteSecret of a suite client', () => {
    const client = createDingTalkClient({ appKey: 'dingappkey', appSecret: 'app-secret-value' })
    const suite = createSuiteClient({ suiteKey: 'suitekey', suiteSecret: 'suite-secret-value' })
    expect(appCredentialsOf(client)).toEqual({ clientId: 'dingappkey', clientSecret: 'app-secret-value' })
    expect(appCredentialsOf(suite)).toEqual({ clientId: 'suitekey', clientSecret: 'suite-secret-value' })
  })

  it('has none for a corpSecret client, a suite’s corp client or anything else', () => {
    const suite = createSuiteClient({ suiteKey: 'suitekey', suiteSecret: 'suite-secret-value' })
    expect(
      appCredentialsOf(createDingTalkClient({ corpId: 'ding1', corpSecret: 'corp-secret' })),
    ).toBeUndefined()
    expect(appCredentialsOf(suite.forCorp('ding1'))).toBeUndefined()
    expect(appCredentialsOf({})).toBeUndefined()
    expect(appCredentialsOf(undefined)).toBeUndefined()
  })

  it('keeps the secret off the client object: nothing that serialises or inspects it finds the secret', () => {
    const client = createDingTalkClient({ appKey: 'dingappkey', appSecret: 'app-secret-value' })
    const seen = new Set<unknown>()
    const walk = (value: unknown): string[] => {
      if (value === null || typeof value !== 'object' || seen.has(value)) return [String(value)]
      seen.add(value)
      return Reflect.ownKeys(value).flatMap((key) => walk((value as Record<PropertyKey, unknown>)[key]))
    }
    expect(walk(client)).not.toContain('app-secret-value')
  })
})
