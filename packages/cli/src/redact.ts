// Event fields that carry secrets (§2.3: tickets, auth codes, permanent codes), at any depth, and inside
// the JSON strings of SYNC_HTTP `biz_data`.
const SECRET_KEYS =
  /^(?:SuiteTicket|suiteTicket|suite_ticket|AuthCode|auth_code|tmp_auth_code|permanent_code|permanentCode|ch_permanent_code|access_token|accessToken|token|aes_key|aesKey|.*[Ss]ecret.*)$/

/** A copy of `value` with secret-looking fields replaced by `***`. */
export function redactFields(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactFields)
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [key, field] of Object.entries(value)) {
      if (SECRET_KEYS.test(key) && field !== '' && field !== undefined) out[key] = '***'
      else if (key === 'biz_data' && typeof field === 'string') out[key] = redactJsonString(field)
      else out[key] = redactFields(field)
    }
    return out
  }
  return value
}

function redactJsonString(text: string): string {
  try {
    return JSON.stringify(redactFields(JSON.parse(text)))
  } catch {
    return text
  }
}

/** One line of JSON, cut at `max` characters. */
export function compact(value: unknown, max = 240): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value)
  if (text === undefined) return ''
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}
