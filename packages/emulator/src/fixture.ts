import { readFileSync } from 'node:fs'

/** A member of an organisation, in the legacy `user/get` spelling (§6.2). */
export interface FixtureUser {
  userid: string
  name: string
  mobile: string
  /** Department ids the user belongs to; the root department is `1`. */
  department: number[]
  position?: string
  email?: string
  jobnumber?: string
  isAdmin?: boolean
  isBoss?: boolean
  active?: boolean
  unionid?: string
  avatar?: string
}

/** A department; `id` 1 is the organisation's root and has no `parentid`. */
export interface FixtureDepartment {
  id: number
  name: string
  parentid?: number
  order?: number
}

/** An internal (corp) micro-app: the owner of access tokens obtained with `gettoken` (§4.2). */
export interface FixtureApp {
  name: string
  agentId: number
  /** `gettoken?appkey=&appsecret=` credentials. */
  appKey: string
  appSecret: string
  /** Legacy `gettoken?corpid=&corpsecret=` credential for the same app. */
  corpSecret?: string
  /** Allowed caller IPs (`*` allowed in the last two segments); absent = every IP (§4.2, 60020). */
  ipWhitelist?: string[]
}

/** An organisation (corp) with its contacts and internal apps. */
export interface FixtureOrg {
  corpId: string
  corpName: string
  /** Admin-console SSO secret for `sso/gettoken` (§5.2). */
  ssoSecret?: string
  apps?: FixtureApp[]
  departments: FixtureDepartment[]
  users: FixtureUser[]
  /** Approval templates and roles (default: `defaultOffice(org)` — 请假/报销 templates, 默认/职务 roles). */
  office?: FixtureOffice
}

/** An ISV suite (third-party app) and the callback settings DingTalk pushes suite events with (§2.3). */
export interface FixtureSuite {
  suiteKey: string
  suiteSecret: string
  /** Numeric suite id, used as `biz_id` in `SYNC_HTTP_PUSH_HIGH` pushes. */
  suiteId?: number
  /** The micro-app id and agent name an authorising corp gets. */
  appId?: number
  name: string
  /** Callback token and EncodingAESKey (43 chars) used to sign and encrypt suite pushes (§1). */
  token: string
  aesKey: string
  /** Where suite events (suite_ticket, tmp_auth_code…) are pushed; no pushes while absent. */
  callbackUrl?: string
  /** A suite_ticket the app already holds, accepted by `service/get_suite_token` (§4.3). */
  suiteTicket?: string
  /** `legacy`: one event per push; `syncHttp`: the `SYNC_HTTP_PUSH_HIGH` form with `bizData` (§2.3). */
  pushStyle?: 'legacy' | 'syncHttp'
  /**
   * A test suite (测试应用): the signed `service/get_corp_token` accepts any `suiteTicket` (§4.4). Default:
   * only the latest two pushed tickets, 853005 otherwise.
   */
  testSuite?: boolean
}

/** A corp that has already authorised a suite (the outcome of `get_permanent_code`). */
export interface FixtureAuthorization {
  corpId: string
  suiteKey: string
  permanentCode: string
  activated?: boolean
  agentId?: number
}

/**
 * Everything the emulator starts with. Pass an object, or the path of a JSON file with this shape.
 *
 * @example
 * ```ts
 * const fixture: Fixture = { ...defaultFixture, suites: [] }
 * const emu = await startEmulator({ fixture })
 * ```
 */
export interface Fixture {
  orgs: FixtureOrg[]
  suites?: FixtureSuite[]
  authorizations?: FixtureAuthorization[]
}

/**
 * The deterministic fixture the emulator uses when none is given. Its credentials are documented and
 * stable, so tests, the demo and users can hard-code them:
 *
 * - corp `dingemu5f0c1a2b3c4d5e6f` (示例科技有限公司), departments 1 root, 2 研发部, 3 市场部, 4 前端组 (under 2);
 *   users `zhangsan` 张三 (admin), `lisi` 李四, `wangwu` 王五, `zhaoliu` 赵六 (boss); SSO secret `emu-sso-secret`
 * - app 示例应用: agentId `100000001`, appKey `dingemuappkey0001` / appSecret `emu-app-secret`,
 *   corpId + corpSecret `emu-corp-secret`
 * - suite 示例套件: suiteKey `suiteemu0000000001` / suiteSecret `emu-suite-secret`, callback token
 *   `emu-suite-token`, aesKey `emulatorSuiteAesKey0123456789abcdefghijklmn`, suiteTicket `emu-suite-ticket`
 * - an authorisable corp `dingemucustomer0000001` (客户公司) with user `sunqi` 孙七
 *
 * @example
 * ```ts
 * const app = defaultFixture.orgs[0]!.apps![0]!
 * await fetch(`${emu.url}/gettoken?appkey=${app.appKey}&appsecret=${app.appSecret}`)
 * ```
 */
