import { createHmac } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { type Emulator, startEmulator } from '../src/emulator'
import { defaultFixture, type Fixture } from '../src/fixture'

const org = defaultFixture.orgs[0]!
const app = org.apps![0]!
let emu: Emulator | undefined

afterEach(async () => {
  await emu?.close()
  emu = undefined
})

async function token(e: Emulator): Promise<string> {
  const res = await fetch(`${e.url}/gettoken?appkey=${app.appKey}&appsecret=${app.appSecret}`)
  return ((await res.json()) as { access_token: string }).access_token
}

async function post(e: Emulator, path: string, body: unknown, query = ''): Promise<Record<string, unknown>> {
  const res = await fetch(`${e.url}${path}?${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  return (await res.json()) as Record<string, unknown>
}

describe('the web login page (§5.3)', () => {
  it('refuses an unknown appid, a non-http redirect_uri and an unknown user with a 400 page', async () => {
    emu = await startEmulator()
    const page = (query: Record<string, string>) =>
      fetch(`${emu!.url}/connect/qrconnect?${new URLSearchParams({ response_type: 'code', ...query })}`)
    const unknown = await page({ appid: 'dingnope', redirect_uri: 'https://a.example/cb' })
    expect(unknown.status).toBe(400)
    expect(unknown.headers.get('content-type')).toMatch(/text\/html/)
    expect((await page({ appid: app.appKey, redirect_uri: 'javascript:alert(1)' })).status).toBe(400)
    const confirm = await fetch(
      `${emu.url}/connect/qrconnect/confirm?${new URLSearchParams({ appid: app.appKey, response_type: 'code', redirect_uri: 'https://a.example/cb', userid: 'nobody' })}`,
      { redirect: 'manual' },
    )
    expect(confirm.status).toBe(400)
  })

  it('escapes what it echoes and redirects back with a fresh code and the state', async () => {
    emu = await startEmulator()
    const state = '"><script>alert(1)</script>'
    const res = await fetch(
      `${emu.url}/connect/qrconnect?${new URLSearchParams({ appid: app.appKey, response_type: 'code', state, redirect_uri: 'https://a.example/cb?x=1' })}`,
    )
    const html = await res.text()
    expect(html).not.toContain('<script>')
    for (const user of org.users) expect(html).toContain(`data-userid="${user.userid}"`)
    const href = /href="([^"]+)" data-userid="lisi"/
      .exec(html)![1]!
      .replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)))
    const back = await fetch(new URL(href, emu.url), { redirect: 'manual' })
    const location = new URL(back.headers.get('location')!)
    expect(location.origin + location.pathname).toBe('https://a.example/cb')
    expect(location.searchParams.get('x')).toBe('1')
    expect(location.searchParams.get('state')).toBe(state)
    expect(emu.state.office.snsCodes.get(location.searchParams.get('code')!)).toMatchObject({
      userid: 'lisi',
    })
  })

  it('expires codes after five minutes (40078)', async () => {
    let now = Date.parse('2026-11-13T10:00:00+08:00')
    emu = await startEmulator({ now: () => now })
    const code = emu.webLogin.issueCode(app.appKey, 'zhangsan')
    now += 5 * 60_000 + 1
    const timestamp = String(now)
    const signature = createHmac('sha256', app.appSecret).update(timestamp).digest('base64')
    const query = new URLSearchParams({ accessKey: app.appKey, timestamp, signature }).toString()
    expect(await post(emu, '/sns/getuserinfo_bycode', { tmp_auth_code: code }, query)).toMatchObject({
      errcode: 40078,
    })
    expect(() => emu!.webLogin.issueCode('dingnope', 'zhangsan')).toThrow(/unknown appKey/)
    expect(() => emu!.webLogin.issueCode(app.appKey, 'nobody')).toThrow(/unknown userid/)
  })
})

describe('office fixture and controllers', () => {
  it("uses a fixture organisation's own templates and roles", async () => {
    const fixture: Fixture = structuredClone(defaultFixture)
    fixture.orgs[0]!.office = {
      processes: [
        { processCode: 'PROC-CUSTOM', name: '采购', steps: [{ action: 'AND', userIds: ['lisi', 'wangwu'] }] },
      ],
      roleGroups: [{ groupId: 7, name: '项目', roles: [{ roleId: 70, name: '组长', members: ['lisi'] }] }],
    }
    emu = await startEmulator({ fixture })
    const q = `access_token=${await token(emu)}`
    expect(await post(emu, '/topapi/process/get_by_name', { name: '采购' }, q)).toMatchObject({
      process_code: 'PROC-CUSTOM',
    })
    expect(await post(emu, '/topapi/process/get_by_name', { name: '请假' }, q)).toMatchObject({
      errcode: 820004,
    })
    expect(await post(emu, '/topapi/role/simplelist', { role_id: 70 }, q)).toMatchObject({
      result: { list: [{ userid: 'lisi', name: '李四' }] },
    })
    const created = await post(
      emu,
      '/topapi/processinstance/create',
      {
        process_code: 'PROC-CUSTOM',
        originator_user_id: 'zhaoliu',
        dept_id: -1,
        form_component_values: [{ name: '物品', value: '显示器' }],
      },
      q,
    )
    const id = String(created.process_instance_id)
    expect(emu.approvals.pendingApprovers(id)).toEqual(['lisi', 'wangwu'])
    await emu.approvals.approve(id, { userId: 'lisi' })
    expect(emu.approvals.get(id)?.status).toBe('RUNNING')
    await emu.approvals.approve(id, { userId: 'wangwu' })
    expect(emu.approvals.get(id)).toMatchObject({ status: 'COMPLETED', result: 'agree' })
  })

  it('refuses to act on an unknown instance', async () => {
    emu = await startEmulator()
    await expect(emu.approvals.approve('nope', { userId: 'zhangsan' })).rejects.toThrow(/unknown approval/)
    expect(() => emu!.approvals.pendingApprovers('nope')).toThrow(/unknown approval/)
    expect(emu.approvals.get('nope')).toBeUndefined()
  })
})
