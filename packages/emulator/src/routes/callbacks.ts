import { ApiError, type Ctx, type Routes, str } from '../context'
import type { CallbackRegistration } from '../state'
import { orgOf } from './contacts'

// §2.2: the event tags a registered callback may subscribe to.
export const CALL_BACK_TAGS: readonly string[] = [
  'user_add_org',
  'user_modify_org',
  'user_leave_org',
  'user_active_org',
  'org_admin_add',
  'org_admin_remove',
  'org_dept_create',
  'org_dept_modify',
  'org_dept_remove',
  'org_remove',
  'org_change',
  'label_user_change',
  'label_conf_add',
  'label_conf_modify',
  'label_conf_del',
  'chat_add_member',
  'chat_remove_member',
  'chat_quit',
  'chat_update_owner',
  'chat_update_title',
  'chat_disband',
  'chat_disband_microapp',
  'check_in',
  'bpms_task_change',
  'bpms_instance_change',
  'attendance_check_record',
  'attendance_schedule_change',
  'attendance_overtime_duration',
  'meetingroom_book',
  'meetingroom_room_info',
]

const BAD_FIELDS = 'POST的JSON数据不包含所需要的参数字段或包含的参数格式非法'

// §2.4: validate, then send check_url and require the encrypted "success" before saving anything.
async function validated(ctx: Ctx): Promise<CallbackRegistration> {
  const tags = ctx.input.call_back_tag
  if (
    !Array.isArray(tags) ||
    tags.length === 0 ||
    tags.length > 20 ||
    tags.some((t) => typeof t !== 'string')
  ) {
    throw new ApiError(71010, `${BAD_FIELDS}: call_back_tag must be an array of 1–20 tags`)
  }
  const token = str(ctx.input, 'token')
  if (!token) throw new ApiError(71010, `${BAD_FIELDS}: token`)
  const aesKey = str(ctx.input, 'aes_key')
  if (!aesKey || !/^[A-Za-z0-9]{43}$/.test(aesKey)) {
    throw new ApiError(71010, `${BAD_FIELDS}: aes_key must be 43 characters of [A-Za-z0-9]`)
  }
  const unknown = (tags as string[]).filter((t) => !CALL_BACK_TAGS.includes(t))
  if (unknown.length > 0) throw new ApiError(71008, `call_back_tag不在允许的列表中: ${unknown.join(',')}`)
  const url = str(ctx.input, 'url')
  let parsed: URL | undefined
  try {
    parsed = url ? new URL(url) : undefined
  } catch {
    parsed = undefined
  }
  if (!url || !parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    throw new ApiError(71011, `传入的url参数不是合法的url格式: ${url ?? 'missing'}`)
  }
  const org = orgOf(ctx)
  const receiveId = ctx.token?.suiteKey ?? org.corpId
  const result = await ctx.emu.checkCallbackUrl(url, token, aesKey, receiveId)
  if (!result.ok) {
    const last = result.attempts.at(-1)
    const reason = last?.reason ?? 'no answer'
    if (last?.status === undefined) throw new ApiError(71012, `url地址访问异常,错误原因:${reason}`)
    throw new ApiError(71009, `返回文本非success: ${reason}`)
  }
  return { url, token, aesKey, tags: [...new Set(tags as string[])], receiveId }
}

export const callbackRoutes: Routes = {
  '/call_back/register_call_back': {
    method: 'POST',
    auth: 'access',
    body: 'json',
    handle: async (ctx) => {
      const org = orgOf(ctx)
      if (org.callback) throw new ApiError(71006, '回调地址已经存在')
      const registration = await validated(ctx)
      if (org.callback) throw new ApiError(71006, '回调地址已经存在')
      org.callback = registration
      return {}
    },
  },
  '/call_back/update_call_back': {
    method: 'POST',
    auth: 'access',
    body: 'json',
    handle: async (ctx) => {
      const org = orgOf(ctx)
      if (!org.callback) throw new ApiError(71007, '回调地址已经不存在')
      org.callback = await validated(ctx)
      return {}
    },
  },
  '/call_back/get_call_back': {
    method: 'GET',
    auth: 'access',
    handle: (ctx) => {
      const registration = orgOf(ctx).callback
      if (!registration) throw new ApiError(71007, '回调地址已经不存在')
      return {
        call_back_tag: registration.tags,
        token: registration.token,
        aes_key: registration.aesKey,
        url: registration.url,
      }
    },
  },
  '/call_back/delete_call_back': {
    method: 'GET',
    auth: 'access',
    handle: (ctx) => {
      const org = orgOf(ctx)
      if (!org.callback) throw new ApiError(71007, '回调地址已经不存在')
      delete org.callback
      return {}
    },
  },
  '/call_back/get_call_back_failed_result': {
    method: 'GET',
    auth: 'access',
    handle: (ctx) => {
      const org = orgOf(ctx)
      // §2.4: at most 200 per call; call again while has_more.
      const failed = org.failedCallbacks.splice(0, 200)
      return { has_more: org.failedCallbacks.length > 0, failed_list: failed }
    },
  },
}
