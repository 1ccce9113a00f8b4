import { randomId } from './context'
import { type PushResult, pushEvent } from './pusher'
import type { AuthorizationState, EmulatorState, PushRecord, SuiteState } from './state'

/**
 * How the emulator delivers callbacks. The defaults are DingTalk's (§2.1): a push not answered with the
 * encrypted `success` is re-pushed with backoff that starts at a second and grows to minutes, up to 100
 * times, so re-pushes go on for hours. Tests that expect a callback to fail turn this down
 * (`push: { retries: 0 }`), or `emu.emitCorpEvent`, `emu.authorize` and `emu.idle()` wait for every re-push.
 *
 * @example
 * ```ts
 * await startEmulator({ push: { retries: 0, timeoutMs: 500, queryStyle: 'new' } })
 * ```
 */
export interface PushSettings {
  /**
   * Re-pushes after a failed attempt. Default 100: DingTalk stops re-pushing suite callbacks after 100
   * attempts; it publishes no bound for corp callbacks, and the emulator uses the same one.
   */
  retries?: number
  /** Delay before the first re-push in ms, doubled for each further one (default 1000). */
  backoffMs?: number
  /** Upper bound of one re-push delay in ms (default 600,000: ten minutes, so 100 re-pushes span about 15 h). */
  maxBackoffMs?: number
  /** Reply deadline per attempt in ms (default 1500, as DingTalk). */
  timeoutMs?: number
  /** `legacy` (default): `signature&timestamp&nonce`; `new`: `msg_signature&timeStamp&nonce` (§1.6). */
  queryStyle?: 'legacy' | 'new'
}

/** DingTalk's callback delivery (§2.1): the emulator's {@link PushSettings} defaults. */
export const DINGTALK_PUSH_SETTINGS: Readonly<Required<PushSettings>> = Object.freeze({
  retries: 100,
  backoffMs: 1000,
  maxBackoffMs: 600_000,
  timeoutMs: 1500,
  queryStyle: 'legacy',
})

export const TMP_AUTH_CODE_TTL_MS: number = 10 * 60 * 1000

interface PushTarget {
  url: string
  token: string
  aesKey: string
  receiveId: string
  event: Record<string, unknown>
  retries?: number
}

export class PushManager {
  private readonly pending = new Set<Promise<unknown>>()
  private readonly controller = new AbortController()
  private nextId = 1
  private syncSeq = 1
  /** The delivery settings in force: the options over DingTalk's defaults. */
  readonly settings: Readonly<Required<PushSettings>>
  /** Set by the Stream gateway: takes a corp event for apps in Stream mode; `true` skips the HTTP push. */
  streamRoute?: (corpId: string, event: Record<string, unknown>, receiveId: string | undefined) => boolean

  constructor(
    private readonly state: EmulatorState,
    private readonly now: () => number,
    settings: PushSettings,
  ) {
    const d = DINGTALK_PUSH_SETTINGS
    this.settings = Object.freeze({
      retries: settings.retries ?? d.retries,
      backoffMs: settings.backoffMs ?? d.backoffMs,
      maxBackoffMs: settings.maxBackoffMs ?? d.maxBackoffMs,
      timeoutMs: settings.timeoutMs ?? d.timeoutMs,
      queryStyle: settings.queryStyle ?? d.queryStyle,
    })
  }

  push(target: PushTarget): PushRecord {
    const eventType = typeof target.event.EventType === 'string' ? target.event.EventType : 'unknown'
    const record: PushRecord = {
      id: this.nextId++,
      time: this.now(),
      eventType,
      url: target.url,
      receiveId: target.receiveId,
      event: target.event,
      done: Promise.resolve({ ok: false, attempts: [] }),
    }
    const done = this.deliver(target).then((result) => {
      record.result = result
      return result
    })
    record.done = done
    this.pending.add(done)
    void done.finally(() => this.pending.delete(done))
    this.state.pushes.push(record)
    return record
  }

  private async deliver(target: PushTarget): Promise<PushResult> {
    try {
      return await pushEvent({
        url: target.url,
        token: target.token,
        aesKey: target.aesKey,
        receiveId: target.receiveId,
        event: target.event,
        retries: target.retries ?? this.settings.retries,
        backoffMs: this.settings.backoffMs,
        maxBackoffMs: this.settings.maxBackoffMs,
        timeoutMs: this.settings.timeoutMs,
        queryStyle: this.settings.queryStyle,
        signal: this.controller.signal,
      })
    } catch (error) {
      return { ok: false, attempts: [{ ok: false, reason: (error as Error).message, durationMs: 0 }] }
    }
  }

