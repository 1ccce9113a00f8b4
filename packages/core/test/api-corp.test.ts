import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { defaultFixture, type Emulator, startEmulator } from '@dingtalk-kit/emulator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createDingTalkClient,
  DingTalkApiError,
  type DingTalkClient,
  type DingTalkClientOptions,
  DingTalkError,
  DingTalkMediaError,
  type Message,
  message,
  signJsapi,
  toWireMessage,
} from '../src/index'

const org = defaultFixture.orgs[0]!
const app = org.apps![0]!

let emu: Emulator
let client: DingTalkClient
let dir: string

const options = (extra: DingTalkClientOptions = {}): DingTalkClientOptions => ({
  baseUrl: emu.url,
  retry: { baseDelayMs: 1, maxDelayMs: 2 },
  ...extra,
})

beforeAll(async () => {
  emu = await startEmulator()
  dir = await mkdtemp(join(tmpdir(), 'dingtalk-kit-media-'))
  client = createDingTalkClient(
    { appKey: app.appKey, appSecret: app.appSecret, corpId: org.corpId },
    options({ agentId: app.agentId }),
  )
})

afterAll(async () => {
  await emu.close()
  await rm(dir, { recursive: true, force: true })
})

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection')
    },
    (e: unknown) => e,
  )
}

async function errcode(promise: Promise<unknown>): Promise<number> {
  const error = await failure(promise)
  expect(error).toBeInstanceOf(DingTalkApiError)
  return (error as DingTalkApiError).errcode
}

async function code(promise: Promise<unknown>): Promise<string> {
  const error = await failure(promise)
  expect(error).toBeInstanceOf(DingTalkError)
  return (error as DingTalkError).code
}

describe('sso (§5)', () => {
  it('exchanges a free-login code (v2 and legacy); a used code is 40078', async () => {
    const code1 = emu.issueAuthCode(org.corpId, 'zhangsan')
    expect(await client.sso.getUserInfo(code1)).toMatchObject({
      userId: 'zhangsan',
      name: '张三',
      sys: true,
      sysLevel: 1,
    })
    expect(await errcode(client.sso.getUserInfo(code1))).toBe(40078)
    const code2 = emu.issueAuthCode(org.corpId, 'lisi')
    expect(await client.sso.getUserInfoLegacy(code2)).toMatchObject({
      userId: 'lisi',
      isSys: false,
      sysLevel: 0,
    })
    expect(await errcode(client.sso.getUserInfoLegacy(code2))).toBe(40078)
    expect(await code(client.sso.getUserInfo(''))).toBe('SSO_MISSING_CODE')
  })

  it('admin SSO: token from the SSO secret (cached, replayed once after expiry), user from the code', async () => {
    const sso = createDingTalkClient(
      { corpId: org.corpId, corpSecret: app.corpSecret! },
      options({ ssoSecret: org.ssoSecret! }),
    )
    const before = emu.count('/sso/gettoken')
    const admin = await sso.sso.getAdminUserInfo(emu.issueSsoCode(org.corpId, 'zhangsan'))
    expect(admin).toMatchObject({
      isSys: true,
      corp: { corpId: org.corpId, corpName: '示例科技有限公司' },
      user: { userId: 'zhangsan', name: '张三', email: 'zhangsan@example.com' },
    })
    await sso.sso.getAdminUserInfo(emu.issueSsoCode(org.corpId, 'lisi'))
    expect(emu.count('/sso/gettoken') - before).toBe(1)
    emu.expireTokens({ kind: 'sso' })
    expect((await sso.sso.getAdminUserInfo(emu.issueSsoCode(org.corpId, 'lisi'))).user.userId).toBe('lisi')
    expect(emu.count('/sso/gettoken') - before).toBe(2)
    expect(await errcode(sso.sso.getAdminUserInfo('bogus'))).toBe(40078)
  })

  it('admin SSO: a wrong secret is 40001, a missing one a typed error', async () => {
    const wrong = createDingTalkClient(
      { corpId: org.corpId, corpSecret: app.corpSecret! },
      options({ ssoSecret: 'not-the-sso-secret' }),
    )
    const error = await failure(wrong.sso.getAdminUserInfo(emu.issueSsoCode(org.corpId, 'zhangsan')))
    expect(error).toBeInstanceOf(DingTalkApiError)
    expect((error as DingTalkApiError).errcode).toBe(40001)
    expect(String((error as Error).message)).not.toContain('not-the-sso-secret')
    expect(await code(client.sso.getAdminUserInfo('x'))).toBe('SSO_NOT_CONFIGURED')
  })
})

