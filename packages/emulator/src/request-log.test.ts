import { describe, expect, it } from 'vitest'
import { redactBody, redactQuery } from './request-log'

describe('request log redaction', () => {
  it('replaces secret query parameters and body fields at any depth', () => {
    expect(redactQuery(new URLSearchParams('access_token=t&userid=u&appsecret=s'))).toEqual({
      access_token: '***',
      userid: 'u',
      appsecret: '***',
    })
    expect(redactBody({ suite_key: 'k', suite_secret: 's', list: [{ permanent_code: 'p', n: 1 }] })).toEqual({
      suite_key: 'k',
      suite_secret: '***',
      list: [{ permanent_code: '***', n: 1 }],
    })
  })
})