export const defaultFixture: Fixture = {
  orgs: [
    {
      corpId: 'dingemu5f0c1a2b3c4d5e6f',
      corpName: '示例科技有限公司',
      ssoSecret: 'emu-sso-secret',
      apps: [
        {
          name: '示例应用',
          agentId: 100000001,
          appKey: 'dingemuappkey0001',
          appSecret: 'emu-app-secret',
          corpSecret: 'emu-corp-secret',
        },
      ],
      departments: [
        { id: 1, name: '示例科技' },
        { id: 2, name: '研发部', parentid: 1, order: 1 },
        { id: 3, name: '市场部', parentid: 1, order: 2 },
        { id: 4, name: '前端组', parentid: 2, order: 1 },
      ],
      users: [
        {
          userid: 'zhangsan',
          name: '张三',
          mobile: '13800000001',
          department: [1, 2],
          position: '技术总监',
          email: 'zhangsan@example.com',
          isAdmin: true,
          unionid: 'unionzhangsan',
        },
        { userid: 'lisi', name: '李四', mobile: '13800000002', department: [2, 4], position: '前端工程师' },
        { userid: 'wangwu', name: '王五', mobile: '13800000003', department: [3], position: '市场经理' },
        { userid: 'zhaoliu', name: '赵六', mobile: '13800000004', department: [1], isBoss: true },
      ],
    },
    {
      corpId: 'dingemucustomer0000001',
      corpName: '客户公司',
      departments: [{ id: 1, name: '客户公司' }],
      users: [{ userid: 'sunqi', name: '孙七', mobile: '13900000001', department: [1], isAdmin: true }],
    },
  ],
  suites: [
    {
      suiteKey: 'suiteemu0000000001',
      suiteSecret: 'emu-suite-secret',
      suiteId: 7000001,
      appId: 8000001,
      name: '示例套件',
      token: 'emu-suite-token',
      aesKey: 'emulatorSuiteAesKey0123456789abcdefghijklmn',
      suiteTicket: 'emu-suite-ticket',
    },
  ],
  authorizations: [],
}

/**
 * Reads a fixture from a JSON file, or returns a deep copy of an object so the emulator never mutates it.
 *
 * @example
 * ```ts
 * const fixture = loadFixture('./dingtalk-fixture.json')
 * ```
 */
export function loadFixture(source: Fixture | string | undefined): Fixture {
  if (source === undefined) return structuredClone(defaultFixture)
  if (typeof source === 'string') {
    const parsed: unknown = JSON.parse(readFileSync(source, 'utf8'))
    if (!parsed || typeof parsed !== 'object' || !Array.isArray((parsed as Fixture).orgs)) {
      throw new Error(`fixture file ${source} must be a JSON object with an "orgs" array`)
    }
    return parsed as Fixture
  }
  return structuredClone(source)
}

/**
 * An approval template (审批模板) of the fixture.
 *
 * @example
 * ```ts
 * const trip: FixtureProcess = { processCode: 'PROC-TRIP', name: '出差', steps: ['zhangsan', { action: 'OR', userIds: ['zhaoliu', 'wangwu'] }] }
 * ```
 */
export interface FixtureProcess {
  processCode: string
  name: string
  /**
   * The template's own flow, used when `processinstance/create` names no approvers: one step per entry,
   * a userid (one approver) or `{ action, userIds }` (会签 `AND` / 或签 `OR`).
   */
  steps: (string | { action: 'AND' | 'OR'; userIds: string[] })[]
}

/**
 * A role group (角色组) of the fixture; `system` groups (默认) cannot be granted through the API.
 *
 * @example
 * ```ts
 * const group: FixtureRoleGroup = { groupId: 7, name: '项目', roles: [{ roleId: 70, name: '组长', members: ['lisi'] }] }
 * ```
 */
export interface FixtureRoleGroup {
  groupId: number
  name: string
  system?: boolean
  roles: { roleId: number; name: string; members?: string[] }[]
}

/**
 * Approval templates and roles of an organisation (`FixtureOrg.office`).
 *
 * @example
 * ```ts
 * const fixture: Fixture = structuredClone(defaultFixture)
 * fixture.orgs[0]!.office = { processes: [{ processCode: 'PROC-TRIP', name: '出差', steps: ['zhangsan'] }] }
 * ```
 */
export interface FixtureOffice {
  processes?: FixtureProcess[]
  roleGroups?: FixtureRoleGroup[]
}
