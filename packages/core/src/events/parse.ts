import type { DingTalkEvent, DingTalkEventType, ParsedEvent, SyncHttpItem, UnknownEvent } from './types'

type Kind = 'string' | 'numstr' | 'strings' | 'ids' | 'object'
type Schema = Readonly<Record<string, `${Kind}` | `${Kind}?`>>
// Robot messages and card callbacks come from their own transports' parsers (robots/parse.ts), never from an
// encrypted callback's EventType.
type KnownEventType = Exclude<DingTalkEventType, 'unknown' | 'robot_message' | 'card_callback'>

const COMMON: Schema = {
  TimeStamp: 'numstr?',
  EventTime: 'numstr?',
  CorpId: 'string?',
  BizId: 'string?',
  eventId: 'string?',
}
const USER: Schema = { CorpId: 'string', UserId: 'strings' }
const DEPT: Schema = { CorpId: 'string', DeptId: 'ids' }
const ORG: Schema = { CorpId: 'string' }
const LABEL_CONF: Schema = { LabelIdList: 'ids?', labelIdList: 'ids?' }
const CHAT: Schema = {
  ChatId: 'string',
  UserId: 'strings?',
  Owner: 'string?',
  Title: 'string?',
  Operator: 'string?',
  agentId: 'numstr?',
}
const BPMS: Schema = {
  processInstanceId: 'string',
  type: 'string',
  corpId: 'string?',
  createTime: 'numstr?',
  finishTime: 'numstr?',
  title: 'string?',
  staffId: 'string?',
  result: 'string?',
  processCode: 'string?',
  bizCategoryId: 'string?',
  businessId: 'string?',
}
const URL_CHECK: Schema = { Random: 'string', TestSuiteKey: 'string' }
const SUITE_CORP: Schema = { SuiteKey: 'string', AuthCorpId: 'string' }
const MICRO_APP: Schema = { SuiteKey: 'string?', AuthCorpId: 'string?', AgentId: 'numstr?' }
const LOOSE: Schema = {}

// One schema per known EventType (§2.2, §2.3). The mapped type makes the compiler insist that the table
// and the DingTalkEvent union list the same types.
const SCHEMAS: { readonly [K in KnownEventType]: Schema } = {
  check_url: {},
  user_add_org: USER,
  user_modify_org: USER,
  user_leave_org: USER,
  user_active_org: USER,
  org_admin_add: USER,
  org_admin_remove: USER,
  org_dept_create: DEPT,
  org_dept_modify: DEPT,
  org_dept_remove: DEPT,
  org_remove: ORG,
  org_change: ORG,
  label_user_change: {
    UserIdList: 'strings?',
    LabelIdList: 'ids?',
    userIdList: 'strings?',
    labelIdList: 'ids?',
    action: 'string?',
  },
  label_conf_add: LABEL_CONF,
  label_conf_modify: LABEL_CONF,
  label_conf_del: LABEL_CONF,
  chat_add_member: CHAT,
  chat_remove_member: CHAT,
  chat_quit: CHAT,
  chat_update_owner: CHAT,
  chat_update_title: CHAT,
  chat_disband: CHAT,
  chat_disband_microapp: CHAT,
  bpms_task_change: { ...BPMS, taskId: 'numstr?', remark: 'string?' },
  bpms_instance_change: { ...BPMS, url: 'string?' },
  check_in: LOOSE,
  attendance_check_record: LOOSE,
  attendance_schedule_change: LOOSE,
  attendance_overtime_duration: LOOSE,
  meetingroom_book: LOOSE,
  meetingroom_room_info: LOOSE,
  check_create_suite_url: URL_CHECK,
  check_update_suite_url: URL_CHECK,
  suite_ticket: { SuiteKey: 'string', SuiteTicket: 'string' },
  tmp_auth_code: { SuiteKey: 'string', AuthCode: 'string' },
  change_auth: SUITE_CORP,
  suite_relieve: SUITE_CORP,
  check_suite_license_code: { ...SUITE_CORP, LicenseCode: 'string' },
  market_buy: {
    SuiteKey: 'string?',
    buyCorpId: 'string?',
    corpId: 'string?',
    goodsCode: 'string?',
    goodsName: 'string?',
    itemCode: 'string?',
    itemName: 'string?',
    subQuantity: 'numstr?',
    maxOfPeople: 'numstr?',
    minOfPeople: 'numstr?',
    orderId: 'numstr?',
    paidtime: 'numstr?',
    serviceStopTime: 'numstr?',
    payFee: 'numstr?',
    orderCreateSource: 'string?',
    nominalPayFee: 'numstr?',
    discountFee: 'numstr?',
    discount: 'numstr?',
    distributorCorpId: 'string?',
    distributorCorpName: 'string?',
  },
  org_micro_app_stop: MICRO_APP,
  org_micro_app_remove: MICRO_APP,
  org_micro_app_restore: MICRO_APP,
  org_suite_auth: {
    CorpId: 'string',
    permanent_code: 'string',
    auth_corp_info: 'object?',
    auth_info: 'object?',
    auth_user_info: 'object?',
  },
}

