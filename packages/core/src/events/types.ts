import type { CardCallbackEvent, RobotMessageEvent } from '../robots/types'

/**
 * A value DingTalk sends as a JSON number in some payloads and as a string in others (§2.1).
 *
 * @example
 * ```ts
 * const ms = Number(event.TimeStamp) // works for 1700000000000 and '1700000000000'
 * ```
 */
export type NumberOrString = number | string

/**
 * Fields any callback payload may carry (§2.1): `TimeStamp` (number or string), and in the newer
 * console "HTTP推送" form `EventTime`, `CorpId`, `BizId` (the idempotency key) and `eventId`.
 *
 * @example
 * ```ts
 * const when = Number(event.EventTime ?? event.TimeStamp)
 * ```
 */
export interface EventCommon {
  TimeStamp?: NumberOrString
  EventTime?: NumberOrString
  CorpId?: string
  BizId?: string
  eventId?: string
}

/**
 * `check_url`: the URL check sent when a callback is registered or updated (§2.2). Reply `success`.
 *
 * @example
 * ```ts
 * callback.on('check_url', () => console.log('DingTalk checked the callback URL'))
 * ```
 */
export interface CheckUrlEvent extends EventCommon {
  EventType: 'check_url'
}

/**
 * The contact events that name users (§2.2).
 *
 * @example
 * ```ts
 * const type: UserEventType = 'user_leave_org'
 * ```
 */
export type UserEventType =
  | 'user_add_org'
  | 'user_modify_org'
  | 'user_leave_org'
  | 'user_active_org'
  | 'org_admin_add'
  | 'org_admin_remove'

/**
 * A user was added, changed, left, activated, or made/unmade admin (§2.2).
 *
 * @example
 * ```ts
 * callback.on('user_add_org', (e) => syncUsers(e.CorpId, e.UserId))
 * ```
 */
export interface UserEvent<T extends UserEventType = UserEventType> extends EventCommon {
  EventType: T
  CorpId: string
  UserId: string[]
}

/**
 * The department events (§2.2).
 *
 * @example
 * ```ts
 * const type: DeptEventType = 'org_dept_create'
 * ```
 */
export type DeptEventType = 'org_dept_create' | 'org_dept_modify' | 'org_dept_remove'

/**
 * A department was created, changed or removed (§2.2).
 *
 * @example
 * ```ts
 * callback.on('org_dept_remove', (e) => removeDepartments(e.DeptId.map(Number)))
 * ```
 */
export interface DeptEvent<T extends DeptEventType = DeptEventType> extends EventCommon {
  EventType: T
  CorpId: string
  DeptId: NumberOrString[]
}

/**
 * The organisation was dissolved (`org_remove`) or its details changed (`org_change`) (§2.2).
 *
 * @example
 * ```ts
 * callback.on('org_remove', (e) => archiveCorp(e.CorpId))
 * ```
 */
export interface OrgEvent<T extends 'org_remove' | 'org_change' = 'org_remove' | 'org_change'>
  extends EventCommon {
  EventType: T
  CorpId: string
}

/**
 * An employee's roles (labels) changed (§2.2). The legacy push spells the lists `UserIdList` /
 * `LabelIdList`, the newer HTTP push `userIdList` / `labelIdList`; whichever arrived is set.
 *
 * @example
 * ```ts
 * callback.on('label_user_change', (e) => refreshRoles(e.UserIdList ?? e.userIdList ?? []))
 * ```
 */
export interface LabelUserChangeEvent extends EventCommon {
  EventType: 'label_user_change'
  UserIdList?: string[]
  LabelIdList?: NumberOrString[]
  userIdList?: string[]
  labelIdList?: NumberOrString[]
  action?: string
}

/**
 * The role (label) definition events (§2.2).
 *
 * @example
 * ```ts
 * const type: LabelConfEventType = 'label_conf_add'
 * ```
 */
export type LabelConfEventType = 'label_conf_add' | 'label_conf_modify' | 'label_conf_del'

/**
 * Role (label) definitions were added, changed or deleted (§2.2; fields unverified).
 *
 * @example
 * ```ts
 * callback.on('label_conf_del', (e) => dropLabels(e.LabelIdList ?? e.labelIdList ?? []))
 * ```
 */
export interface LabelConfEvent<T extends LabelConfEventType = LabelConfEventType> extends EventCommon {
  EventType: T
  LabelIdList?: NumberOrString[]
  labelIdList?: NumberOrString[]
}

/**
 * The group-chat events (§2.2).
 *
 * @example
 * ```ts
 * const type: ChatEventType = 'chat_update_title'
 * ```
 */
