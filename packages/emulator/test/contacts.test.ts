import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type Emulator, startEmulator } from '../src/index'
import { corpToken, getJson, postJson } from './helpers'

let emu: Emulator
let token: string
const api = (path: string, query = ''): string => `${emu.url}${path}?access_token=${token}${query}`

beforeEach(async () => {
  emu = await startEmulator()
  token = await corpToken(emu.url)
})
afterEach(async () => {
  await emu.close()
})

describe('legacy departments (§6.1)', () => {
  it('lists, gets, creates, updates and deletes', async () => {
    const all = await getJson(api('/department/list'))
    expect((all.department as { id: number }[]).map((d) => d.id)).toEqual([2, 4, 3])
    const direct = await getJson(api('/department/list', '&fetch_child=false'))
    expect((direct.department as { id: number }[]).map((d) => d.id)).toEqual([2, 3])
    expect(await getJson(api('/department/get', '&id=4'))).toMatchObject({
      errcode: 0,
      name: '前端组',
      parentid: 2,
    })
    const created = await postJson(api('/department/create'), { name: '测试部', parentid: 2, order: 5 })
    expect(created).toMatchObject({ errcode: 0, errmsg: 'created', id: 5 })
    expect(await getJson(api('/department/list_ids', '&id=2'))).toMatchObject({ sub_dept_id_list: [4, 5] })
    expect(await postJson(api('/department/update'), { id: 5, name: '质量部' })).toMatchObject({
      errmsg: 'updated',
    })
    expect(emu.state.orgs.values().next().value?.departments.get(5)?.name).toBe('质量部')
    expect(await getJson(api('/department/list_parent_depts_by_dept', '&id=5'))).toMatchObject({
      parentIds: [5, 2, 1],
    })
    expect(await getJson(api('/department/delete', '&id=5'))).toMatchObject({ errcode: 0, errmsg: 'deleted' })
    expect((await getJson(api('/department/get', '&id=5'))).errcode).toBe(60003)
  })

  it('answers department errors', async () => {
    expect((await postJson(api('/department/create'), { name: '研发部', parentid: 1 })).errcode).toBe(60008)
    expect((await postJson(api('/department/create'), { name: '', parentid: 1 })).errcode).toBe(60001)
    expect((await postJson(api('/department/create'), { name: 'x', parentid: 99 })).errcode).toBe(60003)
    expect((await postJson(api('/department/update'), { id: 2, parentid: 4 })).errcode).toBe(40035)
    expect((await getJson(api('/department/delete', '&id=1'))).errcode).toBe(60007)
    expect((await getJson(api('/department/delete', '&id=2'))).errcode).toBe(60006)
    expect((await getJson(api('/department/delete', '&id=3'))).errcode).toBe(60005)
    expect((await getJson(api('/department/list', '&id=42'))).errcode).toBe(60003)
  })
})

describe('legacy users (§6.2)', () => {
  it('gets, creates with Chinese names, updates, lists and deletes', async () => {
    expect(await getJson(api('/user/get', '&userid=zhangsan'))).toMatchObject({
      errcode: 0,
      name: '张三',
      department: [1, 2],
      isAdmin: true,
    })
    const created = await postJson(api('/user/create'), {
      name: '钱八',
      mobile: '13700000008',
      department: [3],
    })
    expect(created).toMatchObject({ errcode: 0, errmsg: 'created' })
    const userid = created.userid as string
    expect(await postJson(api('/user/update'), { userid, position: '销售' })).toMatchObject({
      errmsg: 'updated',
    })
    expect((await getJson(api('/user/get', `&userid=${userid}`))).position).toBe('销售')
    const simple = await getJson(api('/user/simplelist', '&department_id=3'))
    expect(simple).toMatchObject({
      hasMore: false,
      userlist: [
        { userid: 'wangwu', name: '王五' },
        { userid, name: '钱八' },
      ],
    })
    const paged = await getJson(api('/user/list', '&department_id=3&offset=0&size=1'))
    expect(paged).toMatchObject({ hasMore: true, userlist: [{ userid: 'wangwu', mobile: '13800000003' }] })
    expect(await getJson(api('/user/getDeptMember', '&deptId=3'))).toMatchObject({
      userIds: ['wangwu', userid],
    })
    expect(await getJson(api('/user/get_org_user_count', '&onlyActive=0'))).toMatchObject({ count: 5 })
    expect(await getJson(api('/user/delete', `&userid=${userid}`))).toMatchObject({ errmsg: 'deleted' })
    expect((await getJson(api('/user/get', `&userid=${userid}`))).errcode).toBe(60121)
    expect(await postJson(api('/user/batchdelete'), { useridlist: ['wangwu'] })).toMatchObject({ errcode: 0 })
    expect((await getJson(api('/user/simplelist', '&department_id=3'))).userlist).toEqual([])
  })

  it('answers user errors', async () => {
    const base = { name: '周九', mobile: '13700000009', department: [1] }
    expect((await postJson(api('/user/create'), { ...base, userid: 'lisi' })).errcode).toBe(60102)
    expect((await postJson(api('/user/create'), { ...base, mobile: '13800000001' })).errcode).toBe(60104)
    expect((await postJson(api('/user/create'), { ...base, mobile: 'abc' })).errcode).toBe(60103)
    expect((await postJson(api('/user/create'), { ...base, department: [77] })).errcode).toBe(60003)
    expect((await postJson(api('/user/create'), { ...base, department: 'x' })).errcode).toBe(40025)
    expect((await postJson(api('/user/update'), { userid: 'ghost', name: 'x' })).errcode).toBe(60121)
    expect((await getJson(api('/user/simplelist', '&department_id=1&offset=0&size=101'))).errcode).toBe(40035)
    expect((await postJson(api('/user/batchdelete'), { useridlist: [] })).errcode).toBe(40035)
    const plain = await fetch(api('/user/create'), { method: 'POST', body: JSON.stringify(base) })
    expect(((await plain.json()) as { errcode: number }).errcode).toBe(43004)
    // §4.1: the contact APIs accept escaped Chinese in practice; a NUL is refused (40033).
    const escaped = await postJson(
      api('/user/create'),
      '{"name":"\\u5468\\u5341","mobile":"13700000010","department":[1]}',
    )
    expect(escaped.errcode).toBe(0)
    expect(await getJson(api('/user/get', `&userid=${escaped.userid}`))).toMatchObject({ name: '周十' })
    expect(
      (await postJson(api('/user/create'), '{"name":"a\\u0000","mobile":"13700000011","department":[1]}'))
        .errcode,
    ).toBe(40033)
  })
})

