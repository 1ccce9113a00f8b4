import { describe, expect, expectTypeOf, it } from 'vitest'
import { DingTalkError } from './base'
import type { CallbackErrorCode } from './callback'
import { describeErrcode, errcodeCatalogue, isRateLimited, isTokenInvalid } from './catalogue'
import { DINGTALK_ERROR_CODES, type DingTalkErrorCode, type ErrorClassName, type ErrorCodeOf } from './codes'
import { credentialsErrorOf } from './credentials'
import type { CryptoErrorCode } from './crypto'
import type { LimitErrorCode } from './limit'
import { formatBeijingTime } from './problem-report'
import {
  DingTalkApiError,
  DingTalkCredentialsError,
  type DingTalkHttpError,
  DingTalkRateLimitError,
  DingTalkRequestError,
  type RequestSummary,
} from './request-errors'
import type { StoreErrorCode } from './store'
import type { DingTalkV1ApiError } from './v1-api'

const request: RequestSummary = {
  method: 'POST',
  api: 'https://oapi.dingtalk.com/topapi/v2/user/get',
  path: '/topapi/v2/user/get',
  params: { corpid: 'ding123', userid: 'manager|1' },
  time: new Date('2015-06-16T02:03:50Z'),
}

describe('errcode catalogue (§9.2, §4.5, §10)', () => {
  it('marks the token-invalid codes, including 88 with a token sub_code only', () => {
    for (const code of [40014, 42001, 40001, 33001]) expect(isTokenInvalid(code)).toBe(true)
    expect(isTokenInvalid(88, '40014')).toBe(true)
    expect(isTokenInvalid(88, '42001')).toBe(true)
    expect(isTokenInvalid(88, '60011')).toBe(false)
    expect(isTokenInvalid(88)).toBe(false)
    expect(isTokenInvalid(60011)).toBe(false)
  })

  it('marks 45009 and 90001–90019 as rate limits, not 90020', () => {
    expect(isRateLimited(45009)).toBe(true)
    for (let code = 90001; code <= 90019; code++) expect(isRateLimited(code)).toBe(true)
    expect(isRateLimited(90020)).toBe(false)
    expect(describeErrcode(90020)?.retryable).toBe(false)
  })

  it('-1 is retryable; ordinary errors are not', () => {
    expect(describeErrcode(-1)?.retryable).toBe(true)
    expect(describeErrcode(40035)?.retryable).toBe(false)
    expect(describeErrcode(123456)).toBeUndefined()
  })

  it('covers the ranges and is sorted', () => {
    const codes = errcodeCatalogue().map((e) => e.errcode)
    expect(codes).toEqual([...codes].sort((a, b) => a - b))
    for (const code of [52013, 71009, 900010, 50004, 70003, 43004, 430004]) expect(codes).toContain(code)
    expect(describeErrcode(52013)?.meaning).toContain('signature')
  })
})

describe('errors', () => {
  it('every error is a DingTalkError with an UPPER_SNAKE code', () => {
    const api = new DingTalkApiError({ errcode: 40035, errmsg: '不合法的参数', request, attempts: 1 })
    const limited = new DingTalkRateLimitError({ request, attempts: 4, punished: true })
    for (const error of [api, limited]) {
      expect(error).toBeInstanceOf(DingTalkError)
      expect(error).toBeInstanceOf(DingTalkRequestError)
      expect(error.code).toMatch(/^[A-Z_]+$/)
    }
    expect(api.message).toContain('/topapi/v2/user/get failed with errcode 40035')
    expect(limited.message).toContain('punish')
  })

  it('renders the FAQ problem report in its order, in Beijing time', () => {
    const error = new DingTalkApiError({
      errcode: -1,
      errmsg: '系统繁忙',
      requestId: 'req42',
      request,
      attempts: 4,
    })
    const report = error.problemReport({ company: '阿里巴巴', egressIp: '203.0.113.7' })
    const lines = report.split('\n')
    expect(lines[2]).toBe('| 企业完整名称 Company | 阿里巴巴 |')
    expect(lines[3]).toBe('| 访问接口的路径 API | https://oapi.dingtalk.com/topapi/v2/user/get |')
    expect(lines[4]).toBe('| 输入参数 Parameters | {"corpid":"ding123","userid":"manager\\|1"} |')
    expect(lines[5]).toBe('| 发起请求的服务器的外网IP地址 Egress IP | 203.0.113.7 |')
    expect(lines[6]).toBe('| 发起请求的时间点 Time | 2015-6-16 10:03:50 (UTC+8) |')
    expect(lines[7]).toBe('| 返回的错误结果 Result | errcode -1, errmsg 系统繁忙 |')
    expect(lines[8]).toBe('| request_id | req42 |')
  })

  it('formats Beijing time across the date line', () => {
    expect(formatBeijingTime(new Date('2024-12-31T16:00:05Z'))).toBe('2025-1-1 00:00:05 (UTC+8)')
  })
})

