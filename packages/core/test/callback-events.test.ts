import { pushEvent } from '@dingtalk-kit/emulator'
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest'
import {
  createCallbackHandler,
  type DingTalkEvent,
  type DingTalkEventType,
  type EventContext,
  KNOWN_EVENT_TYPES,
  memoryStore,
  parseEvents,
} from '../src/index'
import { AES_KEY, CORP_ID, type HandlerServer, serveHandler, TOKEN } from './callback-helpers'

type Known = Exclude<DingTalkEventType, 'unknown' | 'robot_message' | 'card_callback'>
const T = 1700000000000

// One payload per EventType with the fields and casing of reference §2.2 / §2.3.
const SAMPLES: Record<Exclude<Known, 'org_suite_auth'>, Record<string, unknown>> = {
  check_url: { EventType: 'check_url' },
  user_add_org: { EventType: 'user_add_org', TimeStamp: T, UserId: ['u1', 'u2'], CorpId: CORP_ID },
  user_modify_org: { EventType: 'user_modify_org', TimeStamp: String(T), UserId: ['u1'], CorpId: CORP_ID },
  user_leave_org: { EventType: 'user_leave_org', TimeStamp: T, UserId: ['u3'], CorpId: CORP_ID },
  user_active_org: { EventType: 'user_active_org', TimeStamp: T, UserId: ['u4'], CorpId: CORP_ID },
  org_admin_add: { EventType: 'org_admin_add', TimeStamp: T, UserId: ['u1'], CorpId: CORP_ID },
  org_admin_remove: { EventType: 'org_admin_remove', TimeStamp: T, UserId: ['u1'], CorpId: CORP_ID },
  org_dept_create: { EventType: 'org_dept_create', TimeStamp: T, DeptId: [12], CorpId: CORP_ID },
  org_dept_modify: { EventType: 'org_dept_modify', TimeStamp: T, DeptId: ['13'], CorpId: CORP_ID },
  org_dept_remove: { EventType: 'org_dept_remove', TimeStamp: T, DeptId: [14, '15'], CorpId: CORP_ID },
  org_remove: { EventType: 'org_remove', TimeStamp: T, CorpId: CORP_ID },
  org_change: { EventType: 'org_change', TimeStamp: T, CorpId: CORP_ID },
  label_user_change: {
    EventType: 'label_user_change',
    CorpId: CORP_ID,
    UserIdList: ['u1'],
    LabelIdList: [1001],
    action: 'add',
    TimeStamp: '1640670965490',
  },
  label_conf_add: { EventType: 'label_conf_add', CorpId: CORP_ID, LabelIdList: [1], TimeStamp: T },
  label_conf_modify: { EventType: 'label_conf_modify', CorpId: CORP_ID, LabelIdList: [1], TimeStamp: T },
  label_conf_del: { EventType: 'label_conf_del', CorpId: CORP_ID, LabelIdList: [1], TimeStamp: T },
  chat_add_member: {
    EventType: 'chat_add_member',
    ChatId: 'chat1',
    UserId: ['u1'],
    Operator: 'u0',
    CorpId: CORP_ID,
  },
  chat_remove_member: { EventType: 'chat_remove_member', ChatId: 'chat1', UserId: ['u1'], CorpId: CORP_ID },
  chat_quit: { EventType: 'chat_quit', ChatId: 'chat1', UserId: ['u1'], CorpId: CORP_ID },
  chat_update_owner: { EventType: 'chat_update_owner', ChatId: 'chat1', Owner: 'u2', CorpId: CORP_ID },
  chat_update_title: { EventType: 'chat_update_title', ChatId: 'chat1', Title: '新群名', CorpId: CORP_ID },
  chat_disband: { EventType: 'chat_disband', ChatId: 'chat1', Operator: 'u0', CorpId: CORP_ID },
  chat_disband_microapp: {
    EventType: 'chat_disband_microapp',
    ChatId: 'chat1',
    agentId: 123,
    CorpId: CORP_ID,
  },
  bpms_task_change: {
    EventType: 'bpms_task_change',
    processInstanceId: 'pi-1',
    corpId: CORP_ID,
    createTime: T,
    title: '请假',
    type: 'finish',
    staffId: 'u1',
    taskId: 9001,
    result: 'agree',
    processCode: 'PROC-1',
  },
  bpms_instance_change: {
    EventType: 'bpms_instance_change',
    processInstanceId: 'pi-1',
    corpId: CORP_ID,
    createTime: T,
    finishTime: T + 1,
    title: '请假',
    type: 'finish',
    staffId: 'u1',
    url: 'https://aflow.dingtalk.com/x',
    result: 'refuse',
  },
  check_in: { EventType: 'check_in', CorpId: CORP_ID, TimeStamp: T, StaffId: 'u1' },
  attendance_check_record: { EventType: 'attendance_check_record', CorpId: CORP_ID, DataList: [] },
  attendance_schedule_change: { EventType: 'attendance_schedule_change', CorpId: CORP_ID },
  attendance_overtime_duration: { EventType: 'attendance_overtime_duration', CorpId: CORP_ID },
  meetingroom_book: { EventType: 'meetingroom_book', CorpId: CORP_ID },
  meetingroom_room_info: { EventType: 'meetingroom_room_info', CorpId: CORP_ID },
  check_create_suite_url: {
    EventType: 'check_create_suite_url',
    Random: 'LPIdSnlF',
    TestSuiteKey: 'suite4xxxxxxxxxxxxxxx',
  },
  check_update_suite_url: { EventType: 'check_update_suite_url', Random: 'brdkKLMW', TestSuiteKey: CORP_ID },
  suite_ticket: {
    SuiteKey: 'suitekey1',
    EventType: 'suite_ticket',
    TimeStamp: String(T),
    SuiteTicket: 'tkt',
  },
  tmp_auth_code: {
    SuiteKey: 'suitekey1',
    EventType: 'tmp_auth_code',
    TimeStamp: String(T),
    AuthCode: 'code',
  },
  change_auth: { SuiteKey: 'suitekey1', EventType: 'change_auth', TimeStamp: T, AuthCorpId: 'dingother' },
  suite_relieve: {
    EventType: 'suite_relieve',
    SuiteKey: 'suitekey1',
    TimeStamp: '12351458245',
    AuthCorpId: 'd1',
  },
  check_suite_license_code: {
    EventType: 'check_suite_license_code',
    TimeStamp: T,
    SuiteKey: 'suitekey1',
    AuthCorpId: 'd1',
    LicenseCode: 'LIC-1',
  },
  market_buy: {
    EventType: 'market_buy',
    SuiteKey: 'suitekey1',
    buyCorpId: 'd1',
    corpId: 'd1',
    goodsCode: 'G1',
    itemCode: 'I1',
    subQuantity: 10,
    orderId: 42,
    paidtime: T,
    payFee: 990,
  },
  org_micro_app_stop: {
    EventType: 'org_micro_app_stop',
    SuiteKey: 'suitekey1',
    AuthCorpId: 'd1',
    AgentId: 7,
  },
  org_micro_app_remove: { EventType: 'org_micro_app_remove', SuiteKey: 'suitekey1', AuthCorpId: 'd1' },
  org_micro_app_restore: { EventType: 'org_micro_app_restore', SuiteKey: 'suitekey1', AuthCorpId: 'd1' },
}