describe('topapi v2 contacts (§6.3)', () => {
  it('users: get, create, update, list, listsimple, listid, delete', async () => {
    const got = await postJson(api('/topapi/v2/user/get'), { userid: 'lisi', language: 'zh_CN' })
    expect(got).toMatchObject({ errcode: 0, result: { userid: 'lisi', name: '李四', dept_id_list: [2, 4] } })
    expect(typeof got.request_id).toBe('string')
    const created = await postJson(api('/topapi/v2/user/create'), {
      userid: 'qianba',
      name: '钱八',
      mobile: '13700000008',
      dept_id_list: '2,3',
      title: '测试',
    })
    expect(created).toMatchObject({ errcode: 0, result: { userid: 'qianba' } })
    expect((await postJson(api('/topapi/v2/user/update'), { userid: 'qianba', title: '经理' })).errcode).toBe(
      0,
    )
    expect(emu.state.orgs.values().next().value?.users.get('qianba')?.position).toBe('经理')
    const list = await postJson(api('/topapi/v2/user/list'), { dept_id: 2, cursor: 0, size: 1 })
    expect(list).toMatchObject({ result: { has_more: true, next_cursor: 1, list: [{ userid: 'zhangsan' }] } })
    const rest = await postJson(api('/topapi/v2/user/list'), { dept_id: 2, cursor: 1, size: 10 })
    expect(rest).toMatchObject({
      result: { has_more: false, list: [{ userid: 'lisi' }, { userid: 'qianba' }] },
    })
    const simple = await postJson(api('/topapi/user/listsimple'), { dept_id: 3, cursor: 0, size: 10 })
    expect(simple).toMatchObject({
      result: { has_more: false, list: [{ userid: 'wangwu', name: '王五' }, { userid: 'qianba' }] },
    })
    expect(await postJson(api('/topapi/user/listid'), { dept_id: 4 })).toMatchObject({
      result: { userid_list: ['lisi'] },
    })
    expect((await postJson(api('/topapi/v2/user/delete'), { userid: 'qianba' })).errcode).toBe(0)
    expect((await postJson(api('/topapi/v2/user/get'), { userid: 'qianba' })).errcode).toBe(60121)
  })

  it('departments: get, create, update, listsub, listsubid, delete', async () => {
    expect(await postJson(api('/topapi/v2/department/get'), { dept_id: 2 })).toMatchObject({
      result: { dept_id: 2, name: '研发部', parent_id: 1 },
    })
    const created = await postJson(api('/topapi/v2/department/create'), { name: '运维部', parent_id: 1 })
    expect(created).toMatchObject({ errcode: 0, result: { dept_id: 5 } })
    expect(
      (await postJson(api('/topapi/v2/department/update'), { dept_id: 5, name: '平台部' })).errcode,
    ).toBe(0)
    const sub = await postJson(api('/topapi/v2/department/listsub'), { dept_id: 1 })
    expect((sub.result as { name: string }[]).map((d) => d.name)).toEqual(['研发部', '市场部', '平台部'])
    expect(await postJson(api('/topapi/v2/department/listsubid'), { dept_id: 1 })).toMatchObject({
      result: { dept_id_list: [2, 3, 5] },
    })
    expect((await postJson(api('/topapi/v2/department/delete'), { dept_id: 5 })).errcode).toBe(0)
    expect((await postJson(api('/topapi/v2/department/get'), { dept_id: 5 })).errcode).toBe(60003)
  })

  it('accepts form bodies on topapi (§4.1)', async () => {
    const res = await fetch(api('/topapi/v2/user/get'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'userid=wangwu',
    })
    expect(await res.json()).toMatchObject({ errcode: 0, result: { userid: 'wangwu' } })
  })
})
