import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { EVENTS, SUITE_PLACEHOLDER } from '../src/events'
import { run } from '../src/index'
import { cli, startApp, type TestApp, testIo, until } from './helpers'

const corpCreds = {
  token: 'corp-callback-token',
  aesKey: 'o1w0aum42yaptlz8alnhwikjd3jenzt9cb9wmzptgus',
  receiveId: 'dingcorp0001',
}
const suiteCreds = {
  token: 'emu-suite-token',
  aesKey: 'emulatorSuiteAesKey0123456789abcdefghijklmn',
  receiveId: 'suiteemu0000000001',
}
const fixture = fileURLToPath(new URL('../../emulator/fixtures/default.json', import.meta.url))
const flags = (c: typeof corpCreds): string[] => [
  '--token',
  c.token,
  '--aes-key',
  c.aesKey,
  '--receive-id',
  c.receiveId,
]

let corpApp: TestApp
let suiteApp: TestApp
let creatingApp: TestApp

beforeAll(async () => {
  corpApp = await startApp(corpCreds)
  suiteApp = await startApp(suiteCreds)
  creatingApp = await startApp({ ...suiteCreds, receiveId: SUITE_PLACEHOLDER })
})
afterAll(async () => {
  await Promise.all([corpApp.close(), suiteApp.close(), creatingApp.close()])
})
beforeEach(() => {
  for (const app of [corpApp, suiteApp, creatingApp]) {
    app.mode = 'success'
    app.events.length = 0
    delete app.gate
  }
})

