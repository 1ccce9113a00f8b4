import {
  createDingTalkClient,
  type DingTalkClient,
  normalizeJsapiUrl,
  type RetryEvent,
  signJsapi,
} from '@dingtalk-kit/core'
import {
  defaultFixture,
  type Emulator,
  generateAesKey,
  pushEvent,
  startEmulator,
} from '@dingtalk-kit/emulator'
import { type DemoApp, type DemoSettings, startExampleApps } from './apps'
import { check, until } from './checks'
import { robotSteps } from './robot-steps'
import { streamSteps } from './stream-steps'

/** One step of the story and how it went. */
export interface StepResult {
  name: string
  ok: boolean
  /** What happened, in one line: the value a reader wants to see. */
  detail: string
  durationMs: number
}

export interface DemoResult {
  ok: boolean
  steps: StepResult[]
}

export interface DemoOptions {
  /** Called when a step starts and when it ends (progress output). */
  onStep?: (event: { phase: 'start'; name: string } | { phase: 'end'; result: StepResult }) => void
}

const org = defaultFixture.orgs[0]!
const corpApp = org.apps![0]!
const customer = defaultFixture.orgs[1]!
const suite = defaultFixture.suites![0]!

async function json<T>(response: Response): Promise<T> {
  const text = await response.text()
  check(response.ok, `HTTP ${response.status}: ${text.slice(0, 200)}`)
  return JSON.parse(text) as T
}

/**
 * The whole DingTalk story against the bundled emulator and the three example apps (NestJS, Koa, Hono):
 * every step a real integration goes through, each checked, each reported.
 */
