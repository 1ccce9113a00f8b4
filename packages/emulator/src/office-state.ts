import type { Fixture, FixtureOffice, FixtureOrg, FixtureProcess, FixtureRoleGroup } from './fixture'

export type { FixtureOffice, FixtureProcess, FixtureRoleGroup } from './fixture'

/** One approver's task in an instance. */
export interface ApprovalTaskRecord {
  taskId: string
  userid: string
  status: 'NEW' | 'RUNNING' | 'COMPLETED' | 'CANCELED'
  result?: 'AGREE' | 'REFUSE'
  createdAt?: number
  finishedAt?: number
}

/** An approval instance as the emulator keeps it. */
export interface ApprovalInstanceRecord {
  processInstanceId: string
  corpId: string
  processCode: string
  title: string
  originator: string
  /** -1 for the root department. */
  deptId: number
  businessId: string
  createdAt: number
  finishedAt?: number
  status: 'RUNNING' | 'COMPLETED' | 'TERMINATED'
  result?: 'agree' | 'refuse'
  form: { name: string; value: string; ext_value?: string }[]
  steps: { action: 'AND' | 'OR' | 'NONE'; tasks: ApprovalTaskRecord[] }[]
  /** Index of the step whose tasks are running. */
  current: number
  cc: string[]
  ccPosition: 'START' | 'FINISH' | 'START_FINISH' | undefined
  operations: { userid: string; date: number; type: string; result: string; remark?: string }[]
}

/** A to-do (`topapi/workrecord/add`). */
export interface WorkRecordRecord {
  recordId: string
  corpId: string
  userid: string
  title: string
  url: string
  pcUrl?: string
  forms: { title: string; content: string }[]
  createTime: number
  bizId?: string
  sourceName?: string
  originator?: string
  done: boolean
  /** When it was added (emulator clock): the daily limits count by it. */
  addedAt: number
}

/** A one-time web-login code (`tmp_auth_code`) handed out by the login page (§5.3). */
export interface SnsCodeRecord {
  code: string
  appKey: string
  corpId: string
  userid: string
  expiresAt: number
  /** `oauth2`: issued by the newer login (login.dingtalk.com/oauth2/auth), exchanged on api.dingtalk.com. */
  form?: 'oauth2'
}

/**
 * A user access token of the OAuth2 login (`/v1.0/oauth2/userAccessToken`).
 *
 * @example
 * ```ts
 * const signedIn = [...emu.state.office.userTokens.values()].map((t: UserTokenRecord) => t.userid)
 * ```
 */
export interface UserTokenRecord {
  appKey: string
  corpId: string
  userid: string
  expiresAt: number
}

/**
 * The emulator's state of approvals, roles, to-dos and web logins (issue #19). Attendance, leave and reports
 * are generated from the calendar (see the routes) and need no state.
 */
export interface OfficeState {
  /** `${corpId}:${processCode}` → template. */
  processes: Map<string, FixtureProcess & { corpId: string }>
  /** Per corp: its role groups. */
  roleGroups: Map<string, FixtureRoleGroup[]>
  /** `${corpId}:${roleId}` → userids holding it. */
  roleMembers: Map<string, Set<string>>
  instances: Map<string, ApprovalInstanceRecord>
  workRecords: WorkRecordRecord[]
  snsCodes: Map<string, SnsCodeRecord>
  userTokens: Map<string, UserTokenRecord>
  /** Last id handed out (task ids, record ids). */
  seq: number
}

/**
 * The office data an organisation gets when its fixture has none: templates 请假 `PROC-EMU-LEAVE` (approved by
 * the first admin) and 报销 `PROC-EMU-EXPENSE` (the first admin, then the boss); role groups 默认 (负责人 1000002,
 * 主管 1000003, 主管理员 1000004 = the first admin, 子管理员 1000005 = the other admins) and 职务 (财务 1000011,
 * 人事 1000012, 项目经理 1000013).
 *
 * @example
 * ```ts
 * const office = defaultOffice(defaultFixture.orgs[0]!) // { processes: [请假, 报销], roleGroups: [默认, 职务] }
 * ```
 */
export function defaultOffice(org: FixtureOrg): Required<FixtureOffice> {
  const admins = org.users.filter((u) => u.isAdmin).map((u) => u.userid)
  const first = admins[0] ?? org.users[0]?.userid ?? ''
  const boss = org.users.find((u) => u.isBoss)?.userid
  return {
    processes: [
      { processCode: 'PROC-EMU-LEAVE', name: '请假', steps: [first] },
      {
        processCode: 'PROC-EMU-EXPENSE',
        name: '报销',
        steps: boss && boss !== first ? [first, boss] : [first],
      },
    ],
    roleGroups: [
      {
        groupId: 1000001,
        name: '默认',
        system: true,
        roles: [
          { roleId: 1000002, name: '负责人' },
          { roleId: 1000003, name: '主管' },
          { roleId: 1000004, name: '主管理员', members: first ? [first] : [] },
          { roleId: 1000005, name: '子管理员', members: admins.slice(1) },
        ],
      },
      {
        groupId: 1000010,
        name: '职务',
        roles: [
          { roleId: 1000011, name: '财务' },
          { roleId: 1000012, name: '人事' },
          { roleId: 1000013, name: '项目经理' },
        ],
      },
    ],
  }
}

export function buildOfficeState(fixture: Fixture): OfficeState {
  const state: OfficeState = {
    processes: new Map(),
    roleGroups: new Map(),
    roleMembers: new Map(),
    instances: new Map(),
    workRecords: [],
    snsCodes: new Map(),
    userTokens: new Map(),
    seq: 60000,
  }
  for (const org of fixture.orgs) {
    const defaults = defaultOffice(org)
    for (const p of org.office?.processes ?? defaults.processes) {
      state.processes.set(`${org.corpId}:${p.processCode}`, { ...structuredClone(p), corpId: org.corpId })
    }
    const groups = structuredClone(org.office?.roleGroups ?? defaults.roleGroups)
    state.roleGroups.set(org.corpId, groups)
    for (const group of groups) {
      for (const role of group.roles)
        state.roleMembers.set(`${org.corpId}:${role.roleId}`, new Set(role.members))
    }
  }
  return state
}
