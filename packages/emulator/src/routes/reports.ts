import { type Ctx, num, type Routes } from '../context'
import {
  at,
  DAY_MS,
  dayStart,
  invalid,
  memberIndex,
  orgOf,
  paging,
  post,
  text,
  weekday,
} from './office-common'

/*
 * Reports are generated from the calendar (China time), up to the emulator's clock: every workday members at
 * an odd position in the fixture (lisi, zhaoliu) file a 日报 at 18:30; every Friday the first admin (zhangsan)
 * files a 周报 at 17:00.
 */
export const reportRoutes: Routes = {
  '/topapi/report/list': post((ctx: Ctx) => {
    const org = orgOf(ctx)
    const start = num(ctx.input, 'start_time')
    const end = num(ctx.input, 'end_time')
    if (start === undefined || end === undefined || end < start) throw invalid('start_time and end_time')
    // The errcode DingTalk answers for a longer window is unverified.
    if (end - start > 180 * DAY_MS) throw invalid('at most 180 days')
    const { offset: cursor, size } = paging(ctx.input, 'size', 20, 20)
    const template = text(ctx.input, 'template_name')
    const author = text(ctx.input, 'userid')
    const admin = [...org.users.values()].find((u) => u.isAdmin)
    const now = ctx.emu.now()
    const reports: Record<string, unknown>[] = []
    for (let day = dayStart(start); day <= end; day += DAY_MS) {
      const wd = weekday(day)
      if (wd === 0 || wd === 6) continue
      const filed: { user: typeof admin; name: string; time: number; contents: [string, string][] }[] = []
      for (const user of org.users.values()) {
        if (memberIndex(org, user.userid) % 2 === 1) {
          filed.push({
            user,
            name: '日报',
            time: at(day, 18, 30),
            contents: [
              ['今日完成工作', `${user.name}的工作记录`],
              ['未完成工作', '无'],
            ],
          })
        }
      }
      if (wd === 5 && admin) {
        filed.push({
          user: admin,
          name: '周报',
          time: at(day, 17),
          contents: [['本周完成工作', '版本发布']],
        })
      }
      for (const f of filed) {
        if (!f.user || f.time < start || f.time > end || f.time > now) continue
        if ((template && f.name !== template) || (author && f.user.userid !== author)) continue
        reports.push({
          report_id: `report-${f.user.userid}-${Math.round(day / DAY_MS)}-${f.name === '日报' ? 'd' : 'w'}`,
          template_name: f.name,
          creator_id: f.user.userid,
          creator_name: f.user.name,
          dept_name: org.departments.get(f.user.department[0] ?? 1)?.name ?? '',
          create_time: f.time,
          modified_time: f.time,
          remark: '',
          contents: f.contents.map(([key, value], i) => ({ key, value, sort: String(i), type: '1' })),
        })
      }
    }
    reports.sort((a, b) => Number(a.create_time) - Number(b.create_time))
    const hasMore = cursor + size < reports.length
    return {
      result: {
        data_list: reports.slice(cursor, cursor + size),
        size,
        has_more: hasMore,
        ...(hasMore ? { next_cursor: cursor + size } : {}),
      },
    }
  }),
}
