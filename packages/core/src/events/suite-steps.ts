import type { SuiteCallbackClient } from './context'
import type { Reporter } from './reporter'
import type { DingTalkEvent } from './types'

/**
 * The built-in ISV step an event needs before it may be acknowledged (§2.3): store the suite_ticket,
 * exchange the tmp_auth_code (get_permanent_code → store → activate_suite), activate a corp waiting for it,
 * forget a corp that removed the suite, store a pushed permanent code. `undefined` when the event needs
 * none (or is for another suite, which is reported).
 */
export function suiteStepFor(
  event: DingTalkEvent,
  suiteClient: SuiteCallbackClient | undefined,
  reporter: Reporter,
): (() => Promise<void>) | undefined {
  if (!suiteClient) return undefined
  const mismatch = (key: string): boolean => {
    if (key === suiteClient.suiteKey) return false
    reporter.report('CALLBACK_SUITE_KEY_MISMATCH', `${event.EventType} is for another suite; not stored`, {
      eventType: event.EventType,
    })
    return true
  }
  switch (event.EventType) {
    case 'suite_ticket':
      return mismatch(event.SuiteKey) ? undefined : () => suiteClient.saveSuiteTicket(event.SuiteTicket)
    case 'tmp_auth_code':
      if (mismatch(event.SuiteKey)) return undefined
      return async () => {
        await suiteClient.handleTmpAuthCode(event.AuthCode)
      }
    case 'change_auth':
      return activateWhenWaiting(suiteClient, event.AuthCorpId)
    case 'suite_relieve':
      return () => suiteClient.removeCorp(event.AuthCorpId)
    case 'org_suite_auth':
      return savePushedPermanentCode(suiteClient, event)
    default:
      return undefined
  }
}

function activateWhenWaiting(
  suiteClient: SuiteCallbackClient,
  corpId: string,
): (() => Promise<void>) | undefined {
  const { getAgent, activateSuite } = suiteClient
  if (!getAgent || !activateSuite) return undefined
  return async () => {
    // §2.3: close 2 = authorised but waiting for activation.
    if ((await getAgent.call(suiteClient, corpId)).close === 2) await activateSuite.call(suiteClient, corpId)
  }
}

function savePushedPermanentCode(
  suiteClient: SuiteCallbackClient,
  event: Extract<DingTalkEvent, { EventType: 'org_suite_auth' }>,
): (() => Promise<void>) | undefined {
  const { savePermanentCode, activateSuite } = suiteClient
  if (!savePermanentCode) return undefined
  const agent = (event.auth_info?.agent as Array<{ agentid?: unknown }> | undefined)?.[0]?.agentid
  const corpName = event.auth_corp_info?.corp_name
  return async () => {
    await savePermanentCode.call(suiteClient, event.CorpId, event.permanent_code, {
      ...(typeof agent === 'number' ? { agentId: agent } : {}),
      ...(typeof corpName === 'string' ? { corpName } : {}),
    })
    await activateSuite?.call(suiteClient, event.CorpId)
  }
}