describe('the error-code catalogue', () => {
  it("types each class's code unions exactly as the catalogue lists them", () => {
    // Checked by tsc (the test files are type-checked): a code added to a class's union but not to the
    // catalogue, or listed under another class, fails the build.
    expectTypeOf<CallbackErrorCode>().toEqualTypeOf<ErrorCodeOf<'DingTalkCallbackError'>>()
    expectTypeOf<CryptoErrorCode>().toEqualTypeOf<ErrorCodeOf<'DingTalkCryptoError'>>()
    expectTypeOf<StoreErrorCode>().toEqualTypeOf<ErrorCodeOf<'DingTalkStoreError'>>()
    expectTypeOf<LimitErrorCode>().toEqualTypeOf<ErrorCodeOf<'DingTalkLimitError'>>()
    expectTypeOf<DingTalkV1ApiError['code']>().toEqualTypeOf<'API_ERROR'>()
    expectTypeOf<DingTalkHttpError['code']>().toEqualTypeOf<
      'HTTP_ERROR' | 'NETWORK_ERROR' | 'INVALID_RESPONSE'
    >()
    expectTypeOf<DingTalkError['code']>().toEqualTypeOf<DingTalkErrorCode>()
  })

  it('names only classes the kit exports, and every class carries at least one code', async () => {
    const core: Record<string, unknown> = await import('../index')
    const named = new Set(Object.values(DINGTALK_ERROR_CODES).flat())
    for (const name of named) {
      if (name === 'DingTalkStreamError') continue // @dingtalk-kit/stream's class, checked in its own tests
      expect(typeof core[name], name).toBe('function')
    }
    const classes = Object.keys(core).filter((name) => /^DingTalk\w*Error$/.test(name))
    expect(
      classes.filter((name) => !named.has(name as ErrorClassName) && name !== 'DingTalkRequestError'),
    ).toEqual([])
  })

  it('codes are UPPER_SNAKE', () => {
    for (const code of Object.keys(DINGTALK_ERROR_CODES))
      expect(code).toMatch(/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$|^TIMEOUT$/)
  })
})

describe('credentialsErrorOf: a failed token call as the credentials to check (§4.2, §4.4)', () => {
  const failed = (errcode: number): DingTalkApiError =>
    new DingTalkApiError({ errcode, errmsg: 'x', request, attempts: 1, requestId: 'r1' })
  it.each([
    [40096, 'app', ['appKey', 'appSecret']],
    [40035, 'app', ['appKey', 'appSecret']],
    [40001, 'app', ['appSecret']],
    [40089, 'corp', ['corpId', 'corpSecret']],
    [40035, 'corp', ['corpId', 'corpSecret']],
    [41002, 'corp', ['corpId']],
    [40088, 'suite', ['suiteKey', 'suiteSecret']],
    [853003, 'suite', ['suiteKey']],
    [853004, 'suite', ['suiteSecret']],
  ] as const)('%i on a %s token call names %j', (errcode, style, names) => {
    const error = credentialsErrorOf(failed(errcode), style)
    expect(error).toBeInstanceOf(DingTalkCredentialsError)
    expect((error as DingTalkCredentialsError).credentials).toEqual(names)
    expect((error as DingTalkCredentialsError).errcode).toBe(errcode)
    expect((error as DingTalkCredentialsError).requestId).toBe('r1')
    expect((error as Error).message).toContain(`check ${names.join(' or ')}`)
  })

  it('leaves every other error as it is', () => {
    for (const [errcode, style] of [
      [853005, 'suite'],
      [40035, 'suite'],
      [-1, 'app'],
      [90018, 'corp'],
    ] as const) {
      const original = failed(errcode)
      expect(credentialsErrorOf(original, style)).toBe(original)
    }
    const other = new Error('network')
    expect(credentialsErrorOf(other, 'app')).toBe(other)
  })
})
