import { randomBytes } from 'node:crypto'

/** Who an event is pushed to: a corp's registered callback (§2.2) or an ISV suite's callback (§2.3). */
export type EventScope = 'corp' | 'suite'

/** Values a payload is built from; every one can be changed with `--set` afterwards. */
export interface EventContext {
  corpId: string
  suiteKey: string
  now: number
}

/** One event `trigger` can push. */
export interface EventTemplate {
  type: string
  /** The pushed `EventType` when it differs from `type` (events that only arrive inside SYNC_HTTP pushes). */
  wire?: string
  scope: EventScope
  summary: string
  build(context: EventContext): Record<string, unknown>
}

/** The placeholder receive-id of a suite that is being created (§1.1, §2.3). */
export const SUITE_PLACEHOLDER = 'suite4xxxxxxxxxxxxxxx'

const alnum = (n: number): string => {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
  return [...randomBytes(n)].map((b) => chars[b % 62]).join('')
}

// §2.1: contact and chat events use PascalCase and a numeric TimeStamp, suite events a string one.
const contact =
  (ids: 'UserId' | 'DeptId' | undefined) =>
  ({ corpId, now }: EventContext): Record<string, unknown> => ({
    EventType: '',
    TimeStamp: now,
    ...(ids === 'UserId' ? { UserId: ['zhangsan', 'lisi'] } : ids === 'DeptId' ? { DeptId: [2] } : {}),
    CorpId: corpId,
  })

const chat =
  (extra: Record<string, unknown>) =>
  ({ corpId, now }: EventContext): Record<string, unknown> => ({
    EventType: '',
    TimeStamp: now,
    CorpId: corpId,
    ChatId: 'chat6c0a5b1e7d2f4c3a9b8e1d0f2a3b4c5d',
    Operator: 'zhangsan',
    ...extra,
  })

const approval =
  (kind: 'task' | 'instance') =>
  ({ corpId, now }: EventContext): Record<string, unknown> => ({
    EventType: '',
    processInstanceId: 'a1b2c3d4-e5f6-4a5b-8c7d-9e0f1a2b3c4d',
    corpId,
    createTime: now - 60_000,
    finishTime: now,
    title: '张三提交的请假',
    type: 'finish',
    staffId: 'zhangsan',
    ...(kind === 'task'
      ? { taskId: 61234567890, remark: '同意' }
      : { url: 'https://aflow.dingtalk.com/dingtalk/mobile/homepage.htm' }),
    result: 'agree',
    processCode: 'PROC-EF6YRO35P2-7MPMNW3BNO0R8DKYN8GX1-2EACCA7Y-6',
    bizCategoryId: '',
    businessId: '202401011200000123456',
  })

const suite =
  (fields: (context: EventContext) => Record<string, unknown>) =>
  (context: EventContext): Record<string, unknown> => ({
    SuiteKey: context.suiteKey,
    EventType: '',
    TimeStamp: String(context.now),
    ...fields(context),
  })

// §2.3: SyncHTTP pushes carry their events as JSON strings in bizData[].biz_data.
const syncHttp =
  (bizType: number, bizData: (context: EventContext) => Record<string, unknown>) =>
  (context: EventContext): Record<string, unknown> => ({
    EventType: '',
    bizData: [
      {
        gmt_create: context.now,
        biz_type: bizType,
        open_cursor: 0,
        subscribe_id: '7000001_0',
        id: 1,
        gmt_modified: context.now,
        biz_id: '7000001',
        biz_data: JSON.stringify({ ...bizData(context), syncSeq: '1' }),
        corp_id: bizType === 2 ? context.suiteKey : context.corpId,
        status: 0,
      },
    ],
  })

const corp = (type: string, summary: string, build: EventTemplate['build']): EventTemplate => ({
  type,
  scope: 'corp',
  summary,
  build,
})
const isv = (type: string, summary: string, build: EventTemplate['build']): EventTemplate => ({
  type,
  scope: 'suite',
  summary,
  build,
})

