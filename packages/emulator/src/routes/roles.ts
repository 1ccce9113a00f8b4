import { ApiError, type Ctx, num, type Routes } from '../context'
import type { FixtureRoleGroup } from '../office-state'
import type { OrgState } from '../state'
import { invalid, list, memberOf, orgOf, paging, post } from './office-common'

function groupsOf(ctx: Ctx, org: OrgState): FixtureRoleGroup[] {
  return ctx.emu.state.office.roleGroups.get(org.corpId) ?? []
}

function findRole(ctx: Ctx, org: OrgState, roleId: number | undefined) {
  for (const group of groupsOf(ctx, org)) {
    const role = group.roles.find((r) => r.roleId === roleId)
    if (role) return { group, role }
  }
  throw new ApiError(33011, `无效的roleId: ${roleId ?? ''}`)
}

function members(ctx: Ctx, org: OrgState, roleId: number): Set<string> {
  const key = `${org.corpId}:${roleId}`
  let set = ctx.emu.state.office.roleMembers.get(key)
  if (!set) {
    set = new Set()
    ctx.emu.state.office.roleMembers.set(key, set)
  }
  return set
}

// Granting and revoking: roleIds ≤ 20; userIds ≤ 20 (add) or 100 (remove); label_user_change is pushed (§2.2).
function assign(ctx: Ctx, action: 'add' | 'remove'): Record<string, unknown> {
  const org = orgOf(ctx)
  const roleIds = (list(ctx.input, 'roleIds') ?? []).map(Number)
  const userIds = list(ctx.input, 'userIds') ?? []
  if (roleIds.length === 0 || userIds.length === 0) throw invalid('roleIds and userIds are required')
  const maxUsers = action === 'add' ? 20 : 100
  if (roleIds.length > 20 || userIds.length > maxUsers) {
    throw invalid(`at most 20 roleIds and ${maxUsers} userIds`)
  }
  for (const roleId of roleIds) {
    const { group } = findRole(ctx, org, roleId)
    // "不允许增加“默认”分组内的角色"; the errcode DingTalk answers with is unverified.
    if (action === 'add' && group.system) throw new ApiError(33011, `无效的roleIds: ${roleId} 属于默认分组`)
  }
  for (const userid of userIds) memberOf(org, userid)
  for (const roleId of roleIds) {
    const set = members(ctx, org, roleId)
    for (const userid of userIds) {
      if (action === 'add') set.add(userid)
      else set.delete(userid)
    }
  }
  ctx.emu.emitCorpEvent(org.corpId, 'label_user_change', {
    UserIdList: userIds,
    LabelIdList: roleIds,
    action,
  })
  return {}
}

export const roleRoutes: Routes = {
  '/topapi/role/list': post((ctx) => {
    const { offset, size } = paging(ctx.input, 'size', 200, 20)
    const groups = groupsOf(ctx, orgOf(ctx))
    return {
      result: {
        hasMore: offset + size < groups.length,
        list: groups.slice(offset, offset + size).map((g) => ({
          groupId: g.groupId,
          name: g.name,
          roles: g.roles.map((r) => ({ id: r.roleId, name: r.name })),
        })),
      },
    }
  }),
  '/topapi/role/getrolegroup': post((ctx) => {
    const groupId = num(ctx.input, 'group_id')
    const group = groupsOf(ctx, orgOf(ctx)).find((g) => g.groupId === groupId)
    if (!group) throw invalid(`group_id ${groupId ?? ''}`)
    return {
      role_group: {
        group_name: group.name,
        roles: group.roles.map((r) => ({ role_id: r.roleId, role_name: r.name })),
      },
    }
  }),
  '/topapi/role/getrole': post((ctx) => {
    const { group, role } = findRole(ctx, orgOf(ctx), num(ctx.input, 'roleId'))
    return { role: { name: role.name, groupId: group.groupId } }
  }),
  '/topapi/role/simplelist': post((ctx) => {
    const org = orgOf(ctx)
    const { role } = findRole(ctx, org, num(ctx.input, 'role_id'))
    const { offset, size } = paging(ctx.input, 'size', 100, 20)
    const users = [...members(ctx, org, role.roleId)].flatMap((id) => {
      const user = org.users.get(id)
      return user ? [user] : []
    })
    return {
      result: {
        hasMore: offset + size < users.length,
        list: users
          .slice(offset, offset + size)
          .map((u) => ({ userid: u.userid, name: u.name, manageScopes: [] })),
      },
    }
  }),
  '/topapi/role/addrolesforemps': post((c) => assign(c, 'add')),
  '/topapi/role/removerolesforemps': post((c) => assign(c, 'remove')),
}
