import { ApiError, bool, type Ctx, num, type Routes } from '../context'
import type { OrgState, UserRecord } from '../state'
import { ancestors, invalid, memberOf, orgOf, post, text, unionIdOf } from './office-common'

// The first admin in fixture order is the main administrator (sys_level 1), the others sub-administrators.
function admins(org: OrgState): { user: UserRecord; level: 1 | 2 }[] {
  return [...org.users.values()].filter((u) => u.isAdmin).map((user, i) => ({ user, level: i === 0 ? 1 : 2 }))
}

function getByMobile(ctx: Ctx): Record<string, unknown> {
  const mobile = text(ctx.input, 'mobile')
  if (!mobile) throw invalid('mobile is required')
  if (!/^(\+\d{1,4}-)?\d{5,20}$/.test(mobile)) throw new ApiError(40104, '企业中无效的手机号')
  // Former members are not found: only active members are.
  const user = [...orgOf(ctx).users.values()].find((u) => u.mobile === mobile && u.active !== false)
  if (!user) throw new ApiError(60121, '未找到该用户')
  return { result: { userid: user.userid } }
}

function getByUnionId(ctx: Ctx): Record<string, unknown> {
  const unionid = text(ctx.input, 'unionid')
  if (!unionid) throw invalid('unionid is required')
  const user = [...orgOf(ctx).users.values()].find((u) => unionIdOf(u) === unionid)
  if (!user) throw new ApiError(60121, '未找到对应员工')
  return { result: { contact_type: 0, userid: user.userid } }
}

function adminScope(ctx: Ctx): Record<string, unknown> {
  const userid = text(ctx.input, 'userid')
  if (!userid) throw new ApiError(40036, '参数为空: userid')
  const org = orgOf(ctx)
  const user = memberOf(org, userid, 60121)
  const admin = admins(org).find((a) => a.user.userid === user.userid)
  // The main administrator manages the whole corp; a sub-administrator (here) its own departments.
  const dept_ids = admin === undefined ? [] : admin.level === 1 ? [1] : [...user.department]
  return { dept_ids }
}

export const lookupRoutes: Routes = {
  '/topapi/v2/user/getbymobile': post(getByMobile),
  '/topapi/user/getbyunionid': post(getByUnionId),
  '/topapi/user/listadmin': post((ctx) => ({
    result: admins(orgOf(ctx)).map((a) => ({ userid: a.user.userid, sys_level: a.level })),
  })),
  '/topapi/user/get_admin_scope': post(adminScope),
  '/topapi/v2/department/listparentbydept': post((ctx) => {
    const org = orgOf(ctx)
    const id = num(ctx.input, 'dept_id')
    if (id === undefined) throw invalid('dept_id is required')
    if (!org.departments.has(id)) throw new ApiError(60003, '未找到对应部门')
    return { result: { parent_id_list: ancestors(org, id) } }
  }),
  '/topapi/v2/department/listparentbyuser': post((ctx) => {
    const org = orgOf(ctx)
    const user = memberOf(org, text(ctx.input, 'userid'))
    return {
      result: { parent_list: user.department.map((d) => ({ parent_dept_id_list: ancestors(org, d) })) },
    }
  }),
  '/topapi/user/count': post((ctx) => {
    const onlyActive = bool(ctx.input, 'only_active')
    if (onlyActive === undefined) throw new ApiError(400002, '参数为空: only_active')
    const users = [...orgOf(ctx).users.values()]
    return { result: { count: onlyActive ? users.filter((u) => u.active !== false).length : users.length } }
  }),
}
