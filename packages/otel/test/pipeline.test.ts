// The trace carried from a Stream event into the API calls its handler makes; a callback measured against its
// deadline; store failures (timeouts) of the token cache and of de-duplication as metrics.
import { createDingTalkRoutes, DingTalkStoreError, type Store } from '@dingtalk-kit/core'
import { createStreamClient } from '@dingtalk-kit/stream'
import { SpanKind, SpanStatusCode } from '@opentelemetry/api'
import { expect, it } from 'vitest'
import { ATTRIBUTES as A, instrument, METRICS } from '../src/index'
import { app, callbackSecrets, newClient, org, startApp, useEmulator } from './app'
import { renderTree, total } from './helpers'

const env = useEmulator()
const { closers } = env

/** A store whose every operation times out, the way `redisStore` reports a Redis that does not answer. */
function timingOutStore(): Store {
  const fail = (operation: string) => () =>
    Promise.reject(
      new DingTalkStoreError('STORE_TIMEOUT', {
        store: 'test',
        operation,
        message: `${operation} timed out`,
      }),
    )
  return {
    get: fail('get'),
    set: fail('set'),
    delete: fail('delete'),
    setIfAbsent: fail('setIfAbsent'),
    deleteIfEquals: fail('deleteIfEquals'),
  }
}

it('a Stream event’s handler calls DingTalk: the call is a child of the event’s spans, in one trace', async () => {
  const t = env.telemetry()
  const client = newClient(env.emu)
  const routes = createDingTalkRoutes({ client, callback: { ...callbackSecrets, logger: {} } })
  instrument({ client, routes, tracerProvider: t.tracerProvider, meterProvider: t.meterProvider })
  const stream = createStreamClient({
    clientId: app.appKey,
    clientSecret: app.appSecret,
    apiBaseUrl: env.emu.url,
    dispatcher: routes.dispatcher,
    logger: {},
  })
  closers.push(() => stream.close())
  const names: string[] = []
  routes.on('user_add_org', async (event) => {
    for (const userId of event.UserId) names.push((await client.contacts.users.get(userId)).name)
  })
  await stream.start()
  const delivery = env.emu.stream.event(
    app.appKey,
    'user_add_org',
    { userId: ['lisi'] },
    { eventId: 'otel-ctx' },
  )
  expect(await delivery.done).toMatchObject({ ok: true })
  expect(names).toEqual(['李四'])

  const spans = t.spans()
  const root = spans.find((s) => s.name === 'DingTalk stream user_add_org')!
  expect(root.kind).toBe(SpanKind.CONSUMER)
  expect(renderTree(spans, root)).toBe(
    [
      'DingTalk stream user_add_org',
      '  DingTalk handle user_add_org',
      '    DingTalk POST /topapi/v2/user/get',
      '      DingTalk refresh access_token',
      '        DingTalk GET /gettoken',
    ].join('\n'),
  )
  const call = spans.find((s) => s.name === 'DingTalk POST /topapi/v2/user/get')!
  const handler = spans.find((s) => s.name === 'DingTalk handle user_add_org')!
  expect(call.parentSpanContext?.spanId).toBe(handler.spanContext().spanId)
  expect(call.spanContext().traceId).toBe(root.spanContext().traceId)
})

it('measures a callback against its deadline: a handler past it makes the delivery `late`, usage above 1', async () => {
  const t = env.telemetry()
  const client = newClient(env.emu)
  const { routes } = await startApp(env.emu, client, closers, { tuning: { deadlineMs: 300 } })
  instrument({ routes, tracerProvider: t.tracerProvider, meterProvider: t.meterProvider })
  let finished = false
  routes.on('org_dept_create', async () => {
    await new Promise((resolve) => setTimeout(resolve, 1500))
    finished = true
  })
  const push = await env.emu.emitCorpEvent(org.corpId, 'org_dept_create', { DeptId: [7] })
  expect(push?.ok).toBe(true) // acknowledged at the deadline, before the handler finished
  expect(finished).toBe(false)
  await routes.dispatcher.idle()
  expect(finished).toBe(true)

  const delivery = t.spans().find((s) => s.name === 'DingTalk callback org_dept_create')!
  expect(delivery.attributes[A.outcome]).toBe('late')
  // What was left of the 300 ms when the delivery reached the pipeline (decryption and checks took the rest).
  expect(delivery.attributes[A.deadlineMs]).toBeGreaterThan(0)
  expect(delivery.attributes[A.deadlineMs]).toBeLessThanOrEqual(300)
  const handler = t.spans().find((s) => s.name === 'DingTalk handle org_dept_create')!
  expect(handler.attributes[A.handlerOutcome]).toBe('ok')
  const points = await t.points()
  const usage = points.find((p) => p.name === METRICS.deadlineUsage && p.attributes[A.outcome] === 'late')!
  expect(usage.value).toBe(1)
  expect(usage.sum).toBeGreaterThanOrEqual(1)
  expect(total(points, METRICS.deliveries, { [A.transport]: 'callback', [A.outcome]: 'late' })).toBe(1)
})

it('counts store timeouts of the token cache and of de-duplication by error type and use', async () => {
  const t = env.telemetry()
  const store = timingOutStore()
  const client = newClient(env.emu, store)
  const { routes } = await startApp(env.emu, client, closers, { store })
  instrument({ client, routes, tracerProvider: t.tracerProvider, meterProvider: t.meterProvider })
  routes.on('org_dept_create', () => {})

  // The access token works without the store (this instance refreshes alone); the failure is recorded.
  await client.contacts.users.get('lisi')
  const refresh = t.spans().find((s) => s.name === 'DingTalk refresh access_token')!
  expect(refresh.attributes).toMatchObject({ [A.tokenOutcome]: 'fetched', [A.errorType]: 'STORE_TIMEOUT' })
  // De-duplication cannot work without it: the callback asks DingTalk to re-push.
  env.emu.state.pushes.length = 0
  const push = await env.emu.emitCorpEvent(org.corpId, 'org_dept_create', { DeptId: [8] })
  expect(push?.ok).toBe(false)
  const delivery = t.spans().find((s) => s.name === 'DingTalk callback org_dept_create')!
  expect(delivery.status.code).toBe(SpanStatusCode.ERROR)
  expect(delivery.attributes[A.outcome]).toBe('retry')

  const points = await t.points()
  expect(
    total(points, METRICS.storeErrors, { [A.storeUse]: 'token', [A.errorType]: 'STORE_TIMEOUT' }),
  ).toBeGreaterThanOrEqual(1)
  expect(
    total(points, METRICS.storeErrors, { [A.storeUse]: 'events', [A.errorType]: 'STORE_TIMEOUT' }),
  ).toBeGreaterThanOrEqual(1)
})
