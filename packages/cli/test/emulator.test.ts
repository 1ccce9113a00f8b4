import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { defaultFixture } from '@dingtalk-kit/emulator'
import { afterEach, describe, expect, it } from 'vitest'
import { run } from '../src/index'
import { cli, startApp, type TestApp, testIo, until } from './helpers'

const corp = defaultFixture.orgs[0]!
const app = corp.apps![0]!
const suite = defaultFixture.suites![0]!

interface Running {
  io: ReturnType<typeof testIo>
  url: string
  stop(): Promise<number>
}

async function startCli(args: string[] = []): Promise<Running> {
  const controller = new AbortController()
  const io = { ...testIo(), signal: controller.signal }
  const done = run(['emulator', '--port', '0', ...args], io)
  await until(() => /DINGTALK_BASE_URL=\S+\n/.test(io.stdout.text), 'the banner')
  const url = /DINGTALK_BASE_URL=(\S+)\n/.exec(io.stdout.text)![1]!
  return {
    io,
    url,
    stop: () => {
      controller.abort()
      return done
    },
  }
}

const env = (text: string, name: string): string => new RegExp(`^${name}=(.*)$`, 'm').exec(text)![1]!

let apps: TestApp[] = []
afterEach(async () => {
  await Promise.all(apps.map((a) => a.close()))
  apps = []
})