const KNOWN: ReadonlySet<string> = new Set(Object.keys(SCHEMAS))

/**
 * The fields a known event type declares (its own and the common ones), spelled as the HTTP callback
 * spells them; `undefined` for an unknown type. Internal: the Stream normaliser maps camelCase onto these.
 */
export function eventFieldsOf(type: string): readonly (readonly [name: string, spec: string])[] | undefined {
  const schema = KNOWN.has(type) ? (SCHEMAS as Readonly<Record<string, Schema>>)[type] : undefined
  return schema ? [...Object.entries(COMMON), ...Object.entries(schema)] : undefined
}

/**
 * Every `EventType` the parser types (everything but `'unknown'`).
 *
 * @example
 * ```ts
 * for (const type of KNOWN_EVENT_TYPES) callback.on(type, (e) => metrics.count(e.EventType))
 * ```
 */
export const KNOWN_EVENT_TYPES: readonly DingTalkEventType[] = Object.keys(SCHEMAS) as DingTalkEventType[]

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

function matches(kind: Kind, value: unknown): boolean {
  switch (kind) {
    case 'string':
      return typeof value === 'string'
    case 'numstr':
      return typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value))
    case 'strings':
      return Array.isArray(value) && value.every((v) => typeof v === 'string')
    case 'ids':
      return (
        Array.isArray(value) &&
        value.every((v) => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)))
      )
    case 'object':
      return isObject(value)
  }
}

const KIND_NAMES: Readonly<Record<Kind, string>> = {
  string: 'a string',
  numstr: 'a number or string',
  strings: 'a string[]',
  ids: 'a (number | string)[]',
  object: 'an object',
}

type Field = readonly [name: string, kind: Kind, optional: boolean]
// Each schema split into fields once, not on every event.
const compiled = new WeakMap<Schema, readonly Field[]>()

function fieldsOf(schema: Schema): readonly Field[] {
  let fields = compiled.get(schema)
  if (!fields) {
    fields = Object.entries(schema).map(([name, spec]) => {
      const optional = spec.endsWith('?')
      return [name, (optional ? spec.slice(0, -1) : spec) as Kind, optional] as const
    })
    compiled.set(schema, fields)
  }
  return fields
}

function check(schema: Schema, payload: Record<string, unknown>): string | undefined {
  for (const [field, kind, optional] of fieldsOf(schema)) {
    const value = payload[field]
    if (value === undefined || value === null) {
      if (optional) continue
      return `field "${field}" is missing`
    }
    if (!matches(kind, value)) return `field "${field}" is not ${KIND_NAMES[kind]}`
  }
  return undefined
}

const NONE: Schema = {}

function unknownEvent(raw: unknown, rawEventType: string | undefined, reason: string): UnknownEvent {
  return { EventType: 'unknown', rawEventType, raw, reason }
}

