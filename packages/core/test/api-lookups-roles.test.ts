import { defaultFixture, type Emulator, startEmulator } from '@dingtalk-kit/emulator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSuiteClient, type DingTalkClient, DingTalkLimitError, type RoleMember } from '../src/index'
import { errcode, failure, org, startCorp } from './support/office'
import { startTestReceiver, type TestReceiver } from './support/receiver'

const token = 'roles-token'
const aesKey = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG'

let emu: Emulator
let client: DingTalkClient
let receiver: TestReceiver

beforeAll(async () => {
  ;({ emu, client } = await startCorp({ push: { retries: 0 } }))
  receiver = await startTestReceiver({ token, aesKey, receiveId: org.corpId })
})

afterAll(async () => {
  await emu.close()
  await receiver.close()
})

describe('client.lookups', () => {
  it('finds members by mobile and unionid; unknown ones are 60121, a malformed mobile 40104', async () => {
    expect(await client.lookups.getUserIdByMobile('13800000002')).toBe('lisi')
    expect(await errcode(client.lookups.getUserIdByMobile('13999999999'))).toBe(60121)
    expect(await errcode(client.lookups.getUserIdByMobile('12ab'))).toBe(40104)
    expect(await client.lookups.getUserIdByUnionId('unionzhangsan')).toEqual({
      userId: 'zhangsan',
      external: false,
    })
    expect(await errcode(client.lookups.getUserIdByUnionId('union-nobody'))).toBe(60121)
    expect(emu.log.at(-1)).toMatchObject({
      path: '/topapi/user/getbyunionid',
      body: { unionid: 'union-nobody' },
    })
  })

  it('refuses an empty mobile locally, before any call', async () => {
    const before = emu.log.length
    const error = await failure(client.lookups.getUserIdByMobile(''))
    expect(error).toBeInstanceOf(DingTalkLimitError)
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', parameter: 'mobile' })
    expect(emu.log.length).toBe(before)
  })

  it('lists administrators and their scope', async () => {
    expect(await client.lookups.listAdmins()).toEqual([{ userId: 'zhangsan', sysLevel: 1 }])
    expect(await client.lookups.getAdminScope('zhangsan')).toEqual([1])
    expect(await client.lookups.getAdminScope('lisi')).toEqual([])
    expect(await errcode(client.lookups.getAdminScope('nobody'))).toBe(60121)
  })

  it('walks parent chains of departments and users; 60003 and 33012 for unknown ones', async () => {
    expect(await client.lookups.listParentDepartments(4)).toEqual([4, 2, 1])
    expect(await client.lookups.listParentDepartments(1)).toEqual([1])
    expect(await errcode(client.lookups.listParentDepartments(999))).toBe(60003)
    expect(await client.lookups.listUserParentDepartments('lisi')).toEqual([
      [2, 1],
      [4, 2, 1],
    ])
    expect(await errcode(client.lookups.listUserParentDepartments('nobody'))).toBe(33012)
  })

  it('counts members, and only active ones', async () => {
    const all = await client.lookups.countUsers()
    expect(all).toBe(org.users.length)
    emu.state.orgs.get(org.corpId)!.users.get('wangwu')!.active = false
    try {
      expect(await client.lookups.countUsers({ onlyActive: true })).toBe(all - 1)
      expect(await client.lookups.countUsers()).toBe(all)
    } finally {
      emu.state.orgs.get(org.corpId)!.users.get('wangwu')!.active = true
    }
  })
})

