import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type Emulator, startEmulator } from '../src/index'
import { app, corpToken, getJson, postJson } from './helpers'

let emu: Emulator
let token: string
const api = (path: string, query = ''): string => `${emu.url}${path}?access_token=${token}${query}`
const text = { msgtype: 'text', text: { content: '你好，世界' } }

beforeEach(async () => {
  emu = await startEmulator()
  token = await corpToken(emu.url)
})
afterEach(async () => {
  await emu.close()
})

describe('work notifications (§8.1)', () => {
  it('asyncsend_v2 records the message and reports progress and result', async () => {
    const sent = await postJson(api('/topapi/message/corpconversation/asyncsend_v2'), {
      agent_id: app.agentId,
      userid_list: 'lisi,ghost',
      dept_id_list: '3',
      msg: text,
    })
    expect(sent).toMatchObject({ errcode: 0 })
    const taskId = sent.task_id as number
    expect(emu.state.messages).toHaveLength(1)
    expect(emu.state.messages[0]).toMatchObject({
      api: 'asyncsend_v2',
      msgtype: 'text',
      msg: text,
      recipients: ['lisi', 'wangwu'],
      taskId,
    })
    const progress = await postJson(api('/topapi/message/corpconversation/getsendprogress'), {
      agent_id: app.agentId,
      task_id: taskId,
    })
    expect(progress).toMatchObject({ errcode: 0, progress: { progress_in_percent: 100, status: 2 } })
    const result = await postJson(api('/topapi/message/corpconversation/getsendresult'), {
      agent_id: app.agentId,
      task_id: taskId,
    })
    expect(result).toMatchObject({
      send_result: { invalid_user_id_list: ['ghost'], unread_user_id_list: ['lisi', 'wangwu'] },
    })
    const recall = await postJson(api('/topapi/message/corpconversation/recall'), {
      agent_id: app.agentId,
      msg_task_id: taskId,
    })
    expect(recall.errcode).toBe(0)
    expect(emu.state.messages[0]?.recalled).toBe(true)
  })

  it('sends to everyone with to_all_user and rejects bad requests', async () => {
    const url = api('/topapi/message/corpconversation/asyncsend_v2')
    const all = await postJson(url, { agent_id: app.agentId, to_all_user: true, msg: text })
    expect(all.errcode).toBe(0)
    expect(emu.state.messages[0]?.recipients).toHaveLength(4)
    expect((await postJson(url, { agent_id: app.agentId, msg: text })).errcode).toBe(40035)
    expect((await postJson(url, { agent_id: 1, userid_list: 'lisi', msg: text })).errcode).toBe(40056)
    expect((await postJson(url, { userid_list: 'lisi', msg: text })).errcode).toBe(41011)
    expect(
      (await postJson(url, { agent_id: app.agentId, userid_list: 'lisi', msg: { msgtype: 'sms' } })).errcode,
    ).toBe(40008)
    const long = { msgtype: 'text', text: { content: 'x'.repeat(3000) } }
    expect((await postJson(url, { agent_id: app.agentId, userid_list: 'lisi', msg: long })).errcode).toBe(
      45002,
    )
    const progress = api('/topapi/message/corpconversation/getsendprogress')
    expect((await postJson(progress, { agent_id: app.agentId, task_id: 999 })).errcode).toBe(40035)
  })

  it('message/send reports invalid users and parties', async () => {
    const res = await postJson(api('/message/send'), {
      touser: 'lisi|ghost',
      toparty: '3|99',
      agentid: app.agentId,
      ...text,
    })
    expect(res).toMatchObject({ errcode: 0, invaliduser: 'ghost', invalidparty: '99' })
    expect(emu.state.messages[0]).toMatchObject({ api: 'send', recipients: ['lisi', 'wangwu'] })
  })
})

describe('group chats (§8.3)', () => {
  it('create, get, update, send, send_to_conversation, getReadList', async () => {
    const created = await postJson(api('/chat/create'), {
      name: '项目群',
      owner: 'zhangsan',
      useridlist: ['zhangsan', 'lisi'],
    })
    expect(created.errcode).toBe(0)
    const chatid = created.chatid as string
    expect(await getJson(api('/chat/get', `&chatid=${chatid}`))).toMatchObject({
      chat_info: { name: '项目群', owner: 'zhangsan', useridlist: ['zhangsan', 'lisi'] },
    })
    expect(
      (await postJson(api('/chat/update'), { chatid, add_useridlist: ['wangwu'], name: '新项目群' })).errcode,
    ).toBe(0)
    expect((await getJson(api('/chat/get', `&chatid=${chatid}`))).chat_info).toMatchObject({
      name: '新项目群',
      useridlist: ['zhangsan', 'lisi', 'wangwu'],
    })
    const sent = await postJson(api('/chat/send'), { chatid, ...text })
    expect(typeof sent.messageId).toBe('string')
    emu.state.chats.get(chatid)?.readBy.set(sent.messageId as string, ['lisi'])
    const read = await getJson(api('/chat/getReadList', `&messageId=${sent.messageId}&cursor=0&size=10`))
    expect(read).toMatchObject({ errcode: 0, readUserIdList: ['lisi'], next_cursor: null })
    const conv = await postJson(api('/message/send_to_conversation'), {
      sender: 'lisi',
      cid: created.openConversationId,
      ...text,
    })
    expect(conv).toMatchObject({ errcode: 0, receiver: 'zhangsan|wangwu' })
    expect(emu.state.messages.map((m) => m.api)).toEqual(['chat/send', 'send_to_conversation'])
  })

  it('answers chat errors', async () => {
    const create = api('/chat/create')
    expect((await postJson(create, { name: 'g', useridlist: ['lisi'] })).errcode).toBe(49002)
    expect((await postJson(create, { name: 'g', owner: 'zhangsan', useridlist: ['lisi'] })).errcode).toBe(
      49006,
    )
    expect((await postJson(create, { name: 'g', owner: 'ghost', useridlist: ['ghost'] })).errcode).toBe(40003)
    const { chatid } = await postJson(create, { name: 'g', owner: 'lisi', useridlist: ['lisi', 'wangwu'] })
    const update = api('/chat/update')
    expect(
      (await postJson(update, { chatid, add_useridlist: ['zhangsan'], del_useridlist: ['zhangsan'] }))
        .errcode,
    ).toBe(49004)
    expect((await postJson(update, { chatid, del_useridlist: ['lisi'] })).errcode).toBe(49006)
    expect((await getJson(api('/chat/get', '&chatid=chatnope'))).errcode).toBe(49000)
    expect((await postJson(api('/chat/send'), { chatid, msgtype: 'text' })).errcode).toBe(40035)
    expect(
      (await postJson(api('/message/send_to_conversation'), { sender: 'ghost', cid: 'x', ...text })).errcode,
    ).toBe(40003)
  })
})