describe('jsapi (§3)', () => {
  it('builds a dd.config signed with the current ticket, fetched once, never returned', async () => {
    const before = emu.count('/get_jsapi_ticket')
    const url = 'https://app.example.com/home?corpid=ding1&name=%E5%BC%A0#/page'
    const config = await client.jsapi.createConfig({ url, jsApiList: ['biz.chat.pickConversation'] })
    const again = await client.jsapi.createConfig({ url, jsApiList: [], type: 1 })
    expect(emu.count('/get_jsapi_ticket') - before).toBe(1)
    const ticket = await client.jsapi.getTicket()
    expect(emu.isTicketValid(ticket)).toBe(true)
    expect(config).toMatchObject({
      agentId: String(app.agentId),
      corpId: org.corpId,
      jsApiList: ['biz.chat.pickConversation'],
    })
    expect(config.signature).toBe(
      signJsapi({ ticket, nonceStr: config.nonceStr, timeStamp: config.timeStamp, url }),
    )
    expect(again.type).toBe(1)
    expect(JSON.stringify([config, again])).not.toContain(ticket)
  })

  it('needs an agentId and a corpId', async () => {
    const bare = createDingTalkClient({ appKey: app.appKey, appSecret: app.appSecret }, options())
    const url = 'https://app.example.com/'
    expect(await code(bare.jsapi.createConfig({ url, jsApiList: [] }))).toBe('JSAPI_MISSING_AGENT_ID')
    expect(await code(bare.jsapi.createConfig({ url, jsApiList: [], agentId: 1 }))).toBe(
      'JSAPI_MISSING_CORP_ID',
    )
    const ok = await bare.jsapi.createConfig({ url, jsApiList: [], agentId: 7, corpId: org.corpId })
    expect(ok).toMatchObject({ agentId: '7', corpId: org.corpId })
  })
})

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4])

describe('media (§7)', () => {
  it('uploads bytes, Blob, File, stream and path; downloads the same bytes back', async () => {
    const path = join(dir, '报告.pdf')
    const pdf = new TextEncoder().encode('%PDF-1.4 测试')
    await writeFile(path, pdf)
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(PNG.slice(0, 5))
        controller.enqueue(PNG.slice(5))
        controller.close()
      },
    })
    const inputs = [
      { type: 'image', file: PNG, filename: 'a.png', bytes: PNG, contentType: 'image/png' },
      {
        type: 'image',
        file: new Blob([PNG], { type: 'image/png' }),
        filename: 'b.PNG',
        bytes: PNG,
        contentType: 'image/png',
      },
      {
        type: 'image',
        file: new File([PNG], 'c.jpg', { type: 'image/jpeg' }),
        bytes: PNG,
        contentType: 'image/jpeg',
      },
      { type: 'image', file: stream, filename: 'd.gif', bytes: PNG, contentType: 'image/gif' },
      { type: 'file', file: path, bytes: pdf, contentType: 'application/pdf', name: '报告.pdf' },
    ] as const
    for (const input of inputs) {
      const uploaded = await client.media.upload(input)
      expect(uploaded.mediaId).toMatch(/^@/)
      expect(uploaded.type).toBe(input.type)
      const file = await client.media.download(uploaded.mediaId)
      expect([...file.bytes]).toEqual([...input.bytes])
      expect(file.contentType).toBe(input.contentType)
      if ('name' in input) expect(file.filename).toBe(input.name)
    }
    // §7.1: type travels both in the query and in the form.
    const upload = emu.log.filter((e) => e.path === '/media/upload').at(-1)
    expect(upload?.query.type).toBe('file')
  })

  it('checks size and extension locally before sending anything (§7.1)', async () => {
    const before = emu.count('/media/upload')
    const big = new Uint8Array(2 * 1024 * 1024 + 1)
    expect(await code(client.media.upload({ type: 'voice', file: big, filename: 'v.amr' }))).toBe(
      'MEDIA_TOO_LARGE',
    )
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new Uint8Array(512 * 1024))
      },
    })
    expect(await code(client.media.upload({ type: 'voice', file: endless, filename: 'v.mp3' }))).toBe(
      'MEDIA_TOO_LARGE',
    )
    expect(await code(client.media.upload({ type: 'image', file: PNG, filename: 'x.exe' }))).toBe(
      'MEDIA_INVALID_TYPE',
    )
    expect(await code(client.media.upload({ type: 'image', file: PNG }))).toBe('MEDIA_MISSING_FILENAME')
    expect(
      await code(client.media.upload({ type: 'image', file: new Uint8Array(0), filename: 'e.png' })),
    ).toBe('MEDIA_EMPTY')
    expect(await code(client.media.upload({ type: 'file', file: join(dir, 'missing.pdf') }))).toBe(
      'MEDIA_UNREADABLE',
    )
    const error = await failure(client.media.upload({ type: 'image', file: PNG, filename: 'x.exe' }))
    expect(error).toBeInstanceOf(DingTalkMediaError)
    expect(emu.count('/media/upload')).toBe(before)
    // Without the local check DingTalk itself refuses the extension (40005).
    expect(
      await errcode(client.media.upload({ type: 'image', file: PNG, filename: 'x.exe', check: false })),
    ).toBe(40005)
  })

  it('tells an error envelope from bytes (40004) and falls back to /media/downloadFile', async () => {
    expect(await errcode(client.media.download('@nope'))).toBe(40004)
    const fresh = createDingTalkClient({ appKey: app.appKey, appSecret: app.appSecret }, options())
    const { mediaId } = await fresh.media.upload({ type: 'image', file: PNG, filename: 'f.png' })
    emu.faults.inject({ route: '/media/get', kind: 'http5xx', status: 404 })
    const get = emu.count('/media/get')
    const downloadFile = emu.count('/media/downloadFile')
    expect([...(await fresh.media.download(mediaId)).bytes]).toEqual([...PNG])
    expect(emu.count('/media/get') - get).toBe(1)
    expect(emu.count('/media/downloadFile') - downloadFile).toBe(1)
    // The working path is remembered.
    await fresh.media.download(mediaId)
    expect(emu.count('/media/get') - get).toBe(1)
    expect(emu.count('/media/downloadFile') - downloadFile).toBe(2)
  })
})

