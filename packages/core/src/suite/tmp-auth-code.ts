import { DingTalkError } from '../errors/base'
import { hashes } from '../hash/index'
import type { Authorizations } from './authorizations'
import { requireId, type SuiteContext, suiteKeyOf } from './context'
import type { CorpClients } from './corp-clients'
import type { ServiceCalls } from './service-calls'

/**
 * The `tmp_auth_code` flow (§4.3): `get_permanent_code` → the permanent code stored durably (before anything
 * else: it cannot be fetched again) → `activate_suite`.
 */
export async function handleTmpAuthCode(
  ctx: SuiteContext,
  parts: { corps: Authorizations; service: ServiceCalls; clients: CorpClients },
  authCode: string,
): Promise<{ corpId: string }> {
  requireId(authCode, 'tmpAuthCode')
  const { corps, service } = parts
  // A tmp code is single-use (40078 the second time, §4.3): when activation failed after the exchange,
  // DingTalk's re-push of the same code must activate the corp it was exchanged for, so that corp is
  // remembered for a day under the code's hash (never the code itself).
  const exchanged = suiteKeyOf(ctx, `tmp_auth_code_${hashes().sha256Hex(authCode)}`)
  const known = await ctx.store.get(exchanged)
  const record = known === undefined ? undefined : await corps.read(known)
  if (known !== undefined && record !== undefined) {
    await service.activate(known, record.permanentCode)
    return { corpId: known }
  }
  const result = await service.fetchPermanentCode(authCode)
  if (result.corpId === '' || result.permanentCode === '') {
    throw new DingTalkError(
      'SUITE_INVALID_RESPONSE',
      'get_permanent_code answered without corpid or permanent_code',
    )
  }
  // Persist before activating: a lost permanent code cannot be fetched again (the tmp code is single-use).
  await corps.write(result.corpId, {
    permanentCode: result.permanentCode,
    ...(result.corpName ? { corpName: result.corpName } : {}),
  })
  await ctx.store.set(exchanged, result.corpId, 24 * 3600_000)
  await parts.clients.forget(result.corpId)
  await service.activate(result.corpId, result.permanentCode)
  return { corpId: result.corpId }
}
