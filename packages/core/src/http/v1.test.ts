import { describe, expect, it } from 'vitest'
import { DingTalkHttpError, DingTalkRateLimitError } from '../errors/request-errors'
import { DingTalkV1ApiError } from '../errors/v1-api'
import { encodeBody } from './body'
import { Call, type Outcome } from './call'
import { Redactor } from './redact'
import { summariseCall } from './summary'
import { classifyV1, resolveApiBaseUrl } from './v1'

const redactor = new Redactor()
redactor.remember('TOKEN-abc-123')

function call(method: 'GET' | 'POST'): Call {
  const input = {
    method,
    path: '/v1.0/x',
    query: undefined,
    json: { a: 1 },
    form: undefined,
    idempotent: method === 'GET',
    timeoutMs: 1000,
    signal: undefined,
    responseType: 'json' as const,
  }
  const c = new Call(input, encodeBody(input.json, undefined), (it) =>
    summariseCall(it, 'https://api.dingtalk.com', undefined, redactor),
  )
  c.attempts = 1
  return c
}

const classify = (status: number, text: string, method: 'GET' | 'POST' = 'POST', withToken = true): Outcome =>
  classifyV1(call(method), text, status, withToken, redactor)

const error = (outcome: Outcome) => (outcome.kind === 'ok' ? undefined : outcome.error)

describe('v1.0 base URL', () => {
  it('api.dingtalk.com next to the default oapi base, the same origin next to any other, or as given', () => {
    expect(resolveApiBaseUrl({})).toBe('https://api.dingtalk.com')
    expect(resolveApiBaseUrl({ baseUrl: 'https://oapi.dingtalk.com/' })).toBe('https://api.dingtalk.com')
    expect(resolveApiBaseUrl({ baseUrl: 'http://127.0.0.1:4000/' })).toBe('http://127.0.0.1:4000')
    expect(
      resolveApiBaseUrl({ baseUrl: 'http://127.0.0.1:4000', apiBaseUrl: 'https://pre-api.dingtalk.com/' }),
    ).toBe('https://pre-api.dingtalk.com')
  })
})

describe('v1.0 answers', () => {
  it('2xx is the payload: an object, an array, or {} for an empty body', () => {
    expect(classify(200, '{"processQueryKey":"k"}')).toEqual({
      kind: 'ok',
      status: 200,
      body: { processQueryKey: 'k' },
    })
    expect(classify(200, '[1,2]')).toEqual({ kind: 'ok', status: 200, body: [1, 2] })
    expect(classify(204, '')).toEqual({ kind: 'ok', status: 204, body: {} })
  })

  it('a 2xx that is not JSON is a broken answer: repeated for a GET only', () => {
    expect(classify(200, '<html>', 'GET')).toMatchObject({ kind: 'retry', reason: 'INVALID_RESPONSE' })
    expect(classify(200, '<html>', 'POST').kind).toBe('fail')
  })

  it('401 and the token codes ask for a replay, only when a token was sent', () => {
    const rejected = classify(
      401,
      '{"code":"InvalidAuthentication","message":"不合法的access_token","requestid":"r"}',
    )
    expect(rejected.kind).toBe('token')
    expect(error(rejected)).toMatchObject({
      httpStatus: 401,
      apiCode: 'InvalidAuthentication',
      requestId: 'r',
    })
    expect(classify(400, '{"code":"InvalidAccessToken","message":"x"}').kind).toBe('token')
    expect(classify(401, '{"code":"InvalidAuthentication","message":"x"}', 'POST', false).kind).toBe('fail')
    expect(error(classify(401, ''))).toBeInstanceOf(DingTalkHttpError)
  })

  it('QpsLimit on 403 and any 429 are rate limits, retried even for a POST', () => {
    const limited = classify(
      403,
      '{"code":"Forbidden.AccessDenied.QpsLimitForApi","message":"m","requestid":"q"}',
    )
    expect(limited).toMatchObject({ kind: 'retry', reason: 'RATE_LIMITED' })
    expect(error(limited)).toBeInstanceOf(DingTalkRateLimitError)
    expect(error(limited)).toMatchObject({ apiCode: 'Forbidden.AccessDenied.QpsLimitForApi', requestId: 'q' })
    expect(classify(403, 'QpsLimit exceeded').kind).toBe('retry')
    expect(classify(429, 'Too Many Requests')).toMatchObject({ kind: 'retry', reason: 'RATE_LIMITED' })
    expect((error(classify(200, '{"status":1111,"punish":"deny"}')) as DingTalkRateLimitError).punished).toBe(
      true,
    )
    // §10: the punish page blocks the egress IP; another request only prolongs it.
    expect(classify(200, '{"status":1111,"punish":"deny"}').kind).toBe('fail')
  })

  it('other errors: DingTalkV1ApiError with the message scrubbed; 5xx repeated for a GET only', () => {
    const denied = classify(
      403,
      '{"code":"Forbidden.AccessDenied.AccessTokenPermissionDenied","message":"no TOKEN-abc-123"}',
    )
    expect(denied.kind).toBe('fail')
    expect(error(denied)).toBeInstanceOf(DingTalkV1ApiError)
    expect((error(denied) as DingTalkV1ApiError).apiMessage).toBe('no [redacted]')
    expect(error(denied)?.message).not.toContain('TOKEN-abc-123')
    expect(classify(500, '{"code":"InternalError","message":"x"}', 'GET')).toMatchObject({
      kind: 'retry',
      reason: 'HTTP_ERROR',
    })
    expect(classify(500, '{"code":"InternalError","message":"x"}', 'POST').kind).toBe('fail')
    expect(error(classify(502, '<html>bad gateway</html>', 'POST'))).toMatchObject({
      code: 'HTTP_ERROR',
      httpStatus: 502,
    })
  })
})

describe('"success": false inside a 2xx (§14.4)', () => {
  it('is a failure with DingTalk’s code and message, secrets removed', () => {
    const outcome = classify(
      200,
      '{"success":false,"errorCode":"param.invalid","errorMsg":"bad TOKEN-abc-123"}',
    )
    expect(outcome.kind).toBe('fail')
    const failure = error(outcome)
    expect(failure).toBeInstanceOf(DingTalkV1ApiError)
    expect(failure).toMatchObject({ httpStatus: 200, apiCode: 'param.invalid', apiMessage: 'bad [redacted]' })
  })

  it('without a code is still a failure; with QpsLimit in it, a rate limit to retry', () => {
    expect(error(classify(200, '{"success":false}'))).toMatchObject({ apiCode: 'UnsuccessfulResponse' })
    const limited = classify(200, '{"success":false,"errorCode":"QpsLimit","errorMsg":"slow down"}')
    expect(limited.kind).toBe('retry')
    expect(error(limited)).toBeInstanceOf(DingTalkRateLimitError)
  })

  it('"success": true and bodies without the field stay payloads', () => {
    expect(classify(200, '{"success":true,"result":[]}').kind).toBe('ok')
    expect(classify(200, '{"result":false}').kind).toBe('ok')
  })
})