describe('client.roles', () => {
  it('pages role groups and reads a group and a role; 33011 for an unknown role', async () => {
    const first = await client.roles.listGroups({ offset: 0, size: 1 })
    expect(first).toMatchObject({ hasMore: true, list: [{ groupId: 1000001, name: '默认' }] })
    const all = []
    for await (const group of client.roles.iterateGroups({ size: 1 })) all.push(group.name)
    expect(all).toEqual(['默认', '职务'])
    expect(await client.roles.getGroup(1000010)).toEqual({
      groupId: 1000010,
      name: '职务',
      roles: [
        { roleId: 1000011, name: '财务' },
        { roleId: 1000012, name: '人事' },
        { roleId: 1000013, name: '项目经理' },
      ],
    })
    expect(await client.roles.get(1000004)).toEqual({ roleId: 1000004, name: '主管理员', groupId: 1000001 })
    expect(await errcode(client.roles.get(42))).toBe(33011)
  })

  it('grants and revokes roles, pushes label_user_change, and lists the members', async () => {
    await client.callbacks.register({ tags: ['label_user_change'], token, aesKey, url: receiver.url })
    await client.roles.addToUsers({ roleIds: [1000011, 1000013], userIds: ['lisi', 'wangwu'] })
    await emu.idle()
    expect(receiver.events.at(-1)).toMatchObject({
      EventType: 'label_user_change',
      UserIdList: ['lisi', 'wangwu'],
      LabelIdList: [1000011, 1000013],
      action: 'add',
    })
    const members: RoleMember[] = []
    for await (const member of client.roles.iterateMembers(1000011, { size: 1 })) members.push(member)
    expect(members.map((m) => m.userId)).toEqual(['lisi', 'wangwu'])
    expect(members[0]).toEqual({ userId: 'lisi', name: '李四', manageScopes: [] })

    await client.roles.removeFromUsers({ roleIds: [1000011], userIds: ['lisi'] })
    await emu.idle()
    expect(receiver.events.at(-1)).toMatchObject({ EventType: 'label_user_change', action: 'remove' })
    expect((await client.roles.listMembers({ roleId: 1000011 })).list.map((m) => m.userId)).toEqual([
      'wangwu',
    ])
    expect((await client.roles.listMembers({ roleId: 1000013 })).list.map((m) => m.userId)).toEqual([
      'lisi',
      'wangwu',
    ])
  })

  it('refuses roles of the default group (33011) and unknown users (33012)', async () => {
    expect(await errcode(client.roles.addToUsers({ roleIds: [1000004], userIds: ['lisi'] }))).toBe(33011)
    expect(await errcode(client.roles.addToUsers({ roleIds: [1000012], userIds: ['nobody'] }))).toBe(33012)
    expect((await client.roles.listMembers({ roleId: 1000012 })).list).toEqual([])
  })

  it('checks the 20-role, 20-user (add) and 100-user (remove) limits locally', async () => {
    const before = emu.log.length
    const users = (n: number): string[] => Array.from({ length: n }, (_, i) => `u${i}`)
    const tooManyUsers = await failure(client.roles.addToUsers({ roleIds: [1000011], userIds: users(21) }))
    expect(tooManyUsers).toBeInstanceOf(DingTalkLimitError)
    expect(tooManyUsers).toMatchObject({ code: 'LIST_TOO_LONG', parameter: 'userIds', max: 20, actual: 21 })
    const tooManyRoles = await failure(
      client.roles.removeFromUsers({ roleIds: Array.from({ length: 21 }, (_, i) => i), userIds: ['lisi'] }),
    )
    expect(tooManyRoles).toMatchObject({ code: 'LIST_TOO_LONG', parameter: 'roleIds', max: 20 })
    expect(
      await failure(client.roles.removeFromUsers({ roleIds: [1000011], userIds: users(101) })),
    ).toMatchObject({ code: 'LIST_TOO_LONG', max: 100, actual: 101 })
    expect(await failure(client.roles.listGroups({ size: 201 }))).toMatchObject({
      code: 'PAGE_SIZE_TOO_LARGE',
    })
    expect(emu.log.length).toBe(before)
  })
})

describe('ISV: suite.forCorp(corpId) carries the same groups', () => {
  it('looks up, lists roles and starts an approval in an authorising corp with its corp token', async () => {
    const suiteFx = defaultFixture.suites![0]!
    const customer = defaultFixture.orgs[1]!
    const fixture = structuredClone(defaultFixture)
    fixture.authorizations = [
      {
        corpId: customer.corpId,
        suiteKey: suiteFx.suiteKey,
        permanentCode: 'perm-customer',
        agentId: 200000042,
      },
    ]
    const isv = await startEmulator({ fixture, suiteTicketIntervalMs: 0 })
    try {
      const suite = createSuiteClient(
        { suiteKey: suiteFx.suiteKey, suiteSecret: suiteFx.suiteSecret },
        { baseUrl: isv.url, retry: { baseDelayMs: 1, maxDelayMs: 2 } },
      )
      await suite.saveSuiteTicket(suiteFx.suiteTicket!)
      await suite.savePermanentCode(customer.corpId, 'perm-customer', { agentId: 200000042 })
      const corp = suite.forCorp(customer.corpId)
      expect(await corp.lookups.countUsers()).toBe(customer.users.length)
      expect(await corp.lookups.listAdmins()).toEqual([{ userId: 'sunqi', sysLevel: 1 }])
      expect((await corp.roles.getGroup(1000001)).roles.map((r) => r.name)).toContain('主管理员')
      const { processInstanceId } = await corp.approvals.create({
        processCode: 'PROC-EMU-LEAVE',
        originatorUserId: 'sunqi',
        deptId: -1,
        form: [{ name: '事由', value: '年假' }],
      })
      // ISV apps must name their agent: the corp's agentId goes with the call.
      expect(isv.log.at(-1)?.body).toMatchObject({ agent_id: 200000042 })
      expect(isv.state.tokens.get(await corp.getAccessToken())).toMatchObject({ suiteKey: suiteFx.suiteKey })
      expect(isv.approvals.pendingApprovers(processInstanceId)).toEqual(['sunqi'])
    } finally {
      await isv.close()
    }
  })
})