/**
 * Types one decrypted legacy payload (§2.2, §2.3). `EventType` is trimmed first (the 2016 samples carry
 * stray spaces, §2.3 note). A payload whose fields do not have the documented types becomes `unknown`.
 *
 * @example
 * ```ts
 * typeEvent({ EventType: 'org_remove', CorpId: 'ding1', TimeStamp: 1 }).EventType // 'org_remove'
 * typeEvent({ EventType: 'org_remove' }).EventType // 'unknown' (CorpId missing)
 * ```
 */
export function typeEvent(payload: Record<string, unknown>): DingTalkEvent {
  return typeInto(payload, false)
}

/**
 * Internal: {@link typeEvent} for an object the caller built and owns (the Stream normaliser's): the trimmed
 * `EventType` is written into it instead of into a copy.
 */
export function typeOwnEvent(event: Record<string, unknown>): DingTalkEvent {
  return typeInto(event, true)
}

function typeInto(payload: Record<string, unknown>, own: boolean): DingTalkEvent {
  const rawType = payload.EventType
  if (typeof rawType !== 'string') return unknownEvent(payload, undefined, 'no EventType string')
  const type = rawType.trim()
  if (!KNOWN.has(type)) return unknownEvent(payload, rawType, 'unknown EventType')
  const problem =
    check(COMMON, payload) ?? check((SCHEMAS as Readonly<Record<string, Schema>>)[type] ?? NONE, payload)
  if (problem !== undefined) return unknownEvent(payload, rawType, `${type}: ${problem}`)
  if (!own) return { ...payload, EventType: type } as unknown as DingTalkEvent
  payload.EventType = type
  return payload as unknown as DingTalkEvent
}

const SYNC_TYPES: ReadonlySet<string> = new Set(['SYNC_HTTP_PUSH_HIGH', 'SYNC_HTTP_PUSH_MEDIUM'])

/**
 * Options of {@link parseEvents}.
 *
 * @example
 * ```ts
 * parseEvents(message, { suiteKey: 'suiteabc' })
 * ```
 */
export interface ParseEventsOptions {
  /** The suite's key, filled into `SuiteKey` of events normalised from `SYNC_HTTP_PUSH_*` items. */
  suiteKey?: string
}

/**
 * Parses a decrypted callback message into typed events: one for a legacy push, one per `bizData` item
 * for `SYNC_HTTP_PUSH_HIGH` / `SYNC_HTTP_PUSH_MEDIUM` (§2.3). Never throws: text that is not a JSON
 * object, or an unrecognised payload, becomes an `unknown` event.
 *
 * @example
 * ```ts
 * const [first] = parseEvents('{"EventType":"user_add_org","CorpId":"ding1","UserId":["u1"],"TimeStamp":1}')
 * if (first?.event.EventType === 'user_add_org') console.log(first.event.UserId) // ['u1']
 * ```
 */
export function parseEvents(
  message: string | Record<string, unknown>,
  options: ParseEventsOptions = {},
): ParsedEvent[] {
  let payload: unknown = message
  if (typeof message === 'string') {
    try {
      payload = JSON.parse(message)
    } catch {
      return [{ event: unknownEvent(message, undefined, 'not JSON'), raw: message }]
    }
  }
  if (!isObject(payload))
    return [{ event: unknownEvent(payload, undefined, 'not a JSON object'), raw: payload }]
  const type = typeof payload.EventType === 'string' ? payload.EventType.trim() : undefined
  if (type === undefined || !SYNC_TYPES.has(type)) return [{ event: typeEvent(payload), raw: payload }]
  const items = payload.bizData
  if (!Array.isArray(items) || items.length === 0) {
    return [{ event: unknownEvent(payload, type, 'bizData is not a non-empty array'), raw: payload }]
  }
  return items.map((item: unknown) => syncItemEvent(item, options))
}

