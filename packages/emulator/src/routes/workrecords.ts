import { randomBytes } from 'node:crypto'
import { ApiError, type Ctx, num, type Routes } from '../context'
import type { WorkRecordRecord } from '../office-state'
import { dayStart, invalid, memberOf, orgOf, paging, post, text } from './office-common'

function add(ctx: Ctx): Record<string, unknown> {
  const org = orgOf(ctx)
  const user = memberOf(org, text(ctx.input, 'userid'))
  const title = text(ctx.input, 'title')
  const url = text(ctx.input, 'url')
  const createTime = num(ctx.input, 'create_time')
  if (!title || !url || createTime === undefined) throw invalid('title, url and create_time are required')
  if ([...title].length > 50) throw new ApiError(40035, '参数不合法: title is at most 50 characters')
  const items = ctx.input.formItemList
  if (!Array.isArray(items) || items.length === 0) throw invalid('formItemList is required')
  if (items.length > 20) throw new ApiError(40035, '参数不合法: formItemList holds at most 20 rows')
  const forms = items.map((raw) => {
    const item = (raw ?? {}) as Record<string, unknown>
    const rowTitle = text(item, 'title')
    const content = text(item, 'content')
    if (!rowTitle || !content) throw invalid('every form row needs title and content')
    return { title: rowTitle, content }
  })
  const state = ctx.emu.state.office
  const today = dayStart(ctx.emu.now())
  const mine = state.workRecords.filter((w) => w.corpId === org.corpId && w.userid === user.userid)
  const bizId = text(ctx.input, 'biz_id')
  const sameContent = (w: WorkRecordRecord) =>
    dayStart(w.addedAt) === today && w.title === title && JSON.stringify(w.forms) === JSON.stringify(forms)
  if (mine.some(sameContent) || (bizId !== undefined && mine.some((w) => w.bizId === bizId))) {
    throw new ApiError(854001, '待办任务重复')
  }
  if (mine.filter((w) => dayStart(w.addedAt) === today).length >= 100) {
    throw new ApiError(854002, '待办任务超过每日限额')
  }
  const record: WorkRecordRecord = {
    recordId: `record${randomBytes(12).toString('hex')}`,
    corpId: org.corpId,
    userid: user.userid,
    title,
    url,
    forms,
    createTime,
    done: false,
    addedAt: ctx.emu.now(),
  }
  for (const [wire, key] of [
    ['pcUrl', 'pcUrl'],
    ['biz_id', 'bizId'],
    ['source_name', 'sourceName'],
    ['originator_user_id', 'originator'],
  ] as const) {
    const value = text(ctx.input, wire)
    if (value !== undefined) record[key] = value
  }
  state.workRecords.push(record)
  return { record_id: record.recordId }
}

export const workRecordRoutes: Routes = {
  '/topapi/workrecord/add': post(add),
  '/topapi/workrecord/update': post((ctx) => {
    const org = orgOf(ctx)
    const user = memberOf(org, text(ctx.input, 'userid'))
    const id = text(ctx.input, 'record_id')
    // The record id or the caller's biz_id; the errcode for an unknown one is unverified.
    const record = ctx.emu.state.office.workRecords.find(
      (w) => w.corpId === org.corpId && w.userid === user.userid && (w.recordId === id || w.bizId === id),
    )
    if (!record) throw invalid(`record_id ${id ?? ''}`)
    record.done = true
    return { result: true }
  }),
  '/topapi/workrecord/getbyuserid': post((ctx) => {
    const org = orgOf(ctx)
    const user = memberOf(org, text(ctx.input, 'userid'))
    const status = num(ctx.input, 'status')
    if (status !== 0 && status !== 1) throw invalid('status must be 0 or 1')
    const { offset, size } = paging(ctx.input, 'limit', 50, 50)
    const records = ctx.emu.state.office.workRecords
      .filter((w) => w.corpId === org.corpId && w.userid === user.userid && w.done === (status === 1))
      .sort((a, b) => b.createTime - a.createTime)
    return {
      records: {
        has_more: offset + size < records.length,
        list: records.slice(offset, offset + size).map((w) => ({
          record_id: w.recordId,
          create_time: w.createTime,
          title: w.title,
          url: w.url,
          forms: w.forms,
        })),
      },
    }
  }),
}