export type ChatEventType =
  | 'chat_add_member'
  | 'chat_remove_member'
  | 'chat_quit'
  | 'chat_update_owner'
  | 'chat_update_title'
  | 'chat_disband'
  | 'chat_disband_microapp'

/**
 * A group chat changed (§2.2): `Owner` is the new owner, `Title` the new title.
 *
 * @example
 * ```ts
 * callback.on('chat_update_title', (e) => renameChat(e.ChatId, e.Title))
 * ```
 */
export interface ChatEvent<T extends ChatEventType = ChatEventType> extends EventCommon {
  EventType: T
  ChatId: string
  UserId?: string[]
  Owner?: string
  Title?: string
  Operator?: string
  agentId?: NumberOrString
}

/**
 * An approval task changed (§2.2); business fields are camelCase.
 *
 * @example
 * ```ts
 * callback.on('bpms_task_change', (e) => e.type === 'finish' && recordTask(e.taskId, e.result))
 * ```
 */
export interface BpmsTaskChangeEvent extends EventCommon {
  EventType: 'bpms_task_change'
  processInstanceId: string
  /** `start`, `finish`, `cancel`, … */
  type: string
  corpId?: string
  createTime?: NumberOrString
  finishTime?: NumberOrString
  title?: string
  staffId?: string
  taskId?: NumberOrString
  /** `agree`, `refuse`, `redirect`, … */
  result?: string
  remark?: string
  processCode?: string
  bizCategoryId?: string
  businessId?: string
}

/**
 * An approval instance started, finished or was terminated (§2.2).
 *
 * @example
 * ```ts
 * callback.on('bpms_instance_change', (e) => e.type === 'finish' && settle(e.processInstanceId, e.result))
 * ```
 */
export interface BpmsInstanceChangeEvent extends EventCommon {
  EventType: 'bpms_instance_change'
  processInstanceId: string
  /** `start`, `finish` or `terminate`. */
  type: string
  corpId?: string
  createTime?: NumberOrString
  finishTime?: NumberOrString
  title?: string
  /** The originator. */
  staffId?: string
  url?: string
  /** `agree` or `refuse`, only when `type` is `finish`. */
  result?: string
  processCode?: string
  bizCategoryId?: string
  businessId?: string
}

/**
 * Events whose names are documented but whose fields are not (§2.2: check_in, attendance, meeting
 * rooms). Every field is available by name, typed `unknown`.
 *
 * @example
 * ```ts
 * const type: LooseEventType = 'check_in'
 * ```
 */
export type LooseEventType =
  | 'check_in'
  | 'attendance_check_record'
  | 'attendance_schedule_change'
  | 'attendance_overtime_duration'
  | 'meetingroom_book'
  | 'meetingroom_room_info'

/**
 * An event of {@link LooseEventType}.
 *
 * @example
 * ```ts
 * callback.on('check_in', (e) => console.log(e.CorpId, e['StaffId']))
 * ```
 */
export interface LooseEvent<T extends LooseEventType = LooseEventType> extends EventCommon {
  EventType: T
  readonly [field: string]: unknown
}

/**
 * The suite URL checks (§2.3): reply with the `Random` value, encrypted. During suite creation the
 * message is encrypted for the placeholder receive-id `suite4xxxxxxxxxxxxxxx`.
 *
 * @example
 * ```ts
 * callback.on('check_create_suite_url', (e) => console.log('suite URL checked', e.TestSuiteKey))
 * ```
 */
export interface SuiteUrlCheckEvent<
  T extends 'check_create_suite_url' | 'check_update_suite_url' =
    | 'check_create_suite_url'
    | 'check_update_suite_url',
> extends EventCommon {
  EventType: T
  Random: string
  TestSuiteKey: string
}

/**
 * A new suite_ticket, pushed every 20 minutes (§2.3); the handler stores it before replying.
 *
 * @example
 * ```ts
 * callback.on('suite_ticket', (e) => console.log('new ticket for', e.SuiteKey)) // stored by the suite client first
 * ```
 */
export interface SuiteTicketEvent extends EventCommon {
  EventType: 'suite_ticket'
  SuiteKey: string
  SuiteTicket: string
}

/**
 * A corp authorised the suite (§2.3): the handler exchanges `AuthCode` for the permanent code.
 *
 * @example
 * ```ts
 * callback.on('tmp_auth_code', (e, ctx) => console.log('authorised by a corp of', e.SuiteKey, ctx.receiveId))
 * ```
 */
