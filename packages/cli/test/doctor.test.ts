import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { defaultFixture, type Emulator, startEmulator } from '@dingtalk-kit/emulator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cli } from './helpers'

const corp = defaultFixture.orgs[0]!
const app = corp.apps![0]!
const CALLBACK_TOKEN = 'my-callback-token'
const AES_KEY = 'o1w0aum42yaptlz8alnhwikjd3jenzt9cb9wmzptgus'

let emu: Emulator
let dir: string
beforeAll(async () => {
  emu = await startEmulator({ suiteTicketIntervalMs: 0 })
  dir = await mkdtemp(join(tmpdir(), 'dingtalk-kit-doctor-'))
})
afterAll(async () => {
  await emu.close()
  await rm(dir, { recursive: true, force: true })
})

const goodEnv = (): Record<string, string> => ({
  DINGTALK_BASE_URL: emu.url,
  DINGTALK_APP_KEY: app.appKey,
  DINGTALK_APP_SECRET: app.appSecret,
  DINGTALK_CORP_ID: corp.corpId,
  DINGTALK_AGENT_ID: String(app.agentId),
  DINGTALK_CALLBACK_TOKEN: CALLBACK_TOKEN,
  DINGTALK_CALLBACK_AES_KEY: AES_KEY,
})

function issuedTokens(): string[] {
  return [...emu.state.tokens.keys()]
}

