import { DingTalkError } from './errors/base'

/**
 * Internal: rejects an agentId DingTalk can never accept (NaN from `Number(undefined)`, 0, negative,
 * fractional, non-numeric text) when it is configured, so `dd.config` never carries `agentId: 'NaN'`.
 * `where` names the option in the message (`agentId`, `jsapi.agentId`, …).
 */
export function checkAgentId<T extends string | number | undefined>(value: T, where = 'agentId'): T {
  if (value === undefined) return value
  const valid =
    typeof value === 'number' ? Number.isSafeInteger(value) && value > 0 : /^[1-9]\d*$/.test(value.trim())
  if (valid) return value
  const shown = typeof value === 'number' ? String(value) : JSON.stringify(value)
  throw new DingTalkError(
    'INVALID_AGENT_ID',
    `${where} is ${shown}: is DINGTALK_AGENT_ID set? It must be the micro-app's agentId, a positive integer.`,
  )
}
