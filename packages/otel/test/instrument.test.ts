import { createDingTalkRoutes, DingTalkApiError } from '@dingtalk-kit/core'
import { createStreamClient, type StreamClient, TOPIC_ROBOT } from '@dingtalk-kit/stream'
import { SpanKind, SpanStatusCode } from '@opentelemetry/api'
import { describe, expect, it, vi } from 'vitest'
import { ATTRIBUTES as A, instrument, METRICS } from '../src/index'
import { app, callbackSecrets, newClient as clientOn, org, startApp as startAppOn, useEmulator } from './app'
import { renderTree, total } from './helpers'

const env = useEmulator()
const { closers } = env

const newClient = () => clientOn(env.emu)
const startApp = (client: ReturnType<typeof newClient>) => startAppOn(env.emu, client, closers)

describe('instrument()', () => {
  it('traces one callback: callback → handler → API call → token refresh → gettoken', async () => {
    const t = env.telemetry()
    const client = newClient()
    const { routes } = await startApp(client)
    instrument({ client, routes, tracerProvider: t.tracerProvider, meterProvider: t.meterProvider })
    const names: string[] = []
    routes.on('user_add_org', async (event) => {
      for (const userId of event.UserId) names.push((await client.contacts.users.get(userId)).name)
    })
    t.reset()

    const push = await env.emu.emitCorpEvent(org.corpId, 'user_add_org', { UserId: ['lisi'] })
    expect(push?.ok).toBe(true)
    expect(names).toEqual(['李四'])

    const spans = t.spans()
    const root = spans.find((s) => s.name === 'DingTalk callback user_add_org')!
    expect(root.kind).toBe(SpanKind.SERVER)
    expect(renderTree(spans, root)).toBe(
      [
        'DingTalk callback user_add_org',
        '  DingTalk handle user_add_org',
        '    DingTalk POST /topapi/v2/user/get',
        '      DingTalk refresh access_token',
        '        DingTalk GET /gettoken',
      ].join('\n'),
    )
    expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1)
    expect(root.attributes).toMatchObject({
      [A.transport]: 'callback',
      [A.eventTypes]: ['user_add_org'],
      [A.eventCount]: 1,
      [A.duplicates]: 0,
      [A.outcome]: 'ack',
    })
    expect(root.attributes[A.deadlineMs]).toBeGreaterThan(0)
    const call = spans.find((s) => s.name === 'DingTalk POST /topapi/v2/user/get')!
    expect(call.kind).toBe(SpanKind.CLIENT)
    expect(call.attributes).toMatchObject({
      [A.api]: 'oapi',
      [A.method]: 'POST',
      [A.path]: '/topapi/v2/user/get',
      [A.status]: 200,
      [A.errcode]: 0,
      [A.attempts]: 1,
      [A.retries]: 0,
      [A.replayed]: false,
    })
    expect(call.attributes[A.requestId]).toEqual(expect.any(String))
    const refresh = spans.find((s) => s.name === 'DingTalk refresh access_token')!
    expect(refresh.attributes).toMatchObject({
      [A.tokenKind]: 'access_token',
      [A.tokenOutcome]: 'fetched',
      [A.tokenLease]: 'held',
    })

    const points = await t.points()
    expect(total(points, METRICS.deliveries, { [A.transport]: 'callback', [A.outcome]: 'ack' })).toBe(1)
    expect(total(points, METRICS.deadlineUsage, { [A.transport]: 'callback' })).toBe(1)
    expect(
      total(points, METRICS.handlerDuration, { [A.eventType]: 'user_add_org', [A.handlerOutcome]: 'ok' }),
    ).toBe(1)
    expect(total(points, METRICS.apiCalls, { [A.path]: '/topapi/v2/user/get', [A.errcode]: 0 })).toBe(1)
    expect(total(points, METRICS.apiDuration, { [A.path]: '/gettoken' })).toBe(1)
    expect(
      total(points, METRICS.tokenRefreshes, { [A.tokenKind]: 'access_token', [A.tokenOutcome]: 'fetched' }),
    ).toBe(1)
  })

  it('records the errcode of a failed call, a token replay and retries, as spans and metrics', async () => {
    const t = env.telemetry()
    const client = newClient()
    instrument({ client, tracerProvider: t.tracerProvider, meterProvider: t.meterProvider })
    await expect(client.contacts.users.get('nobody')).rejects.toBeInstanceOf(DingTalkApiError)
    env.emu.invalidateToken(await client.getAccessToken())
    env.emu.faults.inject({ route: '/topapi/v2/user/get', kind: 'busy', times: 1 })
    await client.contacts.users.get('lisi')

    const [failed, replayed] = t.spans().filter((s) => s.name === 'DingTalk POST /topapi/v2/user/get')
    expect(failed!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'errcode 60121' })
    expect(failed!.attributes).toMatchObject({ [A.errcode]: 60121, [A.errorType]: 'API_ERROR' })
    expect(replayed!.status.code).toBe(SpanStatusCode.UNSET)
    expect(replayed!.attributes).toMatchObject({ [A.replayed]: true, [A.attempts]: 3, [A.retries]: 1 })
    // The replay's refresh is traced beneath the call that needed it.
    const refreshes = t.spans().filter((s) => s.name === 'DingTalk refresh access_token')
    expect(refreshes.map((s) => s.parentSpanContext?.spanId)).toContain(replayed!.spanContext().spanId)

    const points = await t.points()
    expect(total(points, METRICS.apiErrors, { [A.errcode]: 60121, [A.errorType]: 'API_ERROR' })).toBe(1)
    expect(total(points, METRICS.apiRetries, { [A.path]: '/topapi/v2/user/get' })).toBe(1)
    expect(total(points, METRICS.tokenRefreshes, { [A.tokenKind]: 'access_token' })).toBe(2)
  })

  it('traces Stream events as CONSUMER spans of the shared pipeline; re-pushes and ACKs are counted', async () => {
    const t = env.telemetry()
    const client = newClient()
    const routes = createDingTalkRoutes({ client, callback: { ...callbackSecrets, logger: {} } })
    const telemetry = instrument({ routes, tracerProvider: t.tracerProvider, meterProvider: t.meterProvider })
    const stream: StreamClient = createStreamClient({
      clientId: app.appKey,
      clientSecret: app.appSecret,
      apiBaseUrl: env.emu.url,
      dispatcher: routes.dispatcher,
      hooks: telemetry.streamHooks,
      callbacks: { [TOPIC_ROBOT]: () => ({ ok: true }) },
      reconnect: { baseMs: 1, maxMs: 5 },
    })
    closers.push(() => stream.close())
    let handled = 0
    routes.on('org_dept_create', () => {
      handled++
    })
    await stream.start()
    const delivery = env.emu.stream.event(
      app.appKey,
      'org_dept_create',
      { deptId: [2] },
      { eventId: 'otel-e1' },
    )
    expect(await delivery.done).toMatchObject({ ok: true })
    const again = env.emu.stream.event(app.appKey, 'org_dept_create', { deptId: [2] }, { eventId: 'otel-e1' })
    expect(await again.done).toMatchObject({ ok: true })
    expect(handled).toBe(1)
    await env.emu.stream.callback(app.appKey, TOPIC_ROBOT, { msgId: 'm1', text: { content: 'hi' } }).done
    const [conn] = env.emu.stream.live(app.appKey)
    env.emu.stream.disconnect(conn!.id, { closeAfterMs: 10 })
    await vi.waitFor(() => expect(env.emu.stream.live(app.appKey).some((c) => c.id !== conn!.id)).toBe(true))

    const deliveries = t.spans().filter((s) => s.name === 'DingTalk stream org_dept_create')
    expect(deliveries.map((s) => [s.kind, s.attributes[A.outcome], s.attributes[A.duplicates]])).toEqual([
      [SpanKind.CONSUMER, 'ack', 0],
      [SpanKind.CONSUMER, 'duplicate', 1],
    ])
    expect(deliveries[0]!.attributes[A.deadlineMs]).toBeUndefined()
    const points = await t.points()
    expect(total(points, METRICS.duplicates, { [A.transport]: 'stream' })).toBe(1)
    expect(total(points, METRICS.streamRedeliveries, { [A.streamType]: 'EVENT' })).toBe(1)
    expect(total(points, METRICS.streamAcks, { [A.streamType]: 'EVENT', [A.streamStatus]: 'SUCCESS' })).toBe(
      2,
    )
    expect(
      total(points, METRICS.streamAcks, { [A.streamType]: 'CALLBACK', [A.streamStatus]: 'SUCCESS' }),
    ).toBe(1)
    expect(total(points, METRICS.streamDisconnects, { [A.byServer]: true })).toBe(1)
    expect(total(points, METRICS.streamReconnects)).toBe(1)
  })

  it('counts callbacks it rejects and a handler that fails; detach() stops every span and metric', async () => {
    const t = env.telemetry()
    const client = newClient()
    const { routes, url } = await startApp(client)
    const telemetry = instrument({ routes, tracerProvider: t.tracerProvider, meterProvider: t.meterProvider })
    routes.on('org_dept_create', () => {
      throw new Error('database down')
    })
    const rejected = await fetch(`${url}/dingtalk/callback?signature=x&timestamp=1&nonce=n`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ encrypt: 'bm90IGEgcmVhbCBtZXNzYWdl' }),
    })
    expect(rejected.status).toBeGreaterThanOrEqual(400)
    env.emu.state.pushes.length = 0
    const push = await env.emu.emitCorpEvent(org.corpId, 'org_dept_create', { DeptId: [3] })
    expect(push?.ok).toBe(false) // answered 503 every time: DingTalk gives up after its retries

    const failed = t.spans().filter((s) => s.name === 'DingTalk handle org_dept_create')
    expect(failed.length).toBeGreaterThan(0)
    expect(failed[0]!.attributes).toMatchObject({ [A.handlerOutcome]: 'error', [A.errorType]: 'Error' })
    const delivery = t.spans().find((s) => s.name === 'DingTalk callback org_dept_create')!
    expect(delivery.status.code).toBe(SpanStatusCode.ERROR)
    expect(delivery.attributes[A.outcome]).toBe('retry')
    const points = await t.points()
    expect(total(points, METRICS.eventErrors, { [A.errorType]: 'CALLBACK_REJECTED' })).toBe(1)
    expect(total(points, METRICS.eventErrors, { [A.errorType]: 'CALLBACK_HANDLER_FAILED' })).toBe(
      failed.length,
    )

    telemetry.detach()
    const before = t.spans().length
    await client.request({ path: '/department/list' })
    await routes.dispatcher.deliver([], { transport: 'callback', receiveId: org.corpId })
    expect(t.spans()).toHaveLength(before)
    expect(() => telemetry.add({ client })).toThrow(/detached/)
  })
})
