import { KNOWN_EVENT_TYPES, parseEvents } from '@dingtalk-kit/core'
import { describe, expect, it } from 'vitest'
import { buildEvent, EVENTS, parseAssignment } from './events'
import { redactFields } from './redact'

const context = { corpId: 'dingcorp0001', suiteKey: 'suiteabc0001', now: 1_700_000_000_000 }

describe('trigger payloads', () => {
  it('cover every event type the core parser knows', () => {
    const types = new Set(EVENTS.map((e) => e.type))
    expect(KNOWN_EVENT_TYPES.filter((t) => !types.has(t))).toEqual([])
  })

  it('each parse with the core events parser into the typed event they stand for', () => {
    for (const template of EVENTS) {
      const parsed = parseEvents(buildEvent(template, context), { suiteKey: context.suiteKey })
      expect(parsed).toHaveLength(1)
      const expected = template.type === 'SYNC_HTTP_PUSH_HIGH' ? 'suite_ticket' : template.type
      expect({ template: template.type, type: parsed[0]!.event.EventType }).toEqual({
        template: template.type,
        type: expected,
      })
    }
  })

  it('redact tickets, auth codes and permanent codes for display, also inside biz_data', () => {
    const ticket = buildEvent(EVENTS.find((e) => e.type === 'suite_ticket')!, context)
    expect(redactFields(ticket)).toMatchObject({ SuiteTicket: '***', SuiteKey: context.suiteKey })
    const auth = buildEvent(EVENTS.find((e) => e.type === 'org_suite_auth')!, context)
    const shown = JSON.stringify(redactFields(auth))
    expect(shown).toContain('permanent_code\\":\\"***')
    const code = JSON.parse((auth.bizData as { biz_data: string }[])[0]!.biz_data).permanent_code as string
    expect(shown).not.toContain(code)
  })

  it('parse --set values as JSON when they are JSON', () => {
    expect(parseAssignment('UserId=["a","b"]')).toEqual(['UserId', ['a', 'b']])
    expect(parseAssignment('TimeStamp=12')).toEqual(['TimeStamp', 12])
    expect(parseAssignment('TimeStamp="12"')).toEqual(['TimeStamp', '12'])
    expect(parseAssignment('Title=周会=重要')).toEqual(['Title', '周会=重要'])
    expect(parseAssignment('=x')).toBeUndefined()
  })
})