describe('doctor', () => {
  it('passes a good configuration against the emulator without printing any secret', async () => {
    const r = await cli(['doctor'], { env: goodEnv() })
    expect(r.code).toBe(0)
    expect(r.stdout).toContain(`✓ DINGTALK_CORP_ID ${corp.corpId}`)
    expect(r.stdout).toContain('✓ DINGTALK_APP_SECRET is set (never printed)')
    expect(r.stdout).toContain('43 characters, decodes to a 32-byte AES-256 key')
    expect(r.stdout).toContain(
      `corp callbacks (call_back/register_call_back) are encrypted for receive-id ${corp.corpId}`,
    )
    expect(r.stdout).toContain(
      `event subscription (developer console 事件订阅) are encrypted for receive-id ${app.appKey}`,
    )
    expect(r.stdout).toContain(`✓ access_token obtained from ${emu.url}/gettoken`)
    expect(r.stdout).toContain('✓ clock within 2 s')
    expect(r.stdout).toContain('no problems found')
    expect(emu.log.at(-1)).toMatchObject({ path: '/gettoken', errcode: 0 })
    const output = r.stdout + r.stderr
    for (const secret of [app.appSecret, CALLBACK_TOKEN, AES_KEY, ...issuedTokens()])
      expect(output).not.toContain(secret)
  })

  it('reports rejected credentials with a problem report in the FAQ’s template, secrets removed', async () => {
    const secret = 'this-is-the-wrong-secret'
    const r = await cli(['doctor', '--company', '示例科技有限公司'], {
      env: { ...goodEnv(), DINGTALK_APP_SECRET: secret },
    })
    expect(r.code).toBe(1)
    // §4.2: DingTalk answers 40096 without saying which of the two is wrong; doctor names both variables.
    expect(r.stdout).toContain(
      'gettoken failed: DingTalk rejected the credentials: check DINGTALK_APP_KEY or DINGTALK_APP_SECRET (errcode 40096',
    )
    expect(r.stdout).toContain('DingTalk does not say which')
    expect(r.stdout).toContain('| 企业完整名称 Company | 示例科技有限公司 |')
    expect(r.stdout).toContain(`| 访问接口的路径 API | ${emu.url}/gettoken |`)
    expect(r.stdout).toContain('errcode 40096')
    expect(r.stdout).toContain('1 problem found')
    expect(r.stdout + r.stderr).not.toContain(secret)
  })

  it('names the corpId/corpSecret variables for a rejected legacy credential (40089)', async () => {
    const r = await cli(['doctor'], {
      env: {
        DINGTALK_BASE_URL: emu.url,
        DINGTALK_CORP_ID: corp.corpId,
        DINGTALK_CORP_SECRET: 'not-the-corp-secret',
      },
    })
    expect(r.code).toBe(1)
    expect(r.stdout).toContain('check DINGTALK_CORP_ID or DINGTALK_CORP_SECRET (errcode 40089')
    expect(r.stdout + r.stderr).not.toContain('not-the-corp-secret')
  })

  it('measures clock skew from the Date header', async () => {
    const ahead = await cli(['doctor'], { env: goodEnv(), io: { now: () => Date.now() + 10 * 60_000 } })
    expect(ahead.code).toBe(1)
    expect(ahead.stdout).toMatch(/clock is 6\d\d s ahead of the server’s .* callbacks will be rejected/)
    const behind = await cli(['doctor'], { env: goodEnv(), io: { now: () => Date.now() - 2 * 60_000 } })
    expect(behind.code).toBe(0)
    expect(behind.stdout).toMatch(/! clock is 1[12]\d s behind the server’s .* sync it with NTP/)
  })

  it('checks key length, id shapes, whitespace and missing secrets offline', async () => {
    const r = await cli(['doctor', '--no-network'], {
      env: {
        DINGTALK_APP_KEY: `${app.appKey} `,
        DINGTALK_CORP_ID: 'corp-without-prefix',
        DINGTALK_AGENT_ID: 'abc',
        DINGTALK_CALLBACK_TOKEN: CALLBACK_TOKEN,
        DINGTALK_CALLBACK_AES_KEY: AES_KEY.slice(0, 40),
        DINGTALK_SUITE_KEY: 'suiteabc123',
      },
    })
    expect(r.code).toBe(1)
    expect(r.stdout).toContain('✗ DINGTALK_APP_KEY has leading or trailing whitespace')
    expect(r.stdout).toContain('! DINGTALK_CORP_ID corp-without-prefix: does not look like a corpId')
    expect(r.stdout).toContain('✗ DINGTALK_AGENT_ID must be the numeric agentId')
    expect(r.stdout).toContain('✗ DINGTALK_APP_KEY is set but DINGTALK_APP_SECRET is missing')
    expect(r.stdout).toContain('! DINGTALK_SUITE_KEY is set but DINGTALK_SUITE_SECRET is missing')
    expect(r.stdout).toContain('exactly 43 characters')
    expect(r.stdout).toContain(
      'ISV suite callbacks (suite callback URL; the suite’s own token and aes key) are encrypted for receive-id suiteabc123 (DINGTALK_SUITE_KEY: an ISV suiteKey)',
    )
    expect(r.stdout).toContain(
      'corp callbacks (call_back/register_call_back) are encrypted for receive-id corp-without-prefix',
    )
    expect(r.stdout).toContain('token fetch and clock check skipped (--no-network)')
    expect(emu.log.every((e) => !e.query.appkey?.includes(' '))).toBe(true)
    expect(r.stdout + r.stderr).not.toContain(AES_KEY.slice(0, 40))
  })

  it('says what is missing when nothing is configured', async () => {
    const r = await cli(['doctor', '--env'], { env: {} })
    expect(r.code).toBe(1)
    expect(r.stdout).toContain('no app configured: set DINGTALK_APP_KEY and DINGTALK_APP_SECRET')
  })

  it('reads a JSON or .env config file instead of the environment', async () => {
    const json = join(dir, 'dingtalk.json')
    await writeFile(
      json,
      JSON.stringify({ baseUrl: emu.url, corpId: corp.corpId, corpSecret: app.corpSecret }),
    )
    const r1 = await cli(['doctor', '--config', json], {
      env: { DINGTALK_APP_KEY: 'ignored-when-a-config-is-given' },
      io: { cwd: dir },
    })
    expect(r1.code).toBe(0)
    expect(r1.stdout).toContain(`configuration from ${json}`)
    expect(r1.stdout).not.toContain('ignored-when')
    expect(r1.stdout + r1.stderr).not.toContain(String(app.corpSecret))
    const dotenv = join(dir, '.env')
    await writeFile(
      dotenv,
      `# local\nDINGTALK_BASE_URL=${emu.url}\nexport DINGTALK_APP_KEY=${app.appKey}\nDINGTALK_APP_SECRET="${app.appSecret}"\n`,
    )
    const r2 = await cli(['doctor', '-c', '.env', '--json'], { io: { cwd: dir } })
    expect(r2.code).toBe(0)
    const report = JSON.parse(r2.stdout) as { ok: boolean; checks: { name: string; status: string }[] }
    expect(report.ok).toBe(true)
    expect(report.checks.find((c) => c.name === 'gettoken')?.status).toBe('ok')
    expect((await cli(['doctor', '--config', join(dir, 'missing.json')])).code).toBe(2)
    expect((await cli(['doctor', '--env', '--config', json])).code).toBe(2)
  })

  it('reports an unreachable base URL, and prints the report template on request', async () => {
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as AddressInfo
    await new Promise<void>((resolve) => server.close(() => resolve()))
    const down = await cli(['doctor'], {
      env: { ...goodEnv(), DINGTALK_BASE_URL: `http://127.0.0.1:${port}` },
    })
    expect(down.code).toBe(1)
    expect(down.stdout).toContain('gettoken failed')
    expect(down.stdout).toContain('clock skew not measured')
    expect(down.stdout).toContain('| 访问接口的路径 API |')
    const ok = await cli(['doctor', '--report', '--egress-ip', '203.0.113.7'], { env: goodEnv() })
    expect(ok.code).toBe(0)
    expect(ok.stdout).toContain('| 发起请求的服务器的外网IP地址 Egress IP | 203.0.113.7 |')
    expect(ok.stdout).toContain(`"corpid":"${corp.corpId}"`)
    expect(ok.stdout).not.toContain(app.appSecret)
  })

  it('warns about a plain-HTTP base URL that is not local', async () => {
    const r = await cli(['doctor', '--no-network'], {
      env: { ...goodEnv(), DINGTALK_BASE_URL: 'http://oapi.dingtalk.com' },
    })
    expect(r.stdout).toContain('! http://oapi.dingtalk.com is not HTTPS')
  })
})