const SYNC_RENAMES: Readonly<Record<string, string>> = {
  org_suite_change: 'change_auth',
  org_suite_relieve: 'suite_relieve',
  org_update: 'org_change',
  org_microapp_stop: 'org_micro_app_stop',
  org_microapp_remove: 'org_micro_app_remove',
  org_microapp_restore: 'org_micro_app_restore',
  market_order: 'market_buy',
}

const USER_ACTIONS: ReadonlySet<string> = new Set([
  'user_add_org',
  'user_modify_org',
  'user_leave_org',
  'user_active_org',
])
const DEPT_ACTIONS: ReadonlySet<string> = new Set(['org_dept_create', 'org_dept_modify', 'org_dept_remove'])

function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value
  if (typeof value === 'number' && Number.isFinite(value)) return String(value)
  return undefined
}

// §2.3 SYNC_HTTP items: biz_type 2 suite ticket, 4 authorisation, 7 micro-app, 13 user, 14 department,
// 16 corp, 17 market order. `biz_data` is a JSON string whose `syncAction` names what happened.
function syncItemEvent(item: unknown, options: ParseEventsOptions): ParsedEvent {
  if (!isObject(item))
    return { event: unknownEvent(item, undefined, 'bizData item is not an object'), raw: item }
  let bizData: Record<string, unknown> | undefined
  const rawData = item.biz_data
  if (isObject(rawData)) {
    bizData = rawData
  } else if (typeof rawData === 'string') {
    try {
      const parsed: unknown = JSON.parse(rawData)
      if (isObject(parsed)) bizData = parsed
    } catch {
      bizData = undefined
    }
  }
  const sync: SyncHttpItem = {
    bizType: typeof item.biz_type === 'number' ? item.biz_type : undefined,
    bizId: text(item.biz_id),
    corpId: text(item.corp_id),
    bizData,
    item,
  }
  const action = typeof bizData?.syncAction === 'string' ? bizData.syncAction.trim() : undefined
  if (!bizData || action === undefined) {
    return {
      event: unknownEvent(item, undefined, 'bizData item has no biz_data.syncAction'),
      raw: item,
      sync,
    }
  }
  const type = SYNC_RENAMES[action] ?? action
  const corpId = sync.corpId
  const suiteKey = options.suiteKey ?? (typeof bizData.suiteKey === 'string' ? bizData.suiteKey : undefined)
  const timeStamp = item.gmt_create ?? item.gmt_modified
  const base: Record<string, unknown> = { ...bizData, EventType: type }
  delete base.syncAction
  if (timeStamp !== undefined) base.TimeStamp = timeStamp
  let payload: Record<string, unknown>
  if (type === 'suite_ticket') {
    payload = { ...base, SuiteKey: suiteKey ?? corpId, SuiteTicket: bizData.suiteTicket }
    delete payload.suiteTicket
  } else if (type === 'change_auth' || type === 'suite_relieve') {
    payload = { ...base, SuiteKey: suiteKey, AuthCorpId: corpId }
  } else if (USER_ACTIONS.has(type)) {
    const userId = text(bizData.userid ?? bizData.userId)
    payload = { ...base, CorpId: corpId, UserId: userId === undefined ? undefined : [userId] }
  } else if (DEPT_ACTIONS.has(type)) {
    const deptId = bizData.id ?? bizData.deptId
    payload = { ...base, CorpId: corpId, DeptId: deptId === undefined ? undefined : [deptId] }
  } else if (type.startsWith('org_micro_app_')) {
    payload = { ...base, SuiteKey: suiteKey, AuthCorpId: corpId }
  } else if (type === 'market_buy') {
    payload = { ...base, SuiteKey: suiteKey }
  } else {
    payload = { ...base, CorpId: corpId }
  }
  for (const key of Object.keys(payload)) if (payload[key] === undefined) delete payload[key]
  const event = typeEvent(payload)
  return {
    event: event.EventType === 'unknown' ? unknownEvent(item, action, event.reason) : event,
    raw: item,
    sync,
  }
}
