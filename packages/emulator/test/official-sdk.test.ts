import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
// The official Node Stream SDK (dingtalk-stream 2.1.5, pinned; runs on Node 20): an independent client of
// DingTalk's protocol. If it connects to the emulator, receives an event and a robot message and its ACKs
// are accepted, the emulator speaks DingTalk's protocol, not only ours.
import { DWClient, type DWClientDownStream, EventAck, TOPIC_ROBOT } from 'dingtalk-stream'
import { afterEach, describe, expect, it } from 'vitest'
import { type Emulator, startEmulator } from '../src/emulator'
import { app, corp, corpToken, postJson } from './helpers'

type Axios = {
  interceptors: {
    request: {
      use(fn: (config: { url?: string }) => { url?: string }): number
      eject(id: number): void
    }
  }
}

/**
 * The SDK's URLs are constants (`https://api.dingtalk.com/v1.0/gateway/connections/open`,
 * `https://oapi.dingtalk.com/gettoken`), but every HTTP call it makes goes through its `axios` dependency.
 * Axios is a singleton per module instance, so a request interceptor added to the very instance the SDK
 * imported rewrites those URLs to the emulator. That instance is the ESM build the SDK's `import axios from
 * 'axios'` resolves to, found from the SDK's own location (a copy resolved from here, or the CJS build,
 * would be another instance the SDK never uses). The WebSocket needs no redirection: the SDK's `ws`
 * connects to the `endpoint` the emulator answered.
 */
async function redirectSdkTo(emu: Emulator): Promise<() => void> {
  const require = createRequire(import.meta.url)
  const sdkRequire = createRequire(require.resolve('dingtalk-stream'))
  const axiosDir = dirname(sdkRequire.resolve('axios/package.json'))
  // axios's `exports` map sends `import` (what the SDK's ESM build does) to ./index.js.
  const { default: axios } = (await import(pathToFileURL(join(axiosDir, 'index.js')).href)) as {
    default: Axios
  }
  const id = axios.interceptors.request.use((config) => {
    if (config.url?.startsWith('https://api.dingtalk.com/')) config.url = emu.url + config.url.slice(24)
    else if (config.url?.startsWith('https://oapi.dingtalk.com/')) config.url = emu.url + config.url.slice(25)
    return config
  })
  return () => axios.interceptors.request.eject(id)
}

let emu: Emulator | undefined
let client: DWClient | undefined
let undo: (() => void) | undefined

afterEach(async () => {
  client?.disconnect()
  client = undefined
  undo?.()
  undo = undefined
  await emu?.close()
  emu = undefined
})

describe('the official Node Stream SDK against the emulator', () => {
  it('connects, answers pings, receives a generated event and a robot message; the emulator accepts its ACKs', async () => {
    emu = await startEmulator({ suiteTicketIntervalMs: 0, stream: { pingIntervalMs: 0 } })
    undo = await redirectSdkTo(emu)
    client = new DWClient({ clientId: app.appKey, clientSecret: app.appSecret })
    const events: DWClientDownStream[] = []
    const robot: DWClientDownStream[] = []
    client.registerAllEventListener((message) => {
      events.push(message)
      return { status: EventAck.SUCCESS }
    })
    client.registerCallbackListener(TOPIC_ROBOT, (message) => {
      robot.push(message)
      client?.socketCallBackResponse(message.headers.messageId, { replied: true })
    })
    await client.connect()
    const [conn] = await emu.stream.waitForConnections(1, app.appKey)
    expect(conn!.subscriptions).toEqual([
      { type: 'EVENT', topic: '*' },
      { type: 'CALLBACK', topic: TOPIC_ROBOT },
    ])
    expect(await emu.stream.ping(conn!.id)).toBe(true)

    // An event the emulator generates: a user created through the contacts API.
    const token = await corpToken(emu.url)
    const created = await postJson(`${emu.url}/topapi/v2/user/create?access_token=${token}`, {
      userid: 'sdkuser',
      name: 'SDK User',
      mobile: '13800000099',
      dept_id_list: '1',
    })
    expect(created.errcode).toBe(0)
    await emu.stream.idle()
    expect(events).toHaveLength(1)
    expect(events[0]!.headers).toMatchObject({
      eventType: 'user_add_org',
      eventCorpId: corp.corpId,
      topic: '*',
    })
    expect(JSON.parse(events[0]!.data)).toMatchObject({ userId: ['sdkuser'] })
    expect(emu.stream.deliveries[0]!.result).toEqual({ ok: true, attempts: 1, ack: { status: 'SUCCESS' } })

    const message = { msgId: 'msg-sdk-1', msgtype: 'text', text: { content: 'hi' }, conversationType: '1' }
    const delivery = emu.stream.callback(app.appKey, TOPIC_ROBOT, message)
    expect(await delivery.done).toEqual({ ok: true, attempts: 1, ack: { response: { replied: true } } })
    expect(robot).toHaveLength(1)
    expect(JSON.parse(robot[0]!.data)).toEqual(message)
    expect(emu.stream.connections[0]).toMatchObject({ duplicateAcks: 0, lateAcks: 0, invalidFrames: 0 })
    // The SDK's HTTP call went to the emulator, with its secret and the Accept header it needs.
    expect(emu.log.find((e) => e.path === '/v1.0/gateway/connections/open')).toMatchObject({
      status: 200,
      body: { clientId: app.appKey, clientSecret: '***' },
    })
  })
})
