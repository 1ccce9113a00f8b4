import { defaultFixture, type Emulator, startEmulator } from '@dingtalk-kit/emulator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDingTalkClient, DingTalkApiError, type DingTalkClient } from '../src/index'
import { startTestReceiver, type TestReceiver } from './support/receiver'

const org = defaultFixture.orgs[0]!
const app = org.apps![0]!
const token = 'callback-token'
const aesKey = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG'

let emu: Emulator
let client: DingTalkClient
let receiver: TestReceiver

beforeAll(async () => {
  emu = await startEmulator({ push: { retries: 0, timeoutMs: 2000 } })
  receiver = await startTestReceiver({ token, aesKey, receiveId: org.corpId })
  client = createDingTalkClient(
    { appKey: app.appKey, appSecret: app.appSecret },
    { baseUrl: emu.url, retry: { baseDelayMs: 1, maxDelayMs: 2 } },
  )
})

afterAll(async () => {
  await emu.close()
  await receiver.close()
})

async function errcode(promise: Promise<unknown>): Promise<number> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(DingTalkApiError)
  return (error as DingTalkApiError).errcode
}

describe('callbacks (§2.4)', () => {
  it('register (after check_url), get, update, failed results, delete', async () => {
    expect(await errcode(client.callbacks.get())).toBe(71007)
    await client.callbacks.register({ tags: ['user_add_org'], token, aesKey, url: receiver.url })
    expect(receiver.events.at(-1)).toEqual({ EventType: 'check_url' })
    expect(await client.callbacks.get()).toEqual({ tags: ['user_add_org'], token, aesKey, url: receiver.url })
    expect(
      await errcode(client.callbacks.register({ tags: ['user_add_org'], token, aesKey, url: receiver.url })),
    ).toBe(71006)

    await client.callbacks.update({
      tags: ['user_add_org', 'user_leave_org'],
      token,
      aesKey,
      url: receiver.url,
    })
    expect((await client.callbacks.get()).tags).toEqual(['user_add_org', 'user_leave_org'])

    receiver.mode = 'http500'
    await client.contacts.users.create({ name: '失败推送', mobile: '13600000001', deptIds: [1] })
    await emu.idle()
    receiver.mode = 'success'
    const first = await client.callbacks.getFailedResults()
    expect(first.hasMore).toBe(false)
    expect(first.list).toHaveLength(1)
    expect(first.list[0]).toMatchObject({ tag: 'user_add_org', corpId: org.corpId })
    expect(first.list[0]?.userIds).toHaveLength(1)

    await client.callbacks.delete()
    expect(await errcode(client.callbacks.get())).toBe(71007)
    expect(await errcode(client.callbacks.delete())).toBe(71007)
  })

  it('iterates failed results across batches while has_more (≤ 200 per call)', async () => {
    const failed = emu.state.orgs.get(org.corpId)!.failedCallbacks
    for (let i = 0; i < 450; i++) {
      failed.push({ event_time: i, call_back_tag: 'user_modify_org', corpid: org.corpId, userid: [`u${i}`] })
    }
    const before = emu.count('/call_back/get_call_back_failed_result')
    const seen: number[] = []
    for await (const item of client.callbacks.iterateFailedResults()) seen.push(item.eventTime ?? -1)
    expect(seen).toEqual(Array.from({ length: 450 }, (_, i) => i))
    expect(emu.count('/call_back/get_call_back_failed_result') - before).toBe(3)
  })

  it('refuses a URL that does not answer success (71009), a bad tag (71008) and a bad aes_key (71010)', async () => {
    receiver.mode = 'wrong'
    expect(
      await errcode(client.callbacks.register({ tags: ['user_add_org'], token, aesKey, url: receiver.url })),
    ).toBe(71009)
    receiver.mode = 'success'
    expect(
      await errcode(client.callbacks.register({ tags: ['nope'], token, aesKey, url: receiver.url })),
    ).toBe(71008)
    expect(
      await errcode(
        client.callbacks.register({ tags: ['user_add_org'], token, aesKey: 'short', url: receiver.url }),
      ),
    ).toBe(71010)
  })
})
