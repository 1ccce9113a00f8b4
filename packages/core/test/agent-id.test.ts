import { defaultFixture, type Emulator, startEmulator } from '@dingtalk-kit/emulator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildDdConfig, createDingTalkClient, createDingTalkRoutes, DingTalkError } from '../src/index'

const org = defaultFixture.orgs[0]!
const app = org.apps![0]!
const credentials = { appKey: app.appKey, appSecret: app.appSecret, corpId: org.corpId }

const rejection = (build: () => unknown): DingTalkError => {
  try {
    build()
  } catch (error) {
    if (error instanceof DingTalkError) return error
    throw error
  }
  throw new Error('expected a DingTalkError, nothing was thrown')
}

describe('agentId is checked where it enters', () => {
  it('createDingTalkClient rejects Number(undefined) at construction, naming the option and the variable', () => {
    const unset: Record<string, string | undefined> = {}
    const error = rejection(() =>
      createDingTalkClient(credentials, { agentId: Number(unset.DINGTALK_AGENT_ID) }),
    )
    expect(error.code).toBe('INVALID_AGENT_ID')
    expect(error.message).toMatch(/^agentId is NaN: is DINGTALK_AGENT_ID set\?/)
    expect(error.message).not.toContain(app.appSecret)
  })

  it.each([0, -7, 1.5, Number.POSITIVE_INFINITY, '', ' ', 'abc', '0', '12x', '-3'])(
    'createDingTalkClient rejects agentId %j',
    (agentId) => {
      expect(rejection(() => createDingTalkClient(credentials, { agentId })).code).toBe('INVALID_AGENT_ID')
    },
  )

  it.each([app.agentId, String(app.agentId), undefined])(
    'createDingTalkClient accepts agentId %j',
    (agentId) => {
      expect(() => createDingTalkClient(credentials, agentId === undefined ? {} : { agentId })).not.toThrow()
    },
  )

  it('buildDdConfig rejects NaN instead of signing a config with agentId "NaN"', () => {
    const error = rejection(() =>
      buildDdConfig({ ticket: 't', url: 'https://example.com/', agentId: Number.NaN, corpId: org.corpId }),
    )
    expect(error.message).toMatch(/^agentId is NaN/)
    expect(
      buildDdConfig({ ticket: 't', url: 'https://example.com/', agentId: 42, corpId: org.corpId }).agentId,
    ).toBe('42')
  })

  it('createDingTalkRoutes rejects jsapi.agentId NaN when the routes are built, not on the first page load', () => {
    const client = createDingTalkClient(credentials)
    const jsapi = { allowedOrigins: ['https://app.example.com'] }
    const error = rejection(() => createDingTalkRoutes({ client, jsapi: { ...jsapi, agentId: Number.NaN } }))
    expect(error.code).toBe('INVALID_AGENT_ID')
    expect(error.message).toMatch(/^jsapi\.agentId is NaN: is DINGTALK_AGENT_ID set\?/)
    expect(() => createDingTalkRoutes({ client, jsapi: { ...jsapi, agentId: app.agentId } })).not.toThrow()
  })

  describe('against the emulator', () => {
    let emu: Emulator
    beforeAll(async () => {
      emu = await startEmulator({ suiteTicketIntervalMs: 0 })
    })
    afterAll(async () => {
      await emu.close()
    })

    it('client.jsapi.createConfig rejects an agentId passed per call (what the jsapi route passes on)', async () => {
      const client = createDingTalkClient(credentials, { baseUrl: emu.url, agentId: app.agentId })
      await expect(
        client.jsapi.createConfig({ url: 'http://localhost:3000/', agentId: Number.NaN, jsApiList: [] }),
      ).rejects.toMatchObject({ code: 'INVALID_AGENT_ID', message: expect.stringMatching(/^agentId is NaN/) })
      const config = await client.jsapi.createConfig({ url: 'http://localhost:3000/', jsApiList: [] })
      expect(config.agentId).toBe(String(app.agentId))
    })
  })
})
