import { defaultFixture, type Emulator, startEmulator } from '@dingtalk-kit/emulator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDingTalkClient, DingTalkApiError, type DingTalkClient } from '../src/index'

const org = defaultFixture.orgs[0]!
const app = org.apps![0]!

let emu: Emulator
let client: DingTalkClient

beforeAll(async () => {
  emu = await startEmulator()
  client = createDingTalkClient(
    { appKey: app.appKey, appSecret: app.appSecret, corpId: org.corpId },
    { baseUrl: emu.url, retry: { baseDelayMs: 1, maxDelayMs: 2 } },
  )
})

afterAll(async () => {
  await emu.close()
})

async function apiError(promise: Promise<unknown>): Promise<DingTalkApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(DingTalkApiError)
  return error as DingTalkApiError
}

let mobileSeq = 13700000000
const mobile = (): string => String(mobileSeq++)

const utf8 = (text: string): number[] => [...new TextEncoder().encode(text)]

describe('contacts.users (topapi/v2, §6.3)', () => {
  it('round-trips Chinese names byte-exact through create, get and list', async () => {
    // CJK, an astral-plane ideograph, a combining mark and an emoji: all raw UTF-8, never \u escapes (40033).
    const name = '欧阳𠮷̈娜😀'
    const { userId, unionId } = await client.contacts.users.create({
      name,
      mobile: mobile(),
      deptIds: [3],
      title: '市场专员',
    })
    expect(userId).not.toBe('')
    expect(unionId).not.toBe('')
    const user = await client.contacts.users.get(userId)
    expect(utf8(user.name)).toEqual(utf8(name))
    expect(user).toMatchObject({ userId, title: '市场专员', deptIdList: [3] })
    const listed = await client.contacts.users.listSimple({ deptId: 3 })
    expect(listed.list.find((u) => u.userId === userId)?.name).toBe(name)
    const legacy = await client.contacts.legacy.users.get(userId)
    expect(utf8(legacy.name)).toEqual(utf8(name))
  })

  it('updates and deletes; a deleted user is 60121, a duplicate mobile 60104', async () => {
    const phone = mobile()
    const { userId } = await client.contacts.users.create({ name: '钱八', mobile: phone, deptIds: [2] })
    await client.contacts.users.update({ userId, title: '架构师', deptIds: [2, 4], email: 'qb@example.com' })
    expect(await client.contacts.users.get(userId)).toMatchObject({
      title: '架构师',
      deptIdList: [2, 4],
      email: 'qb@example.com',
    })
    expect(
      (await apiError(client.contacts.users.create({ name: '重复', mobile: phone, deptIds: [1] }))).errcode,
    ).toBe(60104)
    await client.contacts.users.delete(userId)
    expect((await apiError(client.contacts.users.get(userId))).errcode).toBe(60121)
  })

  it('iterates every page of a department with the cursor', async () => {
    const ids: string[] = []
    for (let i = 0; i < 5; i++) {
      ids.push(
        (await client.contacts.users.create({ name: `分页${i}`, mobile: mobile(), deptIds: [4] })).userId,
      )
    }
    const expected = await client.contacts.users.listIds(4)
    expect(expected).toEqual(expect.arrayContaining(ids))
    const before = emu.count('/topapi/v2/user/list')
    const seen: string[] = []
    for await (const user of client.contacts.users.iterate({ deptId: 4, size: 2 })) seen.push(user.userId)
    expect(seen).toEqual(expected)
    expect(emu.count('/topapi/v2/user/list') - before).toBe(Math.ceil(expected.length / 2))
    const simple: string[] = []
    for await (const user of client.contacts.users.iterateSimple({ deptId: 4, size: 4 }))
      simple.push(user.name)
    expect(simple).toContain('分页4')
    expect(simple).toHaveLength(expected.length)
    const page = await client.contacts.users.list({ deptId: 4, size: 2 })
    expect(page).toMatchObject({ hasMore: true, nextCursor: 2 })
    expect((await apiError(client.contacts.users.list({ deptId: 4, size: 500 }))).errcode).toBe(40035)
  })
})

