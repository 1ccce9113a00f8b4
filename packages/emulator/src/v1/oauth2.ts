import { createHash, randomBytes } from 'node:crypto'
import { unionIdOf } from '../routes/office-common'
import { text, type V1Ctx, V1Error, type V1Routes } from './context'

/** How long a user access token of the OAuth2 login lives (DingTalk: 7,200 s). */
const USER_TOKEN_TTL_S = 7200

function appOf(ctx: V1Ctx, clientId: string): { corpId: string; appSecret: string } | undefined {
  for (const org of ctx.emu.state.orgs.values()) {
    const app = org.apps.get(clientId)
    if (app) return { corpId: org.corpId, appSecret: app.appSecret }
  }
  return undefined
}

// POST /v1.0/oauth2/userAccessToken: the OAuth2 login's one-time code → a user access token.
function userAccessToken(ctx: V1Ctx): Record<string, unknown> {
  const clientId = text(ctx.body, 'clientId')
  const clientSecret = text(ctx.body, 'clientSecret')
  const grantType = text(ctx.body, 'grantType')
  if (grantType !== 'authorization_code') {
    throw new V1Error(400, 'InvalidParameter', `grantType ${grantType} is not supported by the emulator`)
  }
  const app = appOf(ctx, clientId)
  if (!app || app.appSecret !== clientSecret) {
    throw new V1Error(400, 'invalidClientSecret', 'clientId or clientSecret is not valid')
  }
  const code = text(ctx.body, 'code')
  const offices = ctx.emu.state.office
  const record = offices.snsCodes.get(code)
  offices.snsCodes.delete(code) // single use, whatever happens next
  if (record?.form !== 'oauth2' || record.appKey !== clientId || record.expiresAt <= ctx.emu.now()) {
    throw new V1Error(400, 'invalidAuthCode', 'the authCode does not exist, was used or expired')
  }
  const accessToken = randomBytes(16).toString('hex')
  offices.userTokens.set(accessToken, {
    appKey: clientId,
    corpId: record.corpId,
    userid: record.userid,
    expiresAt: ctx.emu.now() + USER_TOKEN_TTL_S * 1000,
  })
  return {
    accessToken,
    refreshToken: randomBytes(16).toString('hex'),
    expireIn: USER_TOKEN_TTL_S,
    corpId: record.corpId,
  }
}

// GET /v1.0/contact/users/me: the signed-in account, with the user access token in the header.
function usersMe(ctx: V1Ctx): Record<string, unknown> {
  const header = ctx.headers['x-acs-dingtalk-access-token']
  const token = Array.isArray(header) ? header[0] : header
  const record = token ? ctx.emu.state.office.userTokens.get(token) : undefined
  if (!record || record.expiresAt <= ctx.emu.now()) {
    throw new V1Error(401, 'InvalidAuthentication', '不合法的access_token')
  }
  const user = ctx.emu.state.orgs.get(record.corpId)?.users.get(record.userid)
  if (!user) throw new V1Error(404, 'UserNotExist', 'the user left the organisation')
  return {
    nick: user.name,
    unionId: unionIdOf(user),
    openId: `openid${createHash('sha256').update(`${record.appKey}:${user.userid}`).digest('hex').slice(0, 20)}`,
    stateCode: '86',
    ...(user.mobile ? { mobile: user.mobile } : {}),
  }
}

/** The newer OAuth2 web login's api.dingtalk.com half (the page is `/oauth2/auth`, in routes/sns.ts). */
export const oauth2Routes: V1Routes = {
  'POST /v1.0/oauth2/userAccessToken': { auth: 'none', handle: userAccessToken },
  'GET /v1.0/contact/users/me': { auth: 'none', handle: usersMe },
}
