import { randomBytes } from 'node:crypto'
import { buildCardsState, type CardsState } from './cards'
import type { Fixture, FixtureApp, FixtureSuite, FixtureUser } from './fixture'
import { buildOfficeState, type OfficeState } from './office-state'
import type { PushResult } from './pusher'
import { buildRobotState, type RobotState } from './robot/state'

/** A user as the emulator stores it (the fixture's fields plus bookkeeping). */
export interface UserRecord extends FixtureUser {
  createdAt: number
  modifiedAt: number
  extattr?: Record<string, unknown>
  tel?: string
  workPlace?: string
  remark?: string
}

/** A department as the emulator stores it. */
export interface DepartmentRecord {
  id: number
  name: string
  parentid?: number
  order: number
  createDeptGroup: boolean
  autoAddUser: boolean
  sourceIdentifier?: string
}

/** A corp's registered callback (`call_back/register_call_back`, §2.4). */
export interface CallbackRegistration {
  url: string
  token: string
  aesKey: string
  tags: string[]
  /** The receive-id pushes are encrypted for: the corpId, or the suiteKey when an ISV registered it. */
  receiveId: string
}

/** An event DingTalk failed to deliver, returned by `call_back/get_call_back_failed_result`. */
export interface FailedCallback {
  event_time: number
  call_back_tag: string
  userid?: string[]
  deptid?: number[]
  corpid: string
}

/** One organisation's live state. */
export interface OrgState {
  corpId: string
  corpName: string
  ssoSecret?: string
  apps: Map<string, FixtureApp>
  departments: Map<number, DepartmentRecord>
  users: Map<string, UserRecord>
  callback?: CallbackRegistration
  failedCallbacks: FailedCallback[]
  /** Set by an ISV through `service/set_corp_ipwhitelist`; applies to its corp tokens. */
  isvIpWhitelist: Map<string, string[]>
}

/** One suite's live state. */
export interface SuiteState extends FixtureSuite {
  /** Tickets the suite may present, newest last (the latest pushed and the one before it). */
  tickets: string[]
}

/** A corp's authorisation of a suite. */
export interface AuthorizationState {
  corpId: string
  suiteKey: string
  permanentCode: string
  activated: boolean
  agentId: number
}

/** Who an access token belongs to. `corp` tokens call business APIs; `suite` and `sso` tokens their own. */
export interface TokenRecord {
  token: string
  kind: 'corp' | 'suite' | 'sso'
  /** Identifies the credential; the same credential gets the same token while it is valid (§4.2). */
  owner: string
  corpId?: string
  appKey?: string
  suiteKey?: string
  agentId?: number
  issuedAt: number
  expiresAt: number
}

/** A jsapi ticket (§3.1). Only the newest ticket of an owner is valid. */
export interface TicketRecord {
  ticket: string
  owner: string
  corpId: string
  issuedAt: number
  expiresAt: number
}

/** A free-login (`requestAuthCode`) or admin SSO code: single use, five minutes (§5.1, §5.2). */
export interface AuthCodeRecord {
  code: string
  kind: 'app' | 'sso'
  corpId: string
  userid: string
  expiresAt: number
}

/** A temporary authorisation code pushed with `tmp_auth_code` (§2.3, §4.3). */
export interface TmpAuthCodeRecord {
  code: string
  corpId: string
  suiteKey: string
  expiresAt: number
}

/** An uploaded media file (§7). */
export interface MediaRecord {
  mediaId: string
  corpId: string
  type: string
  filename: string
  contentType: string
  bytes: Uint8Array
  createdAt: number
}

/** A message accepted by one of the message APIs, kept for assertions (§8). */
export interface MessageRecord {
  api: 'send_to_conversation' | 'send' | 'asyncsend_v2' | 'chat/send'
  corpId: string
  /** `msgtype` and the message object, exactly as sent. */
  msgtype: string
  msg: Record<string, unknown>
  /** The request body as sent (header fields included). */
  body: Record<string, unknown>
  /** Resolved recipients (userids). */
  recipients: string[]
  taskId?: number
  messageId?: string
  chatid?: string
  agentId?: number
  recalled?: boolean
  /** asyncsend_v2: recipients that did not exist. */
  invalid?: { users: string[]; depts: number[] }
  time: number
}

/** A robot message accepted by a v1.0 robot API (Stream reference §7), kept for assertions. */
export interface RobotMessageRecord {
  api: 'oToMessages/batchSend'
  corpId: string
  robotCode: string
  /** The recipients as sent. */
  userIds: string[]
  msgKey: string
  /** `msgParam` parsed (it travels as a JSON string). */
  msgParam: Record<string, unknown>
  processQueryKey: string
  /** Recipients that are not users of the corp. */
  invalidUserIds: string[]
  time: number
}

/** A group chat (§8.3). */
export interface ChatRecord {
  chatid: string
  openConversationId: string
  corpId: string
  name: string
  owner: string
  useridlist: string[]
  readBy: Map<string, string[]>
}