/** Every event of the protocol reference §2.2 and §2.3, with realistic payloads. */
export const EVENTS: readonly EventTemplate[] = [
  corp('check_url', 'URL check when a callback is registered or updated', () => ({ EventType: '' })),
  corp('user_add_org', 'users joined the organisation', contact('UserId')),
  corp('user_modify_org', 'users were changed', contact('UserId')),
  corp('user_leave_org', 'users left', contact('UserId')),
  corp('user_active_org', 'users activated their account', contact('UserId')),
  corp('org_admin_add', 'users became administrators', contact('UserId')),
  corp('org_admin_remove', 'users stopped being administrators', contact('UserId')),
  corp('org_dept_create', 'departments were created', contact('DeptId')),
  corp('org_dept_modify', 'departments were changed', contact('DeptId')),
  corp('org_dept_remove', 'departments were removed', contact('DeptId')),
  corp('org_remove', 'the organisation was dissolved', contact(undefined)),
  corp('org_change', 'the organisation’s information changed', contact(undefined)),
  corp('label_user_change', 'users’ roles changed', ({ corpId, now }) => ({
    EventType: '',
    CorpId: corpId,
    UserIdList: ['zhangsan'],
    LabelIdList: [1234567],
    action: 'add',
    TimeStamp: String(now),
  })),
  corp('label_conf_add', 'roles were added', ({ corpId, now }) => ({
    EventType: '',
    CorpId: corpId,
    LabelIdList: [1234567],
    TimeStamp: String(now),
  })),
  corp('label_conf_modify', 'roles were changed', ({ corpId, now }) => ({
    EventType: '',
    CorpId: corpId,
    LabelIdList: [1234567],
    TimeStamp: String(now),
  })),
  corp('label_conf_del', 'roles were deleted', ({ corpId, now }) => ({
    EventType: '',
    CorpId: corpId,
    LabelIdList: [1234567],
    TimeStamp: String(now),
  })),
  corp('chat_add_member', 'members were added to a group chat', chat({ UserId: ['wangwu'] })),
  corp('chat_remove_member', 'members were removed from a group chat', chat({ UserId: ['wangwu'] })),
  corp('chat_quit', 'members left a group chat', chat({ UserId: ['lisi'] })),
  corp('chat_update_owner', 'a group chat got a new owner', chat({ Owner: 'lisi' })),
  corp('chat_update_title', 'a group chat was renamed', chat({ Title: '研发部周会' })),
  corp('chat_disband', 'a group chat was disbanded', chat({})),
  corp('chat_disband_microapp', 'a micro-app’s group chat was disbanded', chat({ agentId: 100000001 })),
  corp('check_in', 'a user signed in (签到)', ({ corpId, now }) => ({
    EventType: '',
    TimeStamp: now,
    CorpId: corpId,
    StaffId: 'zhangsan',
  })),
  corp('bpms_task_change', 'an approval task changed', approval('task')),
  corp(
    'bpms_instance_change',
    'an approval instance started, finished or was terminated',
    approval('instance'),
  ),
  corp('attendance_check_record', 'attendance punches were recorded', ({ corpId, now }) => ({
    EventType: '',
    TimeStamp: now,
    CorpId: corpId,
    StaffId: 'zhangsan',
  })),
  corp('attendance_schedule_change', 'attendance schedules changed', ({ corpId, now }) => ({
    EventType: '',
    TimeStamp: now,
    CorpId: corpId,
    StaffId: 'zhangsan',
  })),
  corp('attendance_overtime_duration', 'overtime was recorded', ({ corpId, now }) => ({
    EventType: '',
    TimeStamp: now,
    CorpId: corpId,
    StaffId: 'zhangsan',
  })),
  corp('meetingroom_book', 'a meeting room was booked', ({ corpId, now }) => ({
    EventType: '',
    TimeStamp: now,
    CorpId: corpId,
  })),
  corp('meetingroom_room_info', 'meeting-room information changed', ({ corpId, now }) => ({
    EventType: '',
    TimeStamp: now,
    CorpId: corpId,
  })),
  isv('check_create_suite_url', 'URL check while a suite is created (reply: the Random value)', () => ({
    EventType: '',
    Random: alnum(8),
    TestSuiteKey: SUITE_PLACEHOLDER,
  })),
  isv(
    'check_update_suite_url',
    'URL check when a suite’s callback changes (reply: the Random value)',
    ({ suiteKey }) => ({
      EventType: '',
      Random: alnum(8),
      TestSuiteKey: suiteKey,
    }),
  ),
  isv(
    'suite_ticket',
    'the suite_ticket, pushed every 20 minutes',
    suite(() => ({ SuiteTicket: alnum(48) })),
  ),
  isv(
    'tmp_auth_code',
    'a corp authorised the suite',
    suite(() => ({ AuthCode: randomBytes(16).toString('hex') })),
  ),
  isv(
    'change_auth',
    'a corp changed its authorisation',
    suite(({ corpId }) => ({ AuthCorpId: corpId })),
  ),
  isv(
    'suite_relieve',
    'a corp removed the suite',
    suite(({ corpId }) => ({ AuthCorpId: corpId })),
  ),
  isv(
    'check_suite_license_code',
    'a licence code must be validated (reply success only if valid)',
    suite(({ corpId }) => ({ AuthCorpId: corpId, LicenseCode: 'LICENSE-2024-0001' })),
  ),
  isv('market_buy', 'a corp bought the app in the app market', ({ suiteKey, corpId, now }) => ({
    EventType: '',
    SuiteKey: suiteKey,
    buyCorpId: corpId,
    corpId,
    goodsCode: 'DT_GOODS_881642512345678',
    goodsName: '示例套件',
    itemCode: 'DT_GOODS_881642512345678_1',
    itemName: '标准版',
    subQuantity: 1,
    maxOfPeople: 100,
    minOfPeople: 1,
    orderId: 1234567890123,
    paidtime: now,
    serviceStopTime: now + 365 * 24 * 3600_000,
    payFee: 100000,
    orderCreateSource: 'DING_TALK',
    nominalPayFee: 100000,
    discountFee: 0,
    discount: 1,
    distributorCorpId: '',
    distributorCorpName: '',
  })),
  isv(
    'org_micro_app_stop',
    'a corp stopped the micro-app',
    suite(({ corpId }) => ({ AuthCorpId: corpId, AgentId: 200000001 })),
  ),
  isv(
    'org_micro_app_remove',
    'a corp deleted the micro-app',
    suite(({ corpId }) => ({ AuthCorpId: corpId, AgentId: 200000001 })),
  ),
  isv(
    'org_micro_app_restore',
    'a corp restored the micro-app',
    suite(({ corpId }) => ({ AuthCorpId: corpId, AgentId: 200000001 })),
  ),
  isv(
    'SYNC_HTTP_PUSH_HIGH',
    'a SyncHTTP push (bizData; default: biz_type 2, a suite_ticket)',
    syncHttp(2, () => ({ syncAction: 'suite_ticket', suiteTicket: alnum(48) })),
  ),
  {
    type: 'org_suite_auth',
    wire: 'SYNC_HTTP_PUSH_HIGH',
    scope: 'suite',
    summary: 'a corp authorised a SyncHTTP suite (SYNC_HTTP_PUSH_HIGH, biz_type 4, with the permanent code)',
    build: syncHttp(4, ({ corpId }) => ({
      syncAction: 'org_suite_auth',
      permanent_code: randomBytes(20).toString('hex'),
      auth_corp_info: { corpid: corpId, corp_name: '客户公司' },
      auth_info: { agent: [{ agentid: 200000001, agent_name: '示例套件', appid: 8000001 }] },
      auth_user_info: { userId: 'sunqi' },
    })),
  },
]

export function findEvent(type: string): EventTemplate | undefined {
  return EVENTS.find((e) => e.type === type)
}

/** The template's payload with `EventType` filled in. */
export function buildEvent(template: EventTemplate, context: EventContext): Record<string, unknown> {
  return { ...template.build(context), EventType: template.wire ?? template.type }
}

/**
 * `--set Key=value`: the value is parsed as JSON when it is valid JSON (numbers, arrays, objects, true,
 * null), and taken as a string otherwise.
 */
export function parseAssignment(text: string): [string, unknown] | undefined {
  const eq = text.indexOf('=')
  if (eq <= 0) return undefined
  const key = text.slice(0, eq)
  const raw = text.slice(eq + 1)
  try {
    return [key, JSON.parse(raw)]
  } catch {
    return [key, raw]
  }
}
