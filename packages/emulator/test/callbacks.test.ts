import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { generateAesKey } from '../src/crypto'
import { DINGTALK_PUSH_SETTINGS, type Emulator, startEmulator } from '../src/index'
import { corp, corpToken, getJson, postJson } from './helpers'
import { deadUrl, type Receiver, startReceiver } from './receiver'

let emu: Emulator
let token: string
let receiver: Receiver
const aesKey = generateAesKey()
const cbToken = 'callback-token'
const api = (path: string, query = ''): string => `${emu.url}${path}?access_token=${token}${query}`
const tags = ['user_add_org', 'user_modify_org', 'user_leave_org', 'org_dept_create', 'org_dept_remove']

beforeEach(async () => {
  emu = await startEmulator({ push: { retries: 1, backoffMs: 1 } })
  token = await corpToken(emu.url)
  receiver = await startReceiver({ token: cbToken, aesKey, receiveId: corp.corpId })
})
afterEach(async () => {
  await emu.close()
  await receiver.close()
})

const register = (url: string, extra: Record<string, unknown> = {}) =>
  postJson(api('/call_back/register_call_back'), {
    call_back_tag: tags,
    token: cbToken,
    aes_key: aesKey,
    url,
    ...extra,
  })

describe('call_back/* (§2.4)', () => {
  it('registers after an encrypted check_url, then pushes contact events', async () => {
    expect(await register(receiver.url)).toMatchObject({ errcode: 0 })
    expect(receiver.events).toEqual([{ EventType: 'check_url' }])
    expect(await getJson(api('/call_back/get_call_back'))).toMatchObject({
      call_back_tag: tags,
      url: receiver.url,
      token: cbToken,
      aes_key: aesKey,
    })
    const created = await postJson(api('/topapi/v2/user/create'), {
      name: '钱八',
      mobile: '13700000008',
      dept_id_list: '2',
    })
    const userid = (created.result as { userid: string }).userid
    await postJson(api('/user/update'), { userid, position: 'x' })
    await getJson(api('/user/delete', `&userid=${userid}`))
    await postJson(api('/department/create'), { name: '新部门', parentid: 1 })
    await postJson(api('/department/update'), { id: 5, name: '改名' })
    await emu.idle()
    const events = receiver.events.slice(1)
    expect(events.map((e) => e.EventType).sort()).toEqual(
      ['org_dept_create', 'user_add_org', 'user_leave_org', 'user_modify_org'].sort(),
    )
    expect(events.find((e) => e.EventType === 'user_add_org')).toMatchObject({
      UserId: [userid],
      CorpId: corp.corpId,
    })
    expect(events.find((e) => e.EventType === 'org_dept_create')).toMatchObject({ DeptId: [5] })
    expect(emu.state.pushes.every((p) => p.result?.ok)).toBe(true)
    expect(receiver.rejected).toBe(0)
    expect(receiver.queries[0]).toHaveProperty('signature')
    expect(JSON.stringify(emu.log)).not.toContain(aesKey)
  })

  it('answers 71009 when the reply is not the encrypted success, 71012 when the URL is unreachable', async () => {
    receiver.mode = 'wrong'
    const wrong = await register(receiver.url)
    expect(wrong.errcode).toBe(71009)
    expect(String(wrong.errmsg)).toContain('fail')
    receiver.mode = 'http500'
    expect((await register(receiver.url)).errcode).toBe(71009)
    expect((await register(await deadUrl())).errcode).toBe(71012)
    expect((await getJson(api('/call_back/get_call_back'))).errcode).toBe(71007)
  })

  it('validates the registration (71006, 71007, 71008, 71010, 71011)', async () => {
    expect((await register(receiver.url, { aes_key: 'short' })).errcode).toBe(71010)
    expect((await register(receiver.url, { call_back_tag: [] })).errcode).toBe(71010)
    expect((await register(receiver.url, { token: '' })).errcode).toBe(71010)
    expect((await register(receiver.url, { call_back_tag: ['user_add_org', 'made_up'] })).errcode).toBe(71008)
    expect((await register('not a url')).errcode).toBe(71011)
    expect((await register('ftp://example.com/x')).errcode).toBe(71011)
    const update = { call_back_tag: tags, token: cbToken, aes_key: aesKey, url: receiver.url }
    expect((await postJson(api('/call_back/update_call_back'), update)).errcode).toBe(71007)
    expect((await getJson(api('/call_back/delete_call_back'))).errcode).toBe(71007)
    expect((await register(receiver.url)).errcode).toBe(0)
    expect((await register(receiver.url)).errcode).toBe(71006)
  })

  it('update checks the new URL; delete stops pushes', async () => {
    expect((await register(receiver.url)).errcode).toBe(0)
    const other = await startReceiver({ token: 't2', aesKey, receiveId: corp.corpId })
    try {
      const update = { call_back_tag: ['user_add_org'], token: 't2', aes_key: aesKey, url: other.url }
      expect((await postJson(api('/call_back/update_call_back'), update)).errcode).toBe(0)
      expect(other.events).toEqual([{ EventType: 'check_url' }])
      await postJson(api('/user/create'), { name: '吴十', mobile: '13700000010', department: [1] })
      await emu.idle()
      expect(other.events.map((e) => e.EventType)).toEqual(['check_url', 'user_add_org'])
      expect(await getJson(api('/call_back/delete_call_back'))).toMatchObject({ errcode: 0 })
      await postJson(api('/user/create'), { name: '郑十一', mobile: '13700000011', department: [1] })
      await emu.idle()
      expect(other.events).toHaveLength(2)
    } finally {
      await other.close()
    }
  })

  it('re-pushes a failed event and lists it in get_call_back_failed_result', async () => {
    expect((await register(receiver.url)).errcode).toBe(0)
    receiver.mode = 'wrong'
    await postJson(api('/department/create'), { name: '失败部', parentid: 1 })
    await emu.idle()
    const push = emu.state.pushes.at(-1)
    expect(push?.eventType).toBe('org_dept_create')
    expect(push?.result?.ok).toBe(false)
    expect(push?.result?.attempts).toHaveLength(2)
    const failed = await getJson(api('/call_back/get_call_back_failed_result'))
    expect(failed).toMatchObject({
      errcode: 0,
      has_more: false,
      failed_list: [{ call_back_tag: 'org_dept_create', deptid: [5], corpid: corp.corpId }],
    })
    expect((await getJson(api('/call_back/get_call_back_failed_result'))).failed_list).toEqual([])
  })

  it('re-pushes as DingTalk does unless configured down: 100 re-pushes, 1 s doubling to 10 min (§2.1)', async () => {
    const dingtalk = await startEmulator()
    try {
      expect(dingtalk.push).toEqual(DINGTALK_PUSH_SETTINGS)
      expect(dingtalk.push).toMatchObject({ retries: 100, backoffMs: 1000, maxBackoffMs: 600_000 })
      // The schedule those defaults give: the first re-push after a second, the last ones hours later.
      const delays = Array.from({ length: dingtalk.push.retries }, (_, n) =>
        Math.min(dingtalk.push.backoffMs * 2 ** n, dingtalk.push.maxBackoffMs),
      )
      expect(delays.slice(0, 3)).toEqual([1000, 2000, 4000])
      expect(delays.reduce((a, b) => a + b, 0)).toBeGreaterThan(10 * 3600_000)
    } finally {
      await dingtalk.close()
    }
    // This file's emulator is configured down: one re-push after a millisecond.
    expect(emu.push).toMatchObject({ retries: 1, backoffMs: 1, timeoutMs: 1500 })
  })

  it('emitCorpEvent pushes any registered event, in the new query style when configured', async () => {
    await emu.close()
    emu = await startEmulator({ push: { queryStyle: 'new' } })
    token = await corpToken(emu.url)
    expect((await register(receiver.url)).errcode).toBe(0)
    const result = await emu.emitCorpEvent(corp.corpId, 'user_leave_org', { UserId: ['lisi'] })
    expect(result?.ok).toBe(true)
    expect(await emu.emitCorpEvent(corp.corpId, 'chat_quit', {})).toBeUndefined()
    expect(receiver.queries.at(-1)).toHaveProperty('msg_signature')
    expect(receiver.queries.at(-1)).toHaveProperty('timeStamp')
  })
})
