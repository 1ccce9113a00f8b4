import type { DingTalkResponse } from '../http/request'
import { type ApiContext, asArray, asBool, asNumber, asRecord, asString } from './context'

/** A registered callback (§2.4). */
export interface CallbackRegistration {
  /** Event tags, e.g. `user_add_org` (≤ 20). */
  tags: string[]
  /** The token used in the signature. */
  token: string
  /** The 43-character EncodingAESKey. */
  aesKey: string
  /** Where DingTalk pushes; it must answer the `check_url` event with an encrypted "success". */
  url: string
}

/** An event DingTalk failed to deliver (`get_call_back_failed_result`). */
export interface FailedCallback {
  /** Event type, e.g. `user_add_org`. */
  tag: string
  eventTime: number | undefined
  corpId: string
  userIds: string[]
  deptIds: number[]
  /** The item as DingTalk sent it (newer items nest per-event objects, §2.4). */
  raw: Record<string, unknown>
}

/**
 * Callback registration for a corp (§2.4). DingTalk sends `check_url` to the URL before accepting it, so the
 * callback handler must already be serving there.
 *
 * @example
 * ```ts
 * await client.callbacks.register({ tags: ['user_add_org'], token, aesKey, url: 'https://example.com/dingtalk' })
 * ```
 */
export interface CallbacksApi {
  /** 71006 if one exists, 71009 if the URL did not answer "success". @example await client.callbacks.register({ tags, token, aesKey, url }) */
  register(registration: CallbackRegistration): Promise<void>
  /** 71007 if none is registered. @example const { url, tags } = await client.callbacks.get() */
  get(): Promise<CallbackRegistration>
  /** @example await client.callbacks.update({ tags: ['user_add_org', 'user_leave_org'], token, aesKey, url }) */
  update(registration: CallbackRegistration): Promise<void>
  /** @example await client.callbacks.delete() */
  delete(): Promise<void>
  /** One batch (≤ 200) of failed events; DingTalk hands each out once. @example const { list, hasMore } = await client.callbacks.getFailedResults() */
  getFailedResults(): Promise<{ list: FailedCallback[]; hasMore: boolean }>
  /**
   * Every failed event, calling again while `has_more` is true.
   *
   * @example
   * ```ts
   * for await (const failed of client.callbacks.iterateFailedResults()) await replay(failed)
   * ```
   */
  iterateFailedResults(): AsyncGenerator<FailedCallback, void, undefined>
}

const wire = (r: CallbackRegistration): Record<string, unknown> => ({
  call_back_tag: r.tags,
  token: r.token,
  aes_key: r.aesKey,
  url: r.url,
})

function toFailed(raw: unknown): FailedCallback {
  const r = asRecord(raw)
  return {
    tag: asString(r.call_back_tag),
    eventTime: asNumber(r.event_time),
    corpId: asString(r.corpid),
    userIds: asArray(r.userid).map(String),
    deptIds: asArray(r.deptid).map(Number),
    raw: r,
  }
}

export function createCallbacksApi(ctx: ApiContext): CallbacksApi {
  const api: CallbacksApi = {
    async register(registration) {
      await ctx.request({ path: '/call_back/register_call_back', json: wire(registration) })
    },
    async get() {
      const body = await ctx.request<DingTalkResponse>({ path: '/call_back/get_call_back' })
      return {
        tags: asArray(body.call_back_tag).map(String),
        token: asString(body.token),
        aesKey: asString(body.aes_key),
        url: asString(body.url),
      }
    },
    async update(registration) {
      await ctx.request({ path: '/call_back/update_call_back', json: wire(registration) })
    },
    async delete() {
      // A GET that changes something: not repeated (a second delete would answer 71007).
      await ctx.request({ path: '/call_back/delete_call_back', idempotent: false })
    },
    async getFailedResults() {
      // Not idempotent: DingTalk removes what it hands out, so a lost answer must not be fetched twice.
      const body = await ctx.request<DingTalkResponse>({
        path: '/call_back/get_call_back_failed_result',
        idempotent: false,
      })
      return { list: asArray(body.failed_list).map(toFailed), hasMore: asBool(body.has_more) }
    },
    async *iterateFailedResults() {
      for (;;) {
        const page = await api.getFailedResults()
        yield* page.list
        if (!page.hasMore || page.list.length === 0) return
      }
    },
  }
  return api
}