export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const steps: StepResult[] = []
  const cleanups: (() => Promise<unknown>)[] = []
  let aborted = false

  const step = async (name: string, run: () => Promise<string>): Promise<void> => {
    if (aborted) {
      const result = { name, ok: false, detail: 'skipped: an earlier step failed', durationMs: 0 }
      steps.push(result)
      options.onStep?.({ phase: 'end', result })
      return
    }
    options.onStep?.({ phase: 'start', name })
    const started = performance.now()
    let result: StepResult
    try {
      const detail = await run()
      result = { name, ok: true, detail, durationMs: performance.now() - started }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      result = {
        name,
        ok: false,
        detail: message.split('\n')[0]!.slice(0, 240),
        durationMs: performance.now() - started,
      }
    }
    steps.push(result)
    options.onStep?.({ phase: 'end', result })
  }
  // A step whose failure leaves nothing to build on stops the story.
  const essential = async (name: string, run: () => Promise<string>): Promise<void> => {
    await step(name, run)
    if (!steps.at(-1)!.ok) aborted = true
  }

  let emu: Emulator | undefined
  let apps: DemoApp[] = []
  let client: DingTalkClient | undefined
  const retries: RetryEvent[] = []
  try {
    await essential('Start the DingTalk emulator', async () => {
      emu = await startEmulator({ suiteTicketIntervalMs: 0 })
      cleanups.push(() => emu!.close())
      client = createDingTalkClient(
        { appKey: corpApp.appKey, appSecret: corpApp.appSecret, corpId: org.corpId },
        { baseUrl: emu.url, agentId: corpApp.agentId, hooks: { onRetry: (event) => retries.push(event) } },
      )
      return `${emu.url} — corp ${org.corpName} (${org.corpId}), app ${corpApp.name}, suite ${suite.name}`
    })

    let settings: DemoSettings | undefined
    await essential('Start the example apps (NestJS, Koa, Hono)', async () => {
      settings = {
        baseUrl: emu!.url,
        appKey: corpApp.appKey,
        appSecret: corpApp.appSecret,
        corpId: org.corpId,
        agentId: corpApp.agentId,
        callbackToken: 'demo-callback-token',
        callbackAesKey: generateAesKey(),
        suite: {
          suiteKey: suite.suiteKey,
          suiteSecret: suite.suiteSecret,
          token: suite.token,
          aesKey: suite.aesKey,
        },
      }
      apps = await startExampleApps(settings)
      for (const app of apps) cleanups.push(() => app.close())
      return apps.map((app) => `${app.name} ${app.url}`).join(', ')
    })

    for (const app of apps) {
      await step(`Register the callback with ${app.name} (DingTalk sends check_url)`, async () => {
        const before = emu!.state.pushes.length
        await app.registerCallback()
        const push = emu!.state.pushes.slice(before).find((p) => p.eventType === 'check_url')
        check(push, 'DingTalk sent no check_url')
        const result = await push.done
        check(result.ok, `check_url reply rejected: ${result.attempts.at(-1)?.reason}`)
        return `call_back/register_call_back → check_url → encrypted "success" from ${app.url}/dingtalk/callback`
      })
    }

    const byName = (name: DemoApp['name']): DemoApp | undefined => apps.find((app) => app.name === name)
    const directoryApp = apps.at(-1)
    await step(
      `Create 研发三部 and 王小明; ${directoryApp?.name ?? 'the app'} fetches the new user`,
      async () => {
        check(directoryApp, 'no app')
        const dept = await client!.contacts.departments.create({ name: '研发三部', parentId: 1 })
        const created = await client!.contacts.users.create({
          name: '王小明',
          mobile: '13900001234',
          deptIds: [dept.deptId],
          title: '工程师',
        })
        const fetched = await client!.contacts.users.get(created.userId)
        check(fetched.name === '王小明', `name came back as ${JSON.stringify(fetched.name)}`)
        const entry = await until('the app to fetch the new user', async () => {
          const list = await json<{ userId: string; name: string }[]>(
            await fetch(`${directoryApp.url}/api/directory`),
          )
          return list.find((u) => u.userId === created.userId)
        })
        check(entry.name === '王小明', `the app stored ${JSON.stringify(entry.name)}`)
        return `dept ${dept.deptId}, user ${created.userId}; user_add_org pushed → app called user/get → directory has ${entry.name}`
      },
    )

    const jsapiApp = byName('Hono')
    await step(`Mint a dd.config for a page URL with a #hash (${jsapiApp?.name ?? 'app'})`, async () => {
      check(jsapiApp, 'no app')
      const page = `${jsapiApp.url}/index.html?from=%E9%92%89%E9%92%89&x=1#/contacts`
      const body = await json<{
        config: { signature: string; nonceStr: string; timeStamp: string }
        url: string
      }>(await fetch(`${jsapiApp.url}/dingtalk/jsapi-config?url=${encodeURIComponent(page)}`))
      check(body.url === normalizeJsapiUrl(page), `signed ${body.url}`)
      const ticket = emu!.state.currentTickets.values().next().value
      check(ticket, 'no jsapi ticket was issued')
      const expected = signJsapi({
        ticket,
        nonceStr: body.config.nonceStr,
        timeStamp: body.config.timeStamp,
        url: page,
      })
      check(body.config.signature === expected, 'the signature does not match the current ticket')
      check(!JSON.stringify(body).includes(ticket), 'the ticket leaked into the response')
      return `signed URL ${body.url} (hash dropped, query decoded); signature ${body.config.signature.slice(0, 12)}… matches the current ticket`
    })

    const ssoApp = byName('NestJS')
    let cookie = ''
    await step(`Sign 张三 in by code (${ssoApp?.name ?? 'app'})`, async () => {
      check(ssoApp, 'no app')
      const code = emu!.issueAuthCode(org.corpId, 'zhangsan')
      const login = await fetch(`${ssoApp.url}/api/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code }),
      })
      const user = await json<{ userId: string; name: string }>(login)
      cookie = (login.headers.getSetCookie?.() ?? []).map((c) => c.split(';')[0]).join('; ')
      check(cookie, 'no session cookie')
      const me = await json<{ userId: string; name: string }>(
        await fetch(`${ssoApp.url}/api/me`, { headers: { cookie } }),
      )
      check(me.userId === 'zhangsan', `signed in as ${me.userId}`)
      const reuse = await fetch(`${ssoApp.url}/api/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code }),
      })
      check(reuse.status >= 400, 'a used code was accepted twice')
      return `topapi/v2/user/getuserinfo → ${user.name} (${user.userId}); session cookie set; the code is single-use (${reuse.status} on reuse)`
    })

    await step('Upload a file as media and download it again', async () => {
      const bytes = new TextEncoder().encode(
        `%PDF-1.4\n% 季度报告 — dingtalk-kit demo\n${'0'.repeat(1200)}\n%%EOF\n`,
      )
      const uploaded = await client!.media.upload({ type: 'file', file: bytes, filename: '季度报告.pdf' })
      const record = emu!.state.media.get(uploaded.mediaId)
      check(record, 'the emulator has no such media')
      const back = await client!.media.download(uploaded.mediaId)
      check(Buffer.from(back.bytes).equals(Buffer.from(bytes)), 'downloaded bytes differ')
      return `multipart field "media", type=file → ${uploaded.mediaId} (${bytes.length} B), downloaded byte-identical`
    })

    await step(`Send a conversation message to a cid (${ssoApp?.name ?? 'app'})`, async () => {
      check(ssoApp && cookie, 'not signed in')
      const cid = 'cid:demo-conversation-001'
      const before = emu!.state.messages.length
      const sent = await fetch(`${ssoApp.url}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie },
        body: JSON.stringify({ cid, text: '你好，来自 dingtalk-kit 的消息' }),
      })
      await json<unknown>(sent)
      const message = emu!.state.messages.slice(before).find((m) => m.api === 'send_to_conversation')
      check(message, 'DingTalk received no message')
      check(message.body.cid === cid && message.body.sender === 'zhangsan', 'wrong cid or sender')
      return `message/send_to_conversation from zhangsan to ${cid}: ${JSON.stringify(message.msg)}`
    })

    await step('Look up 李四 by mobile, the departments above him and the administrators', async () => {
      const userId = await client!.lookups.getUserIdByMobile('13800000002')
      const chains = await client!.lookups.listUserParentDepartments(userId)
      const admins = await client!.lookups.listAdmins()
      check(userId === 'lisi', `found ${userId}`)
      check(
        chains.some((c) => c.join('>') === '4>2>1'),
        `chains ${JSON.stringify(chains)}`,
      )
      return `getbymobile → ${userId}; listparentbyuser → ${chains.map((c) => c.join('→')).join(' | ')}; admins ${admins.map((a) => `${a.userId}(${a.sysLevel})`).join(', ')}`
    })

    await step('Grant 李四 the 财务 role and list who holds it', async () => {
      await client!.roles.addToUsers({ roleIds: [1000011], userIds: ['lisi'] })
      const holders: string[] = []
      for await (const member of client!.roles.iterateMembers(1000011)) holders.push(member.name)
      check(holders.includes('李四'), `holders ${holders.join(', ')}`)
      return `addrolesforemps 1000011 → simplelist: ${holders.join(', ')}`
    })

    const approvalApp = byName('Hono')
    await step(
      `Approval: 李四 asks for leave, 张三 approves; ${approvalApp?.name ?? 'app'} gets the bpms event and fetches it`,
      async () => {
        check(approvalApp, 'no app')
        const processCode = await client!.approvals.getProcessCode('请假')
        const { processInstanceId } = await client!.approvals.create({
          processCode,
          originatorUserId: 'lisi',
          deptId: 4,
          form: [
            { name: '请假类型', value: '年假' },
            { name: '天数', value: 2 },
          ],
        })
        const approvers = emu!.approvals.pendingApprovers(processInstanceId)
        check(approvers.join() === 'zhangsan', `pending ${approvers.join()}`)
        const pushes = await emu!.approvals.approve(processInstanceId, {
          userId: 'zhangsan',
          remark: '注意休息',
        })
        check(pushes.length > 0 && pushes.every((p) => p.ok), 'a bpms push was not accepted')
        const outcome = await until('the app to record the outcome', async () => {
          const res = await fetch(`${approvalApp.url}/api/approvals/${processInstanceId}`)
          return res.ok ? await json<{ title: string; approved: boolean; result: string }>(res) : undefined
        })
        check(outcome.approved, `outcome ${JSON.stringify(outcome)}`)
        return `processinstance/create (${processCode}) → task of zhangsan → agree → bpms_task_change + bpms_instance_change(finish) → app called processinstance/get: “${outcome.title}” ${outcome.result}`
      },
    )

    await step('Attendance: a month of everyone’s check-ins, in calls within 50 users / 7 days', async () => {
      const before = emu!.count('/attendance/list')
      const to = Date.now()
      const from = to - 30 * 86_400_000
      let checks = 0
      let late = 0
      const userIds = org.users.map((u) => u.userid)
      for await (const result of client!.attendance.iterateResults({ userIds, from, to })) {
        checks++
        if (result.timeResult === 'Late') late++
      }
      const calls = emu!.count('/attendance/list') - before
      check(checks > 0 && calls >= 5, `${checks} results in ${calls} calls`)
      return `attendance/list × ${calls} (7-day windows) → ${checks} check-ins, ${late} late`
    })

    await step('To-do for 李四, then completed; last week’s reports', async () => {
      const { recordId } = await client!.workRecords.add({
        userId: 'lisi',
        title: '提交差旅报销单',
        url: 'https://app.example.com/expenses',
        form: [{ title: '截止', content: '本周五' }],
      })
      const pending = await client!.workRecords.list({ userId: 'lisi', status: 'pending' })
      check(
        pending.list.some((w) => w.recordId === recordId),
        'the to-do is not pending',
      )
      await client!.workRecords.complete({ userId: 'lisi', recordId })
      let reports = 0
      for await (const _ of client!.reports.iterate({
        startTime: Date.now() - 7 * 86_400_000,
        endTime: Date.now(),
      }))
        reports++
      return `workrecord/add → getbyuserid (pending) → update (done); report/list → ${reports} reports in 7 days`
    })

    const loginApp = byName('Hono')
    await step(
      `Web login: a browser scans the QR code and signs in to ${loginApp?.name ?? 'app'} (no DingTalk client)`,
      async () => {
        check(loginApp, 'no app')
        const start = await fetch(`${loginApp.url}/dingtalk/login`, { redirect: 'manual' })
        check(start.status === 302, `login answered ${start.status}`)
        const stateCookie = (start.headers.getSetCookie?.() ?? []).map((c) => c.split(';')[0]).join('; ')
        const page = await fetch(start.headers.get('location')!)
        const link = /href="([^"]+)" data-userid="zhangsan"/.exec(await page.text())?.[1]
        check(link, 'the login page lists no 张三')
        const href = link.replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)))
        const scanned = await fetch(new URL(href, emu!.url), { redirect: 'manual' })
        const back = scanned.headers.get('location') ?? ''
        check(back.startsWith(`${loginApp.url}/dingtalk/login?`), `redirected to ${back}`)
        const done = await fetch(back, { redirect: 'manual', headers: { cookie: stateCookie } })
        check(done.status === 302, `the callback answered ${done.status}`)
        const session = (done.headers.getSetCookie?.() ?? []).map((c) => c.split(';')[0]).join('; ')
        const me = await json<{ userId: string; name: string }>(
          await fetch(`${loginApp.url}/api/me`, { headers: { cookie: session } }),
        )
        check(me.userId === 'zhangsan', `signed in as ${me.userId}`)
        return `/dingtalk/login → 302 + state cookie → emulator QR page → 302 back with code & state → sns/getuserinfo_bycode (signed) → getbyunionid → session for ${me.name}`
      },
    )

    const isvApp = byName('Koa')
    await step(`ISV: suite URL check (check_create_suite_url → ${isvApp?.name ?? 'app'})`, async () => {
      check(isvApp, 'no app')
      const result = await pushEvent({
        url: `${isvApp.url}/dingtalk/suite/callback`,
        token: suite.token,
        aesKey: suite.aesKey,
        receiveId: 'suite4xxxxxxxxxxxxxxx',
        event: {
          EventType: 'check_create_suite_url',
          Random: 'DemoRand',
          TestSuiteKey: 'suite4xxxxxxxxxxxxxxx',
        },
      })
      check(result.ok, `reply rejected: ${result.attempts.at(-1)?.reason}`)
      return 'decrypted with the placeholder suite4xxxxxxxxxxxxxxx; replied with the encrypted Random "DemoRand"'
    })

    await step('ISV: suite_ticket pushed and stored', async () => {
      check(isvApp, 'no app')
      const state = emu!.state.suites.get(suite.suiteKey)
      check(state, 'unknown suite')
      state.callbackUrl = `${isvApp.url}/dingtalk/suite/callback`
      const [result] = await emu!.pushSuiteTicket(suite.suiteKey)
      check(result?.ok, `suite_ticket reply rejected: ${result?.attempts.at(-1)?.reason}`)
      return `suite_ticket → ${state.callbackUrl}, answered "success" after it was stored`
    })

    await step(
      `ISV: ${customer.corpName} authorises the suite → permanent code → activate → corp API call`,
      async () => {
        check(isvApp, 'no app')
        const auth = await emu!.authorize(customer.corpId, suite.suiteKey)
        check(
          auth.push?.result?.ok,
          `tmp_auth_code reply rejected: ${auth.push?.result?.attempts.at(-1)?.reason ?? 'not pushed'}`,
        )
        const activated = await until('the suite to be activated', async () =>
          emu!.state.authorizations.get(`${suite.suiteKey}:${customer.corpId}`)?.activated ? true : undefined,
        )
        check(activated, 'not activated')
        const user = customer.users[0]!
        const body = await json<{ name: string }>(
          await fetch(`${isvApp.url}/api/isv/corps/${customer.corpId}/users/${user.userid}`),
        )
        check(body.name === user.name, `got ${JSON.stringify(body.name)}`)
        return `tmp_auth_code → get_permanent_code → activate_suite → get_corp_token → user/get ${user.userid} = ${body.name}`
      },
    )

    await step('A token DingTalk no longer accepts is refreshed once and the call replayed', async () => {
      const token = await client!.getAccessToken()
      check(emu!.invalidateToken(token), 'the emulator did not know the token')
      const tokensBefore = emu!.count('/gettoken')
      retries.length = 0
      const user = await client!.contacts.users.get('lisi')
      const refreshed = emu!.count('/gettoken') - tokensBefore
      check(refreshed === 1, `${refreshed} gettoken calls`)
      const replay = retries.find((r) => r.reason === 'TOKEN_INVALID')
      check(replay, 'no replay after the invalid token')
      return `user/get → errcode 88 / sub_code 40014 → one gettoken → replay → ${user.name}`
    })

    const streamApp = await streamSteps(step, {
      emu: () => emu!,
      settings: () => settings!,
      client: () => client!,
      cleanups,
    })
    await robotSteps(step, {
      emu: () => emu!,
      koaUrl: () => apps.find((a) => a.name === 'Koa')?.url,
      streamApp: () => streamApp,
    })
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined)
  }
  return { ok: steps.every((s) => s.ok), steps }
}