const syncPush = (items: Array<{ bizType: number; corpId: string; data: Record<string, unknown> }>) => ({
  EventType: 'SYNC_HTTP_PUSH_HIGH',
  bizData: items.map((item, i) => ({
    gmt_create: T + i,
    biz_type: item.bizType,
    open_cursor: 0,
    subscribe_id: '7000001_0',
    id: 100 + i,
    gmt_modified: T + i,
    biz_id: '7000001',
    biz_data: JSON.stringify(item.data),
    corp_id: item.corpId,
    status: 0,
  })),
})

describe('every event type through the emulator pusher', () => {
  const seen: Array<{ event: DingTalkEvent; context: EventContext }> = []
  const anySeen: string[] = []
  const handler = createCallbackHandler({
    token: TOKEN,
    aesKey: AES_KEY,
    receiveId: CORP_ID,
    store: memoryStore(),
    checkLicenseCode: (event) => event.LicenseCode === 'LIC-1',
  })
  for (const type of KNOWN_EVENT_TYPES)
    handler.on(type, (event, context) => void seen.push({ event, context }))
  handler.onAny((event) => void anySeen.push(event.EventType))
  let server: HandlerServer

  beforeAll(async () => {
    server = await serveHandler(handler)
  })
  afterAll(async () => {
    await handler.idle()
    await server.close()
  })

  it('has a sample for every typed event', () => {
    expect(new Set([...Object.keys(SAMPLES), 'org_suite_auth'])).toEqual(new Set(KNOWN_EVENT_TYPES))
  })

  for (const [type, sample] of Object.entries(SAMPLES)) {
    for (const queryStyle of ['legacy', 'new'] as const) {
      it(`${type} (${queryStyle} query) is typed, handled once, and answered as DingTalk expects`, async () => {
        const before = seen.length
        const receiveId = type === 'check_create_suite_url' ? 'suite4xxxxxxxxxxxxxxx' : CORP_ID
        const result = await pushEvent({
          url: server.url,
          token: TOKEN,
          aesKey: AES_KEY,
          receiveId,
          event: { ...sample, eventId: `${type}-${queryStyle}` },
          queryStyle,
        })
        expect(result.attempts.map((a) => a.reason ?? 'ok')).toEqual(['ok'])
        expect(result.ok).toBe(true)
        const delivered = seen.slice(before)
        expect(delivered).toHaveLength(1)
        const { event, context } = delivered[0]!
        expect(event.EventType).toBe(type)
        for (const [field, value] of Object.entries(sample)) {
          expect((event as unknown as Record<string, unknown>)[field]).toEqual(value)
        }
        expect(context.receiveId).toBe(receiveId)
        expect(anySeen.at(-1)).toBe(type)
      })
    }
  }

  it('answers a licence code the hook rejects with something other than success', async () => {
    const result = await pushEvent({
      url: server.url,
      token: TOKEN,
      aesKey: AES_KEY,
      receiveId: CORP_ID,
      event: { ...SAMPLES.check_suite_license_code, LicenseCode: 'FORGED' },
    })
    expect(result.ok).toBe(false)
    expect(result.attempts[0]?.reply).toBe('invalid')
  })

  it('normalises SYNC_HTTP_PUSH_HIGH items into the same typed events', async () => {
    const before = seen.length
    const event = syncPush([
      { bizType: 2, corpId: CORP_ID, data: { syncAction: 'suite_ticket', suiteTicket: 'sync-ticket' } },
      {
        bizType: 4,
        corpId: 'dingauthcorp',
        data: {
          syncAction: 'org_suite_auth',
          permanent_code: 'perm',
          auth_corp_info: { corpid: 'dingauthcorp', corp_name: 'X' },
        },
      },
      { bizType: 13, corpId: 'dingauthcorp', data: { syncAction: 'user_add_org', userid: 'u9', name: 'N' } },
      { bizType: 14, corpId: 'dingauthcorp', data: { syncAction: 'org_dept_remove', id: 77 } },
      { bizType: 4, corpId: 'dingauthcorp', data: { syncAction: 'org_suite_relieve' } },
      { bizType: 99, corpId: 'dingauthcorp', data: { syncAction: 'something_new' } },
    ])
    const result = await pushEvent({
      url: server.url,
      token: TOKEN,
      aesKey: AES_KEY,
      receiveId: CORP_ID,
      event,
    })
    expect(result.ok).toBe(true)
    const delivered = seen.slice(before).map((s) => s.event)
    expect(delivered.map((e) => e.EventType)).toEqual([
      'suite_ticket',
      'org_suite_auth',
      'user_add_org',
      'org_dept_remove',
      'suite_relieve',
    ])
    expect(delivered[0]).toMatchObject({ SuiteTicket: 'sync-ticket', SuiteKey: CORP_ID })
    expect(delivered[1]).toMatchObject({ CorpId: 'dingauthcorp', permanent_code: 'perm' })
    expect(delivered[2]).toMatchObject({ CorpId: 'dingauthcorp', UserId: ['u9'] })
    expect(delivered[3]).toMatchObject({ CorpId: 'dingauthcorp', DeptId: [77] })
    expect(delivered[4]).toMatchObject({ AuthCorpId: 'dingauthcorp' })
    expect(anySeen.at(-1)).toBe('unknown')
    expect(seen.slice(before)[2]!.context.sync?.bizData).toMatchObject({ name: 'N' })

    // A re-push of the same SYNC push runs nothing again.
    const again = await pushEvent({
      url: server.url,
      token: TOKEN,
      aesKey: AES_KEY,
      receiveId: CORP_ID,
      event,
    })
    expect(again.ok).toBe(true)
    expect(seen.length - before).toBe(5)
  })
})