export interface TmpAuthCodeEvent extends EventCommon {
  EventType: 'tmp_auth_code'
  SuiteKey: string
  AuthCode: string
}

/**
 * A corp changed the suite's authorisation (§2.3).
 *
 * @example
 * ```ts
 * callback.on('change_auth', (e) => refreshScopes(e.AuthCorpId))
 * ```
 */
export interface ChangeAuthEvent extends EventCommon {
  EventType: 'change_auth'
  SuiteKey: string
  AuthCorpId: string
}

/**
 * A corp removed the suite (§2.3): its permanent code is invalid from now on.
 *
 * @example
 * ```ts
 * callback.on('suite_relieve', (e) => deleteTenant(e.AuthCorpId))
 * ```
 */
export interface SuiteRelieveEvent extends EventCommon {
  EventType: 'suite_relieve'
  SuiteKey: string
  AuthCorpId: string
}

/**
 * DingTalk asks whether a licence code is valid (§2.3); the `checkLicenseCode` option decides.
 *
 * @example
 * ```ts
 * createCallbackHandler({ ...options, checkLicenseCode: (e) => licences.has(e.LicenseCode) })
 * ```
 */
export interface CheckSuiteLicenseCodeEvent extends EventCommon {
  EventType: 'check_suite_license_code'
  SuiteKey: string
  AuthCorpId: string
  LicenseCode: string
}

/**
 * A corp bought the app on the DingTalk market (§2.3).
 *
 * @example
 * ```ts
 * callback.on('market_buy', (e) => recordOrder(e.orderId, e.corpId, e.itemCode))
 * ```
 */
export interface MarketBuyEvent extends EventCommon {
  EventType: 'market_buy'
  SuiteKey?: string
  buyCorpId?: string
  corpId?: string
  goodsCode?: string
  goodsName?: string
  itemCode?: string
  itemName?: string
  subQuantity?: NumberOrString
  maxOfPeople?: NumberOrString
  minOfPeople?: NumberOrString
  orderId?: NumberOrString
  paidtime?: NumberOrString
  serviceStopTime?: NumberOrString
  payFee?: NumberOrString
  orderCreateSource?: string
  nominalPayFee?: NumberOrString
  discountFee?: NumberOrString
  discount?: NumberOrString
  distributorCorpId?: string
  distributorCorpName?: string
}

/**
 * The micro-app state events (§2.3: logical stop, physical removal, restore; fields unverified).
 *
 * @example
 * ```ts
 * const type: MicroAppEventType = 'org_micro_app_stop'
 * ```
 */
export type MicroAppEventType = 'org_micro_app_stop' | 'org_micro_app_remove' | 'org_micro_app_restore'

/**
 * A corp stopped, removed or restored the suite's micro-app (§2.3).
 *
 * @example
 * ```ts
 * callback.on('org_micro_app_stop', (e) => pauseTenant(e.AuthCorpId))
 * ```
 */
export interface MicroAppEvent<T extends MicroAppEventType = MicroAppEventType> extends EventCommon {
  EventType: T
  SuiteKey?: string
  AuthCorpId?: string
  AgentId?: NumberOrString
}

/**
 * A corp authorised the suite, in the `SYNC_HTTP_PUSH_*` form (biz_type 4, §2.3), which carries the
 * permanent code itself. `CorpId` is the authorising corp.
 *
 * @example
 * ```ts
 * callback.on('org_suite_auth', (e) => console.log('authorised by', e.CorpId)) // code stored by the suite client first
 * ```
 */
export interface OrgSuiteAuthEvent extends EventCommon {
  EventType: 'org_suite_auth'
  CorpId: string
  permanent_code: string
  auth_corp_info?: Record<string, unknown>
  auth_info?: Record<string, unknown>
  auth_user_info?: Record<string, unknown>
}

/**
 * Anything the parser does not know, or a known `EventType` whose fields did not have the documented
 * types. `EventType` is the literal `'unknown'`; the received type and the raw payload are kept.
 *
 * @example
 * ```ts
 * callback.on('unknown', (e) => console.warn('unhandled DingTalk event', e.rawEventType, e.reason))
 * ```
 */
export interface UnknownEvent {
  EventType: 'unknown'
  /** The `EventType` that arrived, if it was a string. */
  rawEventType: string | undefined
  /** The decrypted payload (or `SYNC_HTTP_PUSH_*` item) as parsed JSON. */
  raw: unknown
  /** Why it was not typed, e.g. `unknown EventType` or `field "UserId" is not a string[]`. */
  reason: string
}

