import { describe, expect, it } from 'vitest'
import {
  DingTalkApiError,
  DingTalkHttpError,
  DingTalkRateLimitError,
  type DingTalkRequestError,
} from '../errors/request-errors'
import { encodeBody } from './body'
import { Call, type Outcome } from './call'
import { classifyEnvelope } from './envelope'
import { Redactor } from './redact'
import { summariseCall } from './summary'

const redactor = new Redactor()
redactor.remember('TOKEN-abc-123')

function call(method: 'GET' | 'POST' = 'GET'): Call {
  const input = {
    method,
    path: '/x',
    query: { userid: 'u1' },
    json: undefined,
    form: undefined,
    idempotent: method === 'GET',
    timeoutMs: 1000,
    signal: undefined,
    responseType: 'json' as const,
  }
  const c = new Call(input, encodeBody(undefined, undefined), (it) =>
    summariseCall(it, 'https://oapi.dingtalk.com', 'dingcorp', redactor),
  )
  c.attempts = 1
  return c
}

const classify = (text: string, status = 200, method: 'GET' | 'POST' = 'GET', withToken = true): Outcome =>
  classifyEnvelope(call(method), text, status, withToken, redactor)

const errorOf = (outcome: Outcome): DingTalkRequestError => {
  if (outcome.kind === 'ok') throw new Error('expected an error outcome')
  return outcome.error
}

describe('oapi envelope (§9.1)', () => {
  it('errcode 0, a string "0" and a missing errcode are successes with the whole body', () => {
    expect(classify('{"errcode":0,"errmsg":"ok","a":1}')).toEqual({
      kind: 'ok',
      status: 200,
      body: { errcode: 0, errmsg: 'ok', a: 1 },
    })
    expect(classify('{"errcode":"0","v":2}').kind).toBe('ok')
    expect(classify('{"suite_access_token":"s"}').kind).toBe('ok')
  })

  it('token errcodes (§4.5) ask for a replay only when the call carried a token', () => {
    expect(classify('{"errcode":40014,"errmsg":"不合法的access_token"}').kind).toBe('token')
    expect(classify('{"errcode":88,"sub_code":"42001","errmsg":"x"}').kind).toBe('token')
    expect(classify('{"errcode":88,"sub_code":"60011","errmsg":"x"}').kind).toBe('fail')
    expect(classify('{"errcode":40014,"errmsg":"x"}', 200, 'GET', false).kind).toBe('fail')
  })

  it('-1 and rate limits are retried, even for a POST (§10)', () => {
    expect(classify('{"errcode":-1,"errmsg":"系统繁忙"}', 200, 'POST')).toMatchObject({
      kind: 'retry',
      reason: 'SYSTEM_BUSY',
    })
    const limited = classify('{"errcode":90018,"errmsg":"x","request_id":"r1"}', 200, 'POST')
    expect(limited).toMatchObject({ kind: 'retry', reason: 'RATE_LIMITED' })
    expect(errorOf(limited)).toBeInstanceOf(DingTalkRateLimitError)
    expect((errorOf(limited) as DingTalkRateLimitError).requestId).toBe('r1')
  })

  it('the punish page and a bare 429 are rate limits without an errcode; the punish page is final (§10)', () => {
    expect(classify('{"status":1111,"wait":5,"punish":"deny"}').kind).toBe('fail')
    expect(classify('<html>punish</html>').kind).toBe('fail')
    const punish = errorOf(classify('{"status":1111,"wait":5,"punish":"deny"}')) as DingTalkRateLimitError
    expect(punish.punished).toBe(true)
    expect(punish.errcode).toBeUndefined()
    expect((errorOf(classify('<html>punish</html>')) as DingTalkRateLimitError).punished).toBe(true)
    expect(classify('Too Many Requests', 429, 'POST')).toMatchObject({
      kind: 'retry',
      reason: 'RATE_LIMITED',
    })
  })

  it('5xx and broken bodies are transient: retried for a GET, final for a POST', () => {
    expect(classify('<html>502</html>', 502)).toMatchObject({ kind: 'retry', reason: 'HTTP_ERROR' })
    expect(classify('<html>502</html>', 502, 'POST').kind).toBe('fail')
    expect(classify('{"errcode":0', 200)).toMatchObject({ kind: 'retry', reason: 'INVALID_RESPONSE' })
    expect(errorOf(classify('', 200, 'POST')).message).toContain('an empty body')
  })

  it('a 4xx without an envelope and a non-numeric errcode fail at once', () => {
    const forbidden = errorOf(classify('forbidden', 403))
    expect(forbidden).toBeInstanceOf(DingTalkHttpError)
    expect(forbidden.httpStatus).toBe(403)
    expect(errorOf(classify('{"errcode":"abc"}')).code).toBe('INVALID_RESPONSE')
  })

  it('other errcodes fail with the envelope fields, the errmsg scrubbed of known secrets', () => {
    const error = errorOf(
      classify(
        '{"errcode":88,"sub_code":"60011","sub_msg":"无权限","errmsg":"bad TOKEN-abc-123","request_id":"q"}',
      ),
    ) as DingTalkApiError
    expect(error).toBeInstanceOf(DingTalkApiError)
    expect(error).toMatchObject({
      errcode: 88,
      subCode: '60011',
      subMsg: '无权限',
      requestId: 'q',
      httpStatus: 200,
    })
    expect(error.errmsg).toBe('bad [redacted]')
    expect(error.request).toMatchObject({
      api: 'https://oapi.dingtalk.com/x',
      params: { corpid: 'dingcorp', userid: 'u1' },
    })
  })
})