/** One callback push the emulator made (or is making), for assertions. */
export interface PushRecord {
  id: number
  time: number
  eventType: string
  url: string
  receiveId: string
  event: Record<string, unknown>
  /** Resolves with the outcome; `result` is set once it does. */
  done: Promise<PushResult>
  result?: PushResult
}

/**
 * The emulator's live state. Everything is mutable on purpose: tests can arrange a situation directly.
 *
 * @example
 * ```ts
 * emu.state.suites.get('suiteemu0000000001')!.callbackUrl = 'http://127.0.0.1:3000/dingtalk/suite'
 * expect(emu.state.messages.at(-1)?.recipients).toEqual(['lisi'])
 * ```
 */
export interface EmulatorState {
  orgs: Map<string, OrgState>
  suites: Map<string, SuiteState>
  /** Keyed by `${suiteKey}:${corpId}`. */
  authorizations: Map<string, AuthorizationState>
  tokens: Map<string, TokenRecord>
  tickets: Map<string, TicketRecord>
  /** The newest jsapi ticket per owner. */
  currentTickets: Map<string, string>
  authCodes: Map<string, AuthCodeRecord>
  tmpAuthCodes: Map<string, TmpAuthCodeRecord>
  media: Map<string, MediaRecord>
  messages: MessageRecord[]
  /** Messages sent through the v1.0 robot APIs. */
  robotMessages: RobotMessageRecord[]
  /** Robot conversations, session webhooks, replies, custom robots (robot/state.ts). */
  robot: RobotState
  chats: Map<string, ChatRecord>
  pushes: PushRecord[]
  /** Approvals, roles, to-dos and web-login codes (issue #19). */
  office: OfficeState
  /** Interactive card instances, the card QPS limit and its counts (issue #16). */
  cards: CardsState
}

export function buildState(fixture: Fixture, now: number): EmulatorState {
  const orgs = new Map<string, OrgState>()
  for (const org of fixture.orgs) {
    const departments = new Map<number, DepartmentRecord>()
    if (!org.departments.some((d) => d.id === 1)) departments.set(1, department(1, org.corpName))
    for (const d of org.departments) {
      const record = department(d.id, d.name, d.parentid, d.order)
      departments.set(d.id, record)
    }
    const users = new Map<string, UserRecord>()
    for (const u of org.users) users.set(u.userid, { ...u, createdAt: now, modifiedAt: now })
    orgs.set(org.corpId, {
      corpId: org.corpId,
      corpName: org.corpName,
      ...(org.ssoSecret === undefined ? {} : { ssoSecret: org.ssoSecret }),
      apps: new Map((org.apps ?? []).map((a) => [a.appKey, { ...a }])),
      departments,
      users,
      failedCallbacks: [],
      isvIpWhitelist: new Map(),
    })
  }
  const suites = new Map<string, SuiteState>()
  for (const s of fixture.suites ?? []) {
    suites.set(s.suiteKey, { ...s, tickets: s.suiteTicket === undefined ? [] : [s.suiteTicket] })
  }
  const authorizations = new Map<string, AuthorizationState>()
  let agentId = 200000001
  for (const a of fixture.authorizations ?? []) {
    authorizations.set(`${a.suiteKey}:${a.corpId}`, {
      corpId: a.corpId,
      suiteKey: a.suiteKey,
      permanentCode: a.permanentCode,
      activated: a.activated ?? true,
      agentId: a.agentId ?? agentId++,
    })
  }
  return {
    orgs,
    suites,
    authorizations,
    tokens: new Map(),
    tickets: new Map(),
    currentTickets: new Map(),
    authCodes: new Map(),
    tmpAuthCodes: new Map(),
    media: new Map(),
    messages: [],
    robotMessages: [],
    robot: buildRobotState(),
    chats: new Map(),
    pushes: [],
    office: buildOfficeState(fixture),
    cards: buildCardsState(),
  }
}

export function department(id: number, name: string, parentid?: number, order?: number): DepartmentRecord {
  return {
    id,
    name,
    ...(parentid === undefined ? {} : { parentid }),
    order: order ?? id,
    createDeptGroup: false,
    autoAddUser: false,
  }
}

/** Records (or renews) a corp's authorisation of a suite with a fresh permanent code. */
export function grantAuthorization(
  state: EmulatorState,
  corpId: string,
  suiteKey: string,
): AuthorizationState {
  const key = `${suiteKey}:${corpId}`
  const existing = state.authorizations.get(key)
  const auth: AuthorizationState = {
    corpId,
    suiteKey,
    permanentCode: randomBytes(20).toString('hex'),
    activated: existing?.activated ?? false,
    agentId: existing?.agentId ?? 200000000 + state.authorizations.size + 1,
  }
  state.authorizations.set(key, auth)
  return auth
}
