import type { DingTalkResponse } from '../http/pipeline'
import { type ApiContext, asArray, asBool, asNumber, asRecord, asString, compact, paginate } from './context'
import { checkPageSize, checkWindow, type DingTalkTime } from './limits'

/** A report (日志) such as a daily or weekly report, from `topapi/report/list`. */
export interface Report {
  reportId: string
  templateName: string
  creatorId: string
  creatorName: string
  deptName: string
  remark: string
  /** Epoch ms. */
  createTime: number | undefined
  modifiedTime: number | undefined
  /** The filled-in fields, in template order. */
  contents: { key: string; value: string; sort: number; type: string }[]
}

/**
 * Input of {@link ReportsApi.list}: reports created in a window of at most 180 days.
 *
 * @example
 * ```ts
 * const input: ReportListInput = { startTime: '2026-11-09', endTime: '2026-11-13 23:59:59', templateName: '日报' }
 * ```
 */
export interface ReportListInput {
  startTime: DingTalkTime
  endTime: DingTalkTime
  /** Only this template, e.g. `日报`. */
  templateName?: string
  /** Only this author. */
  userId?: string
  /** 0 for the first page. */
  cursor?: number
  /** ≤ 20. Default 20. */
  size?: number
}

/** One cursor page of reports. */
export interface ReportPage {
  list: Report[]
  hasMore: boolean
  nextCursor: number | undefined
}

/**
 * Reports (日志) — the read side of the legacy report API DingTalk still serves.
 *
 * @example
 * ```ts
 * for await (const report of client.reports.iterate({ startTime: '2026-11-01', endTime: '2026-11-30', templateName: '日报' })) {
 *   console.log(report.creatorName, report.contents.map((c) => c.value).join(' / '))
 * }
 * ```
 */
export interface ReportsApi {
  /**
   * `topapi/report/list`: one page of reports (window ≤ 180 days, `size` ≤ 20, checked locally).
   *
   * @example
   * ```ts
   * const { list, nextCursor } = await client.reports.list({ startTime: '2026-11-02', endTime: '2026-11-06', userId: 'lisi' })
   * ```
   */
  list(input: ReportListInput): Promise<ReportPage>
  /**
   * Every report of the window, following `next_cursor`.
   *
   * @example
   * ```ts
   * for await (const report of client.reports.iterate({ startTime: '2026-11-01', endTime: '2026-11-30' })) archive(report)
   * ```
   */
  iterate(input: Omit<ReportListInput, 'cursor'>): AsyncGenerator<Report, void, undefined>
}

const LIST = '/topapi/report/list'

function toReport(raw: unknown): Report {
  const r = asRecord(raw)
  return {
    reportId: asString(r.report_id),
    templateName: asString(r.template_name),
    creatorId: asString(r.creator_id),
    creatorName: asString(r.creator_name),
    deptName: asString(r.dept_name),
    remark: asString(r.remark),
    createTime: asNumber(r.create_time),
    modifiedTime: asNumber(r.modified_time),
    contents: asArray(r.contents).map((item) => {
      const c = asRecord(item)
      return {
        key: asString(c.key),
        value: asString(c.value),
        sort: asNumber(c.sort) ?? 0,
        type: asString(c.type),
      }
    }),
  }
}

export function createReportsApi(ctx: ApiContext): ReportsApi {
  const reports: ReportsApi = {
    async list(input) {
      const size = input.size ?? 20
      checkPageSize(LIST, 'size', size, 20)
      const window = checkWindow(LIST, ['startTime', 'endTime'], input.startTime, input.endTime, 180)
      const body = await ctx.request<DingTalkResponse>({
        path: LIST,
        // A read served over POST: repeated like a GET after a 5xx or a broken body.
        idempotent: true,
        json: compact({
          start_time: window.from,
          end_time: window.to,
          template_name: input.templateName,
          userid: input.userId,
          cursor: input.cursor ?? 0,
          size,
        }),
      })
      const r = asRecord(body.result)
      const hasMore = asBool(r.has_more)
      return {
        list: asArray(r.data_list).map(toReport),
        hasMore,
        nextCursor: hasMore ? asNumber(r.next_cursor) : undefined,
      }
    },
    iterate(input) {
      return paginate(0, async (cursor) => {
        const page = await reports.list({ ...input, cursor })
        return { items: page.list, hasMore: page.hasMore, next: page.nextCursor }
      })
    },
  }
  return reports
}