  /** Resolves once no push is in flight (including pushes started while waiting). */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending])
  }

  async close(): Promise<void> {
    this.controller.abort()
    await this.idle()
  }

  // §2.2: contact events go to the corp's registered callback when their tag was registered.
  corpEvent(corpId: string, eventType: string, fields: Record<string, unknown>): PushRecord | undefined {
    const org = this.state.orgs.get(corpId)
    const registration = org?.callback
    const now = this.now()
    const tookIt = this.streamRoute?.(
      corpId,
      { EventType: eventType, TimeStamp: now, CorpId: corpId, ...fields },
      registration?.receiveId,
    )
    if (tookIt || !org || !registration?.tags.includes(eventType)) return undefined
    const record = this.push({
      url: registration.url,
      token: registration.token,
      aesKey: registration.aesKey,
      receiveId: registration.receiveId,
      event: { EventType: eventType, TimeStamp: now, CorpId: corpId, ...fields },
    })
    void record.done.then((result) => {
      if (result.ok) return
      org.failedCallbacks.push({
        event_time: now,
        call_back_tag: eventType,
        corpid: corpId,
        ...(Array.isArray(fields.UserId) ? { userid: fields.UserId as string[] } : {}),
        ...(Array.isArray(fields.DeptId) ? { deptid: fields.DeptId as number[] } : {}),
      })
    })
    return record
  }

  checkUrl(url: string, token: string, aesKey: string, receiveId: string): Promise<PushResult> {
    // §2.4: registration waits for one verdict; DingTalk does not re-push check_url.
    return this.push({ url, token, aesKey, receiveId, event: { EventType: 'check_url' }, retries: 0 }).done
  }

  private syncHttp(suite: SuiteState, bizType: number, corpId: string, bizData: Record<string, unknown>) {
    const now = this.now()
    return {
      EventType: 'SYNC_HTTP_PUSH_HIGH',
      bizData: [
        {
          gmt_create: now,
          biz_type: bizType,
          open_cursor: 0,
          subscribe_id: `${suite.suiteId ?? 0}_0`,
          id: this.syncSeq,
          gmt_modified: now,
          biz_id: String(suite.suiteId ?? suite.suiteKey),
          biz_data: JSON.stringify({ ...bizData, syncSeq: String(this.syncSeq++) }),
          corp_id: corpId,
          status: 0,
        },
      ],
    }
  }

  private suiteTarget(suite: SuiteState, event: Record<string, unknown>): PushTarget | undefined {
    if (!suite.callbackUrl) return undefined
    return {
      url: suite.callbackUrl,
      token: suite.token,
      aesKey: suite.aesKey,
      receiveId: suite.suiteKey,
      event,
    }
  }

  // §2.3: a new ticket every interval; the app needs the latest one for service/get_suite_token.
  suiteTicket(suite: SuiteState): PushRecord | undefined {
    const ticket = randomId(24)
    suite.suiteTicket = ticket
    suite.tickets = [...suite.tickets, ticket].slice(-2)
    const event =
      suite.pushStyle === 'syncHttp'
        ? this.syncHttp(suite, 2, suite.suiteKey, { syncAction: 'suite_ticket', suiteTicket: ticket })
        : {
            SuiteKey: suite.suiteKey,
            EventType: 'suite_ticket',
            TimeStamp: String(this.now()),
            SuiteTicket: ticket,
          }
    const target = this.suiteTarget(suite, event)
    return target ? this.push(target) : undefined
  }

  tmpAuthCode(suite: SuiteState, code: string): PushRecord | undefined {
    const target = this.suiteTarget(suite, {
      SuiteKey: suite.suiteKey,
      EventType: 'tmp_auth_code',
      TimeStamp: String(this.now()),
      AuthCode: code,
    })
    return target ? this.push(target) : undefined
  }

  // §2.3: the SYNC_HTTP form carries the permanent code itself (biz_type 4, org_suite_auth).
  orgSuiteAuth(suite: SuiteState, auth: AuthorizationState): PushRecord | undefined {
    const org = this.state.orgs.get(auth.corpId)
    const admin = org ? [...org.users.values()].find((u) => u.isAdmin) : undefined
    const event = this.syncHttp(suite, 4, auth.corpId, {
      syncAction: 'org_suite_auth',
      permanent_code: auth.permanentCode,
      auth_corp_info: { corpid: auth.corpId, corp_name: org?.corpName ?? '' },
      auth_info: { agent: [{ agentid: auth.agentId, agent_name: suite.name, appid: suite.appId ?? 0 }] },
      auth_user_info: { userId: admin?.userid ?? '' },
    })
    const target = this.suiteTarget(suite, event)
    return target ? this.push(target) : undefined
  }
}
