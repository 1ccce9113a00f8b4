import { describe, expect, it } from 'vitest'
import { app, corp, corpToken, emulatorPerTest } from './helpers'

const run = emulatorPerTest()

const BATCH_SEND = '/v1.0/robot/oToMessages/batchSend'

async function v1(
  path: string,
  init: { method?: string; token?: string; body?: unknown; contentType?: string } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = { 'Content-Type': init.contentType ?? 'application/json' }
  if (init.token !== undefined) headers['x-acs-dingtalk-access-token'] = init.token
  const res = await fetch(`${run.emu.url}${path}`, {
    method: init.method ?? 'POST',
    headers,
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

const message = {
  robotCode: app.appKey,
  userIds: ['zhangsan', 'nobody'],
  msgKey: 'sampleText',
  msgParam: JSON.stringify({ content: '你好' }),
}

describe('api.dingtalk.com (v1.0) on the same port', () => {
  it('takes the oapi access_token in x-acs-dingtalk-access-token and records a robot message', async () => {
    const token = await corpToken(run.emu.url)
    const { status, body } = await v1(BATCH_SEND, { token, body: message })
    expect(status).toBe(200)
    expect(body).toMatchObject({ invalidStaffIdList: ['nobody'], flowControlledStaffIdList: [] })
    expect(body.processQueryKey).toEqual(expect.any(String))
    expect(body.errcode).toBeUndefined()
    expect(run.emu.state.robotMessages).toEqual([
      expect.objectContaining({
        corpId: corp.corpId,
        robotCode: app.appKey,
        userIds: ['zhangsan', 'nobody'],
        msgKey: 'sampleText',
        msgParam: { content: '你好' },
        invalidUserIds: ['nobody'],
        processQueryKey: body.processQueryKey,
      }),
    ])
    expect(run.emu.count(BATCH_SEND)).toBe(1)
    expect(JSON.stringify(run.emu.log)).not.toContain(token)
  })

  it('answers token failures in the v1.0 shape: 400 without a token, 401 for an unknown or expired one', async () => {
    const missing = await v1(BATCH_SEND, { body: message })
    expect(missing.status).toBe(400)
    expect(missing.body).toMatchObject({ code: 'MissingacsDingtalkAccessToken' })
    expect(missing.body.requestid).toEqual(expect.any(String))
    expect(await v1(BATCH_SEND, { token: 'not-a-token', body: message })).toMatchObject({
      status: 401,
      body: { code: 'InvalidAuthentication', message: '不合法的access_token' },
    })
    const token = await corpToken(run.emu.url)
    run.emu.expireTokens()
    expect((await v1(BATCH_SEND, { token, body: message })).status).toBe(401)
    expect(run.emu.log.at(-1)).toMatchObject({ path: BATCH_SEND, status: 401, code: 'InvalidAuthentication' })
    expect(run.emu.state.robotMessages).toHaveLength(0)
  })

  it('refuses msgParam as an object (HTTP 400, like DingTalk) and missing or unknown parameters', async () => {
    const token = await corpToken(run.emu.url)
    const object = await v1(BATCH_SEND, { token, body: { ...message, msgParam: { content: 'x' } } })
    expect(object).toMatchObject({ status: 400, body: { code: 'InvalidParameter' } })
    expect(String(object.body.message)).toContain('msgParam')
    const { robotCode: _, ...noRobot } = message
    expect(await v1(BATCH_SEND, { token, body: noRobot })).toMatchObject({
      status: 400,
      body: { code: 'MissingrobotCode' },
    })
    expect((await v1(BATCH_SEND, { token, body: { ...message, robotCode: 'dingunknown' } })).status).toBe(400)
    expect((await v1(BATCH_SEND, { token, body: { ...message, userIds: [] } })).body.code).toBe(
      'MissinguserIds',
    )
    expect((await v1(BATCH_SEND, { token, body: message, contentType: 'text/plain' })).status).toBe(400)
    expect(run.emu.state.robotMessages).toHaveLength(0)
  })

  it('an unknown path or method is 404 InvalidAction.NotFound', async () => {
    const token = await corpToken(run.emu.url)
    expect(await v1('/v1.0/robot/nothing', { token, body: {} })).toMatchObject({
      status: 404,
      body: { code: 'InvalidAction.NotFound' },
    })
    expect((await v1(BATCH_SEND, { token, method: 'GET' })).status).toBe(404)
  })

  it('rate limits answer 403 with QpsLimit in the code, per window of the emulator clock', async () => {
    await run.restart({ rateLimits: [{ route: BATCH_SEND, limit: 2, windowMs: 1000 }] })
    const token = await corpToken(run.emu.url)
    expect((await v1(BATCH_SEND, { token, body: message })).status).toBe(200)
    expect((await v1(BATCH_SEND, { token, body: message })).status).toBe(200)
    const limited = await v1(BATCH_SEND, { token, body: message })
    expect(limited).toMatchObject({ status: 403, body: { code: 'Forbidden.AccessDenied.QpsLimitForApi' } })
    run.clock.advance(1000)
    expect((await v1(BATCH_SEND, { token, body: message })).status).toBe(200)
    expect(run.emu.state.robotMessages).toHaveLength(3)
  })

  it('faults apply: busy is a v1.0 503, http5xx the gateway page', async () => {
    const token = await corpToken(run.emu.url)
    run.emu.faults.inject({ route: BATCH_SEND, kind: 'busy' })
    expect(await v1(BATCH_SEND, { token, body: message })).toMatchObject({
      status: 503,
      body: { code: 'ServiceUnavailable' },
    })
    run.emu.faults.inject({ route: BATCH_SEND, kind: 'http5xx', status: 502 })
    const res = await fetch(`${run.emu.url}${BATCH_SEND}`, { method: 'POST' })
    expect(res.status).toBe(502)
    expect(await res.text()).toContain('Bad Gateway')
  })
})