describe('contacts.departments (topapi/v2, §6.3)', () => {
  it('creates, reads, updates, lists, iterates and deletes', async () => {
    const { deptId } = await client.contacts.departments.create({ name: '测试部', parentId: 2, order: 9 })
    expect(await client.contacts.departments.get(deptId)).toMatchObject({
      deptId,
      name: '测试部',
      parentId: 2,
    })
    await client.contacts.departments.update({ deptId, name: '测试中心' })
    expect((await client.contacts.departments.get(deptId)).name).toBe('测试中心')
    const subs = await client.contacts.departments.listSub(2)
    expect(subs.map((d) => d.deptId)).toContain(deptId)
    expect(await client.contacts.departments.listSubIds(2)).toContain(deptId)
    const all: number[] = []
    for await (const dept of client.contacts.departments.iterate()) all.push(dept.deptId)
    expect(all).toEqual(expect.arrayContaining([2, 3, 4, deptId]))
    expect(new Set(all).size).toBe(all.length)
    await client.contacts.departments.delete(deptId)
    expect((await apiError(client.contacts.departments.get(deptId))).errcode).toBe(60003)
  })

  it('refuses to delete the root (60007) or a department with members (60005)', async () => {
    expect((await apiError(client.contacts.departments.delete(1))).errcode).toBe(60007)
    expect((await apiError(client.contacts.departments.delete(3))).errcode).toBe(60005)
  })
})

describe('contacts.legacy (§6.1, §6.2)', () => {
  it('users: create, get, update, lists, iterate, member ids, count, batch delete', async () => {
    const { userId } = await client.contacts.legacy.users.create({
      name: '周九',
      mobile: mobile(),
      department: [3],
      position: '销售',
      extattr: { 爱好: '旅游' },
    })
    expect(await client.contacts.legacy.users.get(userId)).toMatchObject({
      userId,
      name: '周九',
      position: '销售',
      department: [3],
      extattr: { 爱好: '旅游' },
    })
    await client.contacts.legacy.users.update({ userId, position: '销售总监' })
    expect((await client.contacts.legacy.users.get(userId)).position).toBe('销售总监')
    const simple = await client.contacts.legacy.users.simpleList({ departmentId: 3 })
    expect(simple.list.map((u) => u.userId)).toContain(userId)
    const all: string[] = []
    const before = emu.count('/user/list')
    for await (const user of client.contacts.legacy.users.iterate({ departmentId: 3, size: 1 }))
      all.push(user.userId)
    const members = await client.contacts.legacy.users.deptMemberIds(3)
    expect(all).toEqual(members)
    expect(emu.count('/user/list') - before).toBe(members.length)
    const count = await client.contacts.legacy.users.count()
    expect(count).toBeGreaterThanOrEqual(members.length)
    const second = await client.contacts.legacy.users.create({
      name: '吴十',
      mobile: mobile(),
      department: [3],
    })
    await client.contacts.legacy.users.batchDelete([userId, second.userId])
    expect(await client.contacts.legacy.users.count()).toBe(count - 1)
    expect((await apiError(client.contacts.legacy.users.get(userId))).errcode).toBe(60121)
    expect((await apiError(client.contacts.legacy.users.delete('nobody'))).errcode).toBe(60121)
  })

  it('users: create without a department is refused (40035) and a bad mobile is 60103', async () => {
    expect(
      (
        await apiError(
          client.contacts.legacy.users.create({ name: '无部门', mobile: mobile(), department: [] }),
        )
      ).errcode,
    ).toBe(40035)
    expect(
      (await apiError(client.contacts.legacy.users.create({ name: '坏号码', mobile: 'x', department: [1] })))
        .errcode,
    ).toBe(60103)
  })

  it('departments: list, get, create, update, ids, parents, delete', async () => {
    const list = await client.contacts.legacy.departments.list()
    expect(list.map((d) => d.name)).toEqual(expect.arrayContaining(['研发部', '市场部', '前端组']))
    const direct = await client.contacts.legacy.departments.list({ id: 1, fetchChild: false })
    expect(direct.map((d) => d.id)).not.toContain(4)
    const { id } = await client.contacts.legacy.departments.create({ name: '后端组', parentId: 2 })
    expect(await client.contacts.legacy.departments.get(id)).toMatchObject({
      id,
      name: '后端组',
      parentId: 2,
    })
    await client.contacts.legacy.departments.update({ id, name: '服务端组' })
    expect((await client.contacts.legacy.departments.get(id)).name).toBe('服务端组')
    expect(await client.contacts.legacy.departments.listIds(2)).toContain(id)
    expect(await client.contacts.legacy.departments.parentIds(id)).toEqual([id, 2, 1])
    expect((await apiError(client.contacts.legacy.departments.delete(2))).errcode).toBe(60006)
    expect(
      (await apiError(client.contacts.legacy.departments.create({ name: '服务端组', parentId: 2 }))).errcode,
    ).toBe(60008)
    await client.contacts.legacy.departments.delete(id)
    expect((await apiError(client.contacts.legacy.departments.get(id))).errcode).toBe(60003)
  })
})
