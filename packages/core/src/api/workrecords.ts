import { DingTalkLimitError } from '../errors/limit'
import {
  type ApiContext,
  asArray,
  asBool,
  asNumber,
  asRecord,
  asString,
  compact,
  envelopeCalls,
  paginate,
} from './context'
import { checkList, checkPageSize, requireNonEmpty, requireText } from './limits'
import type { OffsetPage } from './roles'

/**
 * A row of a to-do's form.
 *
 * @example
 * ```ts
 * const row: WorkRecordFormItem = { title: '截止', content: '本周五' }
 * ```
 */
export interface WorkRecordFormItem {
  title: string
  content: string
}

/**
 * Input of {@link WorkRecordsApi.add} (`topapi/workrecord/add`).
 *
 * @example
 * ```ts
 * const todo: WorkRecordInput = { userId: 'lisi', title: '审阅合同', url: 'https://app.example.com/c/1024', form: [{ title: '合同', content: 'C-1024' }] }
 * ```
 */
export interface WorkRecordInput {
  /** Who has to do it. */
  userId: string
  /** At most 50 characters. */
  title: string
  /** Opened from the to-do (mobile and, without `pcUrl`, PC). */
  url: string
  pcUrl?: string
  /** `sidebar` (PC client, 2) or `browser` (4). */
  pcOpenType?: 'sidebar' | 'browser'
  /** 1–20 rows. */
  form: readonly WorkRecordFormItem[]
  /** Epoch ms shown as the to-do's time (orders the list). Default: now. */
  createTime?: number
  originatorUserId?: string
  /** Shown as the to-do's source. */
  sourceName?: string
  /** Your own id: unique per user, usable instead of the recordId to complete it. */
  bizId?: string
}

/** A to-do, from `topapi/workrecord/getbyuserid`. */
export interface WorkRecord {
  recordId: string
  title: string
  url: string
  createTime: number | undefined
  form: WorkRecordFormItem[]
}

/**
 * To-dos (待办, "work records"): they show in the user's 待办 list beside approvals. DingTalk accepts one
 * to-do with the same title and form per user per day (854001) and 100 per user per day (854002).
 *
 * @example
 * ```ts
 * const { recordId } = await client.workRecords.add({
 *   userId: 'lisi',
 *   title: '完成入职培训',
 *   url: 'https://hr.example.com/onboarding',
 *   form: [{ title: '截止', content: '本周五' }],
 * })
 * await client.workRecords.complete({ userId: 'lisi', recordId })
 * ```
 */
export interface WorkRecordsApi {
  /**
   * `topapi/workrecord/add`: creates a to-do (title ≤ 50 characters, 1–20 form rows, checked locally).
   *
   * @example
   * ```ts
   * const { recordId } = await client.workRecords.add({ userId: 'lisi', title: '审阅合同', url, form: [{ title: '合同', content: 'C-1024' }] })
   * ```
   */
  add(input: WorkRecordInput): Promise<{ recordId: string }>
  /**
   * `topapi/workrecord/update`: marks a to-do done — the only update DingTalk offers. `recordId` may also be
   * the `bizId` given to `add`.
   *
   * @example
   * ```ts
   * await client.workRecords.complete({ userId: 'lisi', recordId })
   * ```
   */
  complete(input: { userId: string; recordId: string }): Promise<void>
  /**
   * `topapi/workrecord/getbyuserid`: one page of a user's open (`pending`) or `done` to-dos (`limit` ≤ 50).
   *
   * @example
   * ```ts
   * const { list, hasMore } = await client.workRecords.list({ userId: 'lisi', status: 'pending' })
   * ```
   */
  list(input: {
    userId: string
    status: 'pending' | 'done'
    offset?: number
    limit?: number
  }): Promise<OffsetPage<WorkRecord>>
  /**
   * Every open or done to-do of a user, page by page.
   *
   * @example
   * ```ts
   * for await (const todo of client.workRecords.iterate({ userId: 'lisi', status: 'pending' })) console.log(todo.title)
   * ```
   */
  iterate(input: { userId: string; status: 'pending' | 'done' }): AsyncGenerator<WorkRecord, void, undefined>
}

const ADD = '/topapi/workrecord/add'
const LIST = '/topapi/workrecord/getbyuserid'

const formItems = (value: unknown): WorkRecordFormItem[] =>
  asArray(value).map((raw) => {
    const f = asRecord(raw)
    return { title: asString(f.title), content: asString(f.content) }
  })

export function createWorkRecordsApi(ctx: ApiContext): WorkRecordsApi {
  const { post, read } = envelopeCalls(ctx)

  const workRecords: WorkRecordsApi = {
    async add(input) {
      requireText(ADD, 'userId', input.userId)
      requireText(ADD, 'title', input.title)
      requireText(ADD, 'url', input.url)
      if ([...input.title].length > 50) {
        throw new DingTalkLimitError('TEXT_TOO_LONG', `${ADD}: title is at most 50 characters.`, {
          api: ADD,
          parameter: 'title',
          max: 50,
          actual: [...input.title].length,
        })
      }
      requireNonEmpty(ADD, 'form', input.form)
      // The errcode page says "fewer than 20 rows" for 40035; 20 itself is unverified, so it is allowed.
      checkList(ADD, 'form', input.form, 20)
      const body = await post(
        ADD,
        compact({
          userid: input.userId,
          create_time: input.createTime ?? Date.now(),
          title: input.title,
          url: input.url,
          // This endpoint mixes camelCase (pcUrl, formItemList) and snake_case names.
          pcUrl: input.pcUrl,
          pc_open_type: input.pcOpenType === undefined ? undefined : input.pcOpenType === 'sidebar' ? 2 : 4,
          formItemList: input.form.map((f) => ({ title: f.title, content: f.content })),
          originator_user_id: input.originatorUserId,
          source_name: input.sourceName,
          biz_id: input.bizId,
        }),
      )
      return { recordId: asString(body.record_id) }
    },
    async complete(input) {
      requireText('/topapi/workrecord/update', 'userId', input.userId)
      requireText('/topapi/workrecord/update', 'recordId', input.recordId)
      await post('/topapi/workrecord/update', { userid: input.userId, record_id: input.recordId })
    },
    async list(input) {
      requireText(LIST, 'userId', input.userId)
      const limit = input.limit ?? 50
      checkPageSize(LIST, 'limit', limit, 50)
      const body = await read(LIST, {
        userid: input.userId,
        offset: input.offset ?? 0,
        limit,
        status: input.status === 'done' ? 1 : 0,
      })
      const r = asRecord(body.records)
      return {
        hasMore: asBool(r.has_more),
        list: asArray(r.list).map((raw) => {
          const w = asRecord(raw)
          return {
            recordId: asString(w.record_id),
            title: asString(w.title),
            url: asString(w.url),
            createTime: asNumber(w.create_time),
            form: formItems(w.forms),
          }
        }),
      }
    },
    iterate(input) {
      return paginate(0, async (offset) => {
        const page = await workRecords.list({ ...input, offset, limit: 50 })
        return { items: page.list, hasMore: page.hasMore, next: offset + 50 }
      })
    },
  }
  return workRecords
}