const ALL_TYPES: Message[] = [
  message.text('你好，世界'),
  message.image('@lADOimage'),
  message.voice('@lADOvoice', 10),
  message.file('@lADOfile'),
  message.link({ messageUrl: 'https://example.com', picUrl: '@lADOpic', title: '标题', text: '正文' }),
  message.oa({
    messageUrl: 'https://example.com/oa',
    pcMessageUrl: 'https://example.com/pc',
    head: { bgcolor: 'FFBBBBBB', text: '头部' },
    body: {
      title: '请假',
      form: [{ key: '姓名:', value: '张三' }],
      rich: { num: '15.6', unit: '元' },
      fileCount: 3,
    },
  }),
  message.markdown('周报', '# 本周\n- 完成'),
  message.actionCard({
    title: '审批',
    markdown: '**请处理**',
    buttons: [{ title: '同意', actionUrl: 'https://example.com/yes' }],
    buttonOrientation: 'horizontal',
  }),
]

describe('messages (§8.1, §8.2)', () => {
  it('sends all eight message types as work notices, exactly in the wire shape', async () => {
    for (const msg of ALL_TYPES) {
      const { taskId } = await client.messages.sendWorkNotice({ userIds: ['zhangsan', 'lisi'], message: msg })
      expect(taskId).toBeGreaterThan(0)
      const sent = emu.state.messages.at(-1)!
      expect(sent.msg).toEqual(toWireMessage(msg))
      expect(sent.recipients).toEqual(['zhangsan', 'lisi'])
    }
    expect(toWireMessage(ALL_TYPES[2]!)).toEqual({
      msgtype: 'voice',
      voice: { media_id: '@lADOvoice', duration: '10' },
    })
    expect(toWireMessage(ALL_TYPES[7]!)).toMatchObject({
      action_card: {
        btn_orientation: '1',
        btn_json_list: [{ title: '同意', action_url: 'https://example.com/yes' }],
      },
    })
  })

  it('work notice progress, result and recall; unknown task 40035, unknown agent 40056', async () => {
    const { taskId } = await client.messages.sendWorkNotice({
      userIds: ['zhangsan', 'ghost'],
      deptIds: [4],
      message: message.text('通知'),
    })
    expect(await client.messages.getSendProgress({ taskId })).toEqual({ progressInPercent: 100, status: 2 })
    const result = await client.messages.getSendResult({ taskId })
    expect(result.invalidUserIds).toEqual(['ghost'])
    expect(result.unreadUserIds).toEqual(expect.arrayContaining(['zhangsan', 'lisi']))
    await client.messages.recall({ taskId })
    expect((await client.messages.getSendResult({ taskId })).unreadUserIds).toEqual([])
    expect(await errcode(client.messages.getSendProgress({ taskId: 999999 }))).toBe(40035)
    expect(
      await errcode(
        client.messages.sendWorkNotice({ agentId: 42, toAllUsers: true, message: message.text('x') }),
      ),
    ).toBe(40056)
    const noAgent = createDingTalkClient({ appKey: app.appKey, appSecret: app.appSecret }, options())
    expect(
      await code(noAgent.messages.sendWorkNotice({ userIds: ['lisi'], message: message.text('x') })),
    ).toBe('MISSING_AGENT_ID')
  })

  it('send (legacy) reports invalid users and parties; too long is 45002', async () => {
    const res = await client.messages.send({
      toUsers: ['lisi', 'ghost'],
      toParties: [3, 99],
      message: message.text('hi'),
    })
    expect(res).toEqual({ invalidUsers: ['ghost'], invalidParties: ['99'] })
    expect(emu.state.messages.at(-1)?.recipients).toEqual(expect.arrayContaining(['lisi', 'wangwu']))
    await client.messages.send({ toUsers: '@all', message: message.text('全员') })
    expect(emu.state.messages.at(-1)?.recipients).toHaveLength(org.users.length)
    expect(
      await errcode(client.messages.send({ toUsers: ['lisi'], message: message.text('长'.repeat(1000)) })),
    ).toBe(45002)
  })

  it('sendToConversation: receivers of the conversation; a bad sender is 40003', async () => {
    const chat = await client.chats.create({
      name: '会话',
      owner: 'zhangsan',
      userIds: ['zhangsan', 'lisi', 'wangwu'],
    })
    const res = await client.messages.sendToConversation({
      sender: 'zhangsan',
      cid: chat.openConversationId,
      message: message.markdown('标题', '内容'),
    })
    expect(res.receivers.sort()).toEqual(['lisi', 'wangwu'])
    expect(
      await errcode(
        client.messages.sendToConversation({
          sender: 'ghost',
          cid: chat.openConversationId,
          message: message.text('x'),
        }),
      ),
    ).toBe(40003)
  })
})