describe('parseEvents', () => {
  it('turns unknown types, untyped fields and non-JSON into the unknown case with the raw payload', () => {
    const [a] = parseEvents('{"EventType":"brand_new","x":1}')
    expect(a?.event).toEqual({
      EventType: 'unknown',
      rawEventType: 'brand_new',
      raw: { EventType: 'brand_new', x: 1 },
      reason: 'unknown EventType',
    })
    const [b] = parseEvents({ EventType: 'user_add_org', UserId: 'u1', CorpId: 'c' })
    expect(b?.event).toMatchObject({
      EventType: 'unknown',
      reason: 'user_add_org: field "UserId" is not a string[]',
    })
    expect(parseEvents('not json')[0]?.event).toMatchObject({ EventType: 'unknown', reason: 'not JSON' })
    expect(parseEvents('[1]')[0]?.event).toMatchObject({ EventType: 'unknown', reason: 'not a JSON object' })
    expect(parseEvents('{"TimeStamp":1}')[0]?.event).toMatchObject({ reason: 'no EventType string' })
    expect(parseEvents('{"EventType":"SYNC_HTTP_PUSH_MEDIUM","bizData":[]}')[0]?.event.EventType).toBe(
      'unknown',
    )
  })

  it('trims the stray spaces of the 2016 samples and accepts numbers or strings for TimeStamp', () => {
    const [a] = parseEvents({ EventType: ' tmp_auth_code', SuiteKey: 's', AuthCode: 'c', TimeStamp: '1' })
    expect(a?.event.EventType).toBe('tmp_auth_code')
    const [b] = parseEvents({ EventType: 'suite_ticket ', SuiteKey: 's', SuiteTicket: 't', TimeStamp: 1 })
    expect(b?.event.EventType).toBe('suite_ticket')
    const [c] = parseEvents({ EventType: 'org_remove', CorpId: 'c', TimeStamp: { x: 1 } })
    expect(c?.event.EventType).toBe('unknown')
  })

  it('types handlers by event type', () => {
    const handler = createCallbackHandler({ token: TOKEN, aesKey: AES_KEY, receiveId: CORP_ID })
    handler.on('user_add_org', (e) => {
      expectTypeOf(e.UserId).toEqualTypeOf<string[]>()
      expectTypeOf(e.CorpId).toEqualTypeOf<string>()
      expectTypeOf(e.EventType).toEqualTypeOf<'user_add_org'>()
    })
    handler.on('suite_ticket', (e) => expectTypeOf(e.SuiteTicket).toEqualTypeOf<string>())
    handler.on('bpms_instance_change', (e) => expectTypeOf(e.processInstanceId).toEqualTypeOf<string>())
    handler.on('org_dept_create', (e) => expectTypeOf(e.DeptId).toEqualTypeOf<Array<number | string>>())
    handler.on('unknown', (e) => expectTypeOf(e.raw).toEqualTypeOf<unknown>())
    handler.onAny((e) => {
      if (e.EventType === 'chat_update_title') expectTypeOf(e.Title).toEqualTypeOf<string | undefined>()
    })
    // @ts-expect-error: user_add_org has no SuiteTicket
    handler.on('user_add_org', (e) => e.SuiteTicket)
    // @ts-expect-error: not an event type
    handler.on('user_add', () => {})
    const off = handler.on('user_add_org', (e) => e.UserId)
    expectTypeOf(off).toEqualTypeOf<() => void>()
    expect(typeof off).toBe('function')
  })
})