describe('trigger', () => {
  it('pushes every event type of §2.2 and §2.3 and accepts a correct reply', async () => {
    for (const { type, scope, wire } of EVENTS) {
      const creating = type === 'check_create_suite_url'
      const app = creating ? creatingApp : scope === 'suite' ? suiteApp : corpApp
      const args = creating
        ? ['--token', suiteCreds.token, '--aes-key', suiteCreds.aesKey]
        : flags(scope === 'suite' ? suiteCreds : corpCreds)
      const r = await cli(['trigger', type, '--url', app.url, ...args])
      expect({ type, code: r.code, out: r.stdout }).toMatchObject({
        type,
        code: 0,
        out: expect.stringContaining('reply correct'),
      })
      expect(app.events.at(-1)?.EventType).toBe(wire ?? type)
    }
    expect(corpApp.events.at(-1)).toMatchObject({ CorpId: 'dingcorp0001' })
  })

  it('builds realistic payloads and applies --json and --set overrides', async () => {
    const r = await cli([
      'trigger',
      'user_add_org',
      '--url',
      corpApp.url,
      ...flags(corpCreds),
      '--json',
      '{"Extra":{"a":1}}',
      '--set',
      'UserId=["u9"]',
      '--set',
      'TimeStamp=42',
      '--set',
      'Note=hello world',
    ])
    expect(r.code).toBe(0)
    expect(corpApp.events[0]).toEqual({
      EventType: 'user_add_org',
      TimeStamp: 42,
      UserId: ['u9'],
      CorpId: 'dingcorp0001',
      Extra: { a: 1 },
      Note: 'hello world',
    })
  })

  it.each([
    ['wrong-text', 'reply decrypts to "ok", expected "success"', 'the encrypted text "success"'],
    [
      'wrong-receive-id',
      'reply was encrypted for receive-id "dingsomeoneelse", expected "dingcorp0001"',
      'same receive-id',
    ],
    ['wrong-token', 'reply signature does not match', 'another token'],
    ['http500', 'HTTP 500', 'failed while handling'],
    ['plain', 'reply has no "msg_signature" field', '{"msg_signature","timeStamp","nonce","encrypt"}'],
  ] as const)('says exactly why a %s reply is wrong', async (mode, reason, cause) => {
    corpApp.mode = mode
    const r = await cli(['trigger', 'org_dept_create', '--url', corpApp.url, ...flags(corpCreds)])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(reason)
    expect(r.stderr).toContain(cause)
    expect(r.stdout).toContain('reply incorrect after 1 attempt')
  })

  it('asks for the Random value on a suite URL check', async () => {
    suiteApp.mode = 'wrong-text'
    const r = await cli([
      'trigger',
      'check_update_suite_url',
      '--url',
      suiteApp.url,
      ...flags(suiteCreds),
      '--set',
      'Random=AbCd1234',
    ])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('expected "AbCd1234"')
    expect(r.stderr).toContain('"Random" field')
  })

  it('re-pushes up to --retries times', async () => {
    corpApp.mode = 'http500'
    const r = await cli([
      'trigger',
      'user_leave_org',
      '--url',
      corpApp.url,
      ...flags(corpCreds),
      '--retries',
      '2',
      '--backoff',
      '1',
    ])
    expect(r.code).toBe(1)
    expect(corpApp.events).toHaveLength(3)
    expect(r.stderr).toContain('attempt 3:')
    expect(r.stdout).toContain('after 3 attempts')
  })

  it('reports a URL nothing listens on', async () => {
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as AddressInfo
    await new Promise<void>((resolve) => server.close(() => resolve()))
    const r = await cli(['trigger', 'check_url', '--url', `http://127.0.0.1:${port}/cb`, ...flags(corpCreds)])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('connection failed')
    expect(r.stderr).toContain('is the app running')
  })

  it('takes the suite credentials from an emulator fixture', async () => {
    const r = await cli(['trigger', 'suite_ticket', '--url', suiteApp.url, '--fixture', fixture])
    expect(r.code).toBe(0)
    expect(suiteApp.events[0]).toMatchObject({ EventType: 'suite_ticket', SuiteKey: 'suiteemu0000000001' })
  })

  it('takes credentials from the environment, and never prints secrets', async () => {
    const r = await cli(
      ['trigger', 'suite_ticket', '--url', suiteApp.url, '--set', 'SuiteTicket=the-real-suite-ticket'],
      {
        env: {
          DINGTALK_CALLBACK_TOKEN: suiteCreds.token,
          DINGTALK_CALLBACK_AES_KEY: suiteCreds.aesKey,
          DINGTALK_SUITE_KEY: suiteCreds.receiveId,
        },
      },
    )
    expect(r.code).toBe(0)
    expect(suiteApp.events[0]?.SuiteTicket).toBe('the-real-suite-ticket')
    const output = r.stdout + r.stderr
    for (const secret of [suiteCreds.token, suiteCreds.aesKey, 'the-real-suite-ticket'])
      expect(output).not.toContain(secret)
  })

  it('prints a curl command for --dry-run without pushing', async () => {
    const r = await cli([
      'trigger',
      'check_url',
      '--url',
      corpApp.url,
      ...flags(corpCreds),
      '--dry-run',
      '--query-style',
      'new',
    ])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(
      /^curl -X POST 'http:\/\/127\.0\.0\.1:\d+\/dingtalk\/callback\?msg_signature=[0-9a-f]{40}&timeStamp=\d{13}&nonce=/,
    )
    expect(corpApp.events).toHaveLength(0)
  })

  it('lists the events, and rejects unknown ones and bad options with exit 2', async () => {
    const list = await cli(['trigger', '--list'])
    expect(list.code).toBe(0)
    for (const { type } of EVENTS) expect(list.stdout).toContain(type)
    const unknown = await cli(['trigger', 'user_add', '--url', corpApp.url, ...flags(corpCreds)])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain('did you mean user_add_org')
    expect((await cli(['trigger', 'check_url', ...flags(corpCreds)])).code).toBe(2)
    expect((await cli(['trigger', 'check_url', '--url', corpApp.url])).code).toBe(2)
    expect(
      (await cli(['trigger', 'check_url', '--url', corpApp.url, ...flags(corpCreds), '--retries', 'x'])).code,
    ).toBe(2)
    expect(
      (await cli(['trigger', 'check_url', '--url', corpApp.url, ...flags(corpCreds), '--bogus'])).code,
    ).toBe(2)
  })

  it('shows a progress line while a reply is slow', async () => {
    let release = (): void => {}
    corpApp.gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const io = { ...testIo(), progressDelayMs: 0 }
    const done = run(
      ['trigger', 'user_modify_org', '--url', corpApp.url, ...flags(corpCreds), '--timeout', '30000'],
      io,
    )
    await until(() => io.stderr.text.includes('pushing user_modify_org (attempt 1/1)'), 'the progress line')
    release()
    expect(await done).toBe(0)
  })

  it('stops re-pushing when interrupted', async () => {
    corpApp.mode = 'http500'
    const controller = new AbortController()
    const io = { ...testIo(), signal: controller.signal }
    const done = run(
      [
        'trigger',
        'check_url',
        '--url',
        corpApp.url,
        ...flags(corpCreds),
        '--retries',
        '5',
        '--backoff',
        '600000',
      ],
      io,
    )
    await until(() => io.stderr.text.includes('attempt 1:'), 'the first attempt')
    controller.abort()
    expect(await done).toBe(1)
    expect(io.stdout.text).toContain('stopped before a correct reply')
    expect(corpApp.events).toHaveLength(1)
  })
})