describe('chats (§8.3)', () => {
  it('create, get, update, send, read list', async () => {
    const created = await client.chats.create({
      name: '项目群',
      owner: 'zhangsan',
      userIds: ['zhangsan', 'lisi'],
    })
    expect(created.chatId).not.toBe('')
    await client.chats.update({
      chatId: created.chatId,
      name: '项目群二期',
      addUserIds: ['wangwu'],
      owner: 'lisi',
    })
    expect(await client.chats.get(created.chatId)).toMatchObject({
      chatId: created.chatId,
      name: '项目群二期',
      owner: 'lisi',
      userIds: ['zhangsan', 'lisi', 'wangwu'],
    })
    const { messageId } = await client.chats.send({ chatId: created.chatId, message: message.text('欢迎') })
    expect(emu.state.messages.at(-1)).toMatchObject({
      api: 'chat/send',
      messageId,
      msg: { text: { content: '欢迎' } },
    })
    const chatState = emu.state.chats.get(created.chatId)!
    chatState.readBy.set(messageId, ['zhangsan', 'lisi', 'wangwu'])
    expect(await client.chats.getReadList({ messageId, size: 2 })).toEqual({
      readUserIds: ['zhangsan', 'lisi'],
      nextCursor: 2,
    })
    const readers: string[] = []
    for await (const userId of client.chats.iterateReadList(messageId, { size: 1 })) readers.push(userId)
    expect(readers).toEqual(['zhangsan', 'lisi', 'wangwu'])
  })

  it('errors: owner outside the members 49006, overlapping lists 49004, unknown chat 49000', async () => {
    expect(await errcode(client.chats.create({ name: '群', owner: 'wangwu', userIds: ['lisi'] }))).toBe(49006)
    const { chatId } = await client.chats.create({ name: '群', owner: 'lisi', userIds: ['lisi'] })
    expect(
      await errcode(client.chats.update({ chatId, addUserIds: ['wangwu'], delUserIds: ['wangwu'] })),
    ).toBe(49004)
    expect(await errcode(client.chats.get('chatnope'))).toBe(49000)
  })
})
