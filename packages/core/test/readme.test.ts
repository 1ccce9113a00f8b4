import { defaultFixture, startEmulator } from '@dingtalk-kit/emulator'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createCallbackHandler, createDingTalkClient } from '../src/index'

// The README's "smallest real use", run against the emulator so the snippet cannot rot.
const org = defaultFixture.orgs[0]!
const app = org.apps![0]!
let emu: Awaited<ReturnType<typeof startEmulator>>

beforeAll(async () => {
  emu = await startEmulator()
})
afterAll(() => emu.close())

it('runs the README example: contacts with Chinese names, dd.config, a typed callback handler', async () => {
  const client = createDingTalkClient(
    { appKey: app.appKey, appSecret: app.appSecret, corpId: org.corpId },
    { agentId: app.agentId, baseUrl: emu.url },
  )
  const dept = await client.contacts.departments.create({ name: '研发二部', parentId: 1 })
  const { userId } = await client.contacts.users.create({
    name: '张三丰',
    mobile: '13800009999',
    deptIds: [dept.deptId],
  })
  expect((await client.contacts.users.get(userId)).name).toBe('张三丰')
  const config = await client.jsapi.createConfig({
    url: 'https://app.example.com/page?x=1#/home',
    jsApiList: ['biz.chat.pickConversation'],
  })
  expect(config.corpId).toBe(org.corpId)
  expect(config.agentId).toBe(String(app.agentId))
  const callback = createCallbackHandler({ token: 'readme-token', aesKey: 'A'.repeat(43), client })
  const seen: string[][] = []
  callback.on('user_add_org', (event) => {
    seen.push(event.UserId)
  })
  const res = await callback.handle({ method: 'GET', url: '/callback', headers: {}, body: '' })
  expect(res.status).toBe(405)
  expect(seen).toEqual([])
})