/**
 * Every callback event, discriminated by `EventType` (§2.2, §2.3). `SYNC_HTTP_PUSH_HIGH` /
 * `SYNC_HTTP_PUSH_MEDIUM` pushes are split into their `bizData` items, each normalised into one of these.
 *
 * @example
 * ```ts
 * function describe(event: DingTalkEvent): string {
 *   switch (event.EventType) {
 *     case 'user_add_org':
 *       return `joined: ${event.UserId.join(', ')}`
 *     case 'bpms_instance_change':
 *       return `approval ${event.processInstanceId} ${event.type}`
 *     default:
 *       return event.EventType
 *   }
 * }
 * ```
 */
export type DingTalkEvent =
  | CheckUrlEvent
  | UserEvent<'user_add_org'>
  | UserEvent<'user_modify_org'>
  | UserEvent<'user_leave_org'>
  | UserEvent<'user_active_org'>
  | UserEvent<'org_admin_add'>
  | UserEvent<'org_admin_remove'>
  | DeptEvent<'org_dept_create'>
  | DeptEvent<'org_dept_modify'>
  | DeptEvent<'org_dept_remove'>
  | OrgEvent<'org_remove'>
  | OrgEvent<'org_change'>
  | LabelUserChangeEvent
  | LabelConfEvent<'label_conf_add'>
  | LabelConfEvent<'label_conf_modify'>
  | LabelConfEvent<'label_conf_del'>
  | ChatEvent<'chat_add_member'>
  | ChatEvent<'chat_remove_member'>
  | ChatEvent<'chat_quit'>
  | ChatEvent<'chat_update_owner'>
  | ChatEvent<'chat_update_title'>
  | ChatEvent<'chat_disband'>
  | ChatEvent<'chat_disband_microapp'>
  | BpmsTaskChangeEvent
  | BpmsInstanceChangeEvent
  | LooseEvent<'check_in'>
  | LooseEvent<'attendance_check_record'>
  | LooseEvent<'attendance_schedule_change'>
  | LooseEvent<'attendance_overtime_duration'>
  | LooseEvent<'meetingroom_book'>
  | LooseEvent<'meetingroom_room_info'>
  | SuiteUrlCheckEvent<'check_create_suite_url'>
  | SuiteUrlCheckEvent<'check_update_suite_url'>
  | SuiteTicketEvent
  | TmpAuthCodeEvent
  | ChangeAuthEvent
  | SuiteRelieveEvent
  | CheckSuiteLicenseCodeEvent
  | MarketBuyEvent
  | MicroAppEvent<'org_micro_app_stop'>
  | MicroAppEvent<'org_micro_app_remove'>
  | MicroAppEvent<'org_micro_app_restore'>
  | OrgSuiteAuthEvent
  | RobotMessageEvent
  | CardCallbackEvent
  | UnknownEvent

/**
 * Every `EventType`, including `'unknown'`.
 *
 * @example
 * ```ts
 * const type: DingTalkEventType = 'user_add_org'
 * ```
 */
export type DingTalkEventType = DingTalkEvent['EventType']

/**
 * The event type of one `EventType`.
 *
 * @example
 * ```ts
 * const handle = (e: EventOf<'user_add_org'>) => e.UserId
 * ```
 */
export type EventOf<K extends DingTalkEventType> = Extract<DingTalkEvent, { EventType: K }>

/**
 * One `bizData` item of a `SYNC_HTTP_PUSH_HIGH` / `SYNC_HTTP_PUSH_MEDIUM` push (§2.3).
 *
 * @example
 * ```ts
 * callback.on('user_add_org', (e, ctx) => ctx.sync && saveUser(ctx.sync.bizData)) // full user record from biz_type 13
 * ```
 */
export interface SyncHttpItem {
  /** 2 suite ticket, 4 corp authorisation, 7 micro-app, 13 user, 14 department, 16 corp, 17 market order, … */
  bizType: number | undefined
  bizId: string | undefined
  corpId: string | undefined
  /** `biz_data`, parsed from its JSON string; `undefined` when it was not a JSON object. */
  bizData: Record<string, unknown> | undefined
  /** The item as received. */
  item: Record<string, unknown>
}

/**
 * One parsed event with where it came from.
 *
 * @example
 * ```ts
 * for (const { event, sync } of parseEvents(message)) console.log(event.EventType, sync?.bizType)
 * ```
 */
export interface ParsedEvent {
  event: DingTalkEvent
  /** The payload (or `SYNC_HTTP_PUSH_*` item) it was parsed from. */
  raw: unknown
  /** Set when the event is an item of a `SYNC_HTTP_PUSH_*` push. */
  sync?: SyncHttpItem
}