describe('emulator', () => {
  it('doctor, run with the variables the emulator prints, expects the corpId for corp callbacks (as trigger uses)', async () => {
    const emu = await startCli()
    try {
      const printed = Object.fromEntries(
        [...emu.io.stdout.text.matchAll(/^(DINGTALK_[A-Z_]+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]),
      )
      expect(printed.DINGTALK_SUITE_KEY).toBe(suite.suiteKey)
      const r = await cli(['doctor', '--no-network'], { env: printed })
      expect(r.code).toBe(0)
      const receiveIds = r.stdout.split('\n').filter((line) => line.includes('encrypted for receive-id'))
      expect(receiveIds).toEqual([
        expect.stringContaining(
          `corp callbacks (call_back/register_call_back) are encrypted for receive-id ${corp.corpId} `,
        ),
        expect.stringContaining(`are encrypted for receive-id ${app.appKey} `),
        expect.stringContaining(
          `ISV suite callbacks (suite callback URL; the suite’s own token and aes key) are encrypted for receive-id ${suite.suiteKey} `,
        ),
      ])
      // trigger, given the same variables, encrypts for that same corpId (the app decrypts strictly for it).
      const receiver = await startApp({
        token: printed.DINGTALK_CALLBACK_TOKEN!,
        aesKey: printed.DINGTALK_CALLBACK_AES_KEY!,
        receiveId: corp.corpId,
      })
      apps.push(receiver)
      const pushed = await cli(['trigger', 'user_add_org', '--url', receiver.url], { env: printed })
      expect(pushed.code).toBe(0)
      expect(receiver.events.at(-1)?.EventType).toBe('user_add_org')
    } finally {
      await emu.stop()
    }
  })

  it('prints paste-able credentials, logs each call and push with secrets redacted, and stops cleanly', async () => {
    const emu = await startCli()
    const banner = emu.io.stdout.text
    expect(env(banner, 'DINGTALK_APP_KEY')).toBe(app.appKey)
    expect(env(banner, 'DINGTALK_APP_SECRET')).toBe(app.appSecret)
    expect(env(banner, 'DINGTALK_CORP_ID')).toBe(corp.corpId)
    expect(env(banner, 'DINGTALK_AGENT_ID')).toBe(String(app.agentId))
    expect(env(banner, 'DINGTALK_SUITE_KEY')).toBe(suite.suiteKey)
    const token = env(banner, 'DINGTALK_CALLBACK_TOKEN')
    const aesKey = env(banner, 'DINGTALK_CALLBACK_AES_KEY')
    expect(aesKey).toMatch(/^[A-Za-z0-9]{43}$/)

    const receiver = await startApp({ token, aesKey, receiveId: corp.corpId })
    apps.push(receiver)
    const got = (await (
      await fetch(`${emu.url}/gettoken?appkey=${app.appKey}&appsecret=${app.appSecret}`)
    ).json()) as {
      access_token: string
    }
    const post = (path: string, body: unknown): Promise<Response> =>
      fetch(`${emu.url}${path}?access_token=${got.access_token}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      })
    const registered = (await (
      await post('/call_back/register_call_back', {
        call_back_tag: ['user_add_org'],
        token,
        aes_key: aesKey,
        url: receiver.url,
      })
    ).json()) as { errcode: number }
    expect(registered.errcode).toBe(0)
    await post('/topapi/v2/user/create', {
      userid: 'qianba',
      name: '钱八',
      mobile: '13800000009',
      dept_id_list: '2',
    })
    await until(() => emu.io.stdout.text.includes('push #2 user_add_org'), 'the user_add_org push in the log')
    await until(() => (emu.io.stdout.text.match(/accepted/g) ?? []).length >= 2, 'both push results')

    const log = emu.io.stdout.text.slice(banner.length)
    expect(log).toContain(`GET /gettoken?appkey=${app.appKey}&appsecret=*** → errcode 0`)
    expect(log).toContain('POST /call_back/register_call_back?access_token=*** → errcode 0')
    expect(log).toMatch(/push #1 check_url → http:\/\/127\.0\.0\.1:\d+\/dingtalk\/callback/)
    expect(log).toContain('attempt 1: reply "success" accepted')
    expect(receiver.events.map((e) => e.EventType)).toEqual(['check_url', 'user_add_org'])
    for (const secret of [app.appSecret, got.access_token, token, aesKey]) expect(log).not.toContain(secret)

    expect(await emu.stop()).toBe(0)
    expect(emu.io.stderr.text).toContain('emulator stopped')
  })

  it('pushes suite events to --suite-callback-url and redacts the ticket in the log', async () => {
    const receiver = await startApp({ token: suite.token, aesKey: suite.aesKey, receiveId: suite.suiteKey })
    apps.push(receiver)
    const emu = await startCli(['--suite-callback-url', receiver.url, '--suite-ticket-interval', '0'])
    await until(() => emu.io.stdout.text.includes('accepted'), 'the suite_ticket push result')
    const ticket = receiver.events[0]?.SuiteTicket
    expect(typeof ticket).toBe('string')
    expect(emu.io.stdout.text).toContain('suite_ticket')
    expect(emu.io.stdout.text).toContain('"SuiteTicket":"***"')
    expect(emu.io.stdout.text).not.toContain(String(ticket))
    expect(await emu.stop()).toBe(0)
  })

  it('starts from a fixture file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dingtalk-kit-cli-'))
    try {
      const file = join(dir, 'fixture.json')
      const org = { ...corp, corpId: 'dingmyowncorp001', corpName: '我的公司' }
      await writeFile(file, JSON.stringify({ orgs: [org] }))
      const emu = await startCli(['--fixture', file])
      expect(env(emu.io.stdout.text, 'DINGTALK_CORP_ID')).toBe('dingmyowncorp001')
      expect(emu.io.stdout.text).not.toContain('DINGTALK_SUITE_KEY')
      expect(await emu.stop()).toBe(0)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('exits 2 for bad options and 1 when it cannot listen', async () => {
    expect((await cli(['emulator', '--port', 'abc'])).code).toBe(2)
    expect((await cli(['emulator', '--fixture', '/nonexistent/fixture.json'])).code).toBe(2)
    const emu = await startCli()
    const port = new URL(emu.url).port
    const clash = await cli(['emulator', '--port', port])
    expect(clash.code).toBe(1)
    expect(clash.stderr).toContain('cannot start the emulator')
    expect(await emu.stop()).toBe(0)
  })
})
