import { describe, expect, it } from 'vitest'
import { eventFieldsOf, KNOWN_EVENT_TYPES, typeEvent } from './parse'
import { parseStreamEvent } from './stream'

const SAMPLES: Readonly<Record<string, unknown>> = {
  string: 'v',
  numstr: 1700000000000,
  strings: ['u1', 'u2'],
  ids: [1, '2'],
  object: { nested: { Key: 1 } },
}

function lowerFirst(name: string): string {
  return name[0]!.toLowerCase() + name.slice(1)
}

// An HTTP callback payload with every field of the type's schema, and the same event as Stream sends it:
// camelCase data, the type, corp and event id in the headers (§13.2).
function pair(type: string): { http: Record<string, unknown>; data: Record<string, unknown> } {
  const fields = eventFieldsOf(type) ?? []
  const names = new Set(fields.map(([name]) => name))
  const http: Record<string, unknown> = { EventType: type, CorpId: 'dingcorp', eventId: 'evt-1' }
  const data: Record<string, unknown> = {}
  for (const [name, spec] of fields) {
    if (name === 'CorpId' || name === 'eventId') continue
    const camel = lowerFirst(name)
    // A PascalCase field whose camelCase spelling is a field of its own (label_user_change's UserIdList /
    // userIdList): Stream can only send the camelCase one.
    if (camel !== name && names.has(camel)) continue
    const value = SAMPLES[spec.replace('?', '')]
    http[name] = value
    data[camel] = value
  }
  return { http, data }
}

describe('parseStreamEvent', () => {
  it.each(KNOWN_EVENT_TYPES.filter((t) => t !== 'unknown'))(
    'types %s exactly as the HTTP callback does',
    (type) => {
      const { http, data } = pair(type)
      const expected = typeEvent(http)
      expect(expected.EventType).toBe(type)
      const parsed = parseStreamEvent(
        { eventType: type, eventId: 'evt-1', eventCorpId: 'dingcorp', eventBornTime: '1700000000000' },
        JSON.stringify(data),
      )
      expect(parsed.event).toEqual(expected)
      expect(parsed.raw).toEqual(data)
    },
  )

  it('maps a contact event the way DingTalk sends it over Stream', () => {
    const { event } = parseStreamEvent(
      { eventType: 'user_add_org', eventId: 'e9', eventCorpId: 'ding1', topic: '*' },
      '{"userId":["zhangsan"],"timeStamp":"1700000000000"}',
    )
    expect(event).toEqual({
      EventType: 'user_add_org',
      UserId: ['zhangsan'],
      TimeStamp: '1700000000000',
      CorpId: 'ding1',
      eventId: 'e9',
    })
  })

  it('takes data already parsed, and keeps the data corp over the header', () => {
    const { event } = parseStreamEvent(
      { eventType: 'org_dept_create', eventCorpId: 'dingheader' },
      { deptId: [3], CorpId: 'dingdata' },
    )
    expect(event).toMatchObject({ EventType: 'org_dept_create', DeptId: [3], CorpId: 'dingdata' })
  })

  it('keeps the schema spelling when a field arrives both ways', () => {
    const { event } = parseStreamEvent(
      { eventType: 'org_remove', eventCorpId: 'ding1' },
      { TimeStamp: 1, timeStamp: 2 },
    )
    expect(event).toMatchObject({ TimeStamp: 1 })
    expect(event).not.toHaveProperty('timeStamp')
  })

  it('keeps fields the schema does not know, as they arrived', () => {
    const { event } = parseStreamEvent(
      { eventType: 'user_modify_org', eventCorpId: 'ding1' },
      { userId: ['u1'], diffInfo: [{ userid: 'u1' }] },
    )
    expect(event).toMatchObject({ UserId: ['u1'], diffInfo: [{ userid: 'u1' }] })
  })

  it('types an event the schema does not know as unknown, with its type', () => {
    const { event } = parseStreamEvent({ eventType: 'hrm_user_record_change' }, '{"staffId":"u1"}')
    expect(event).toEqual({
      EventType: 'unknown',
      rawEventType: 'hrm_user_record_change',
      raw: { staffId: 'u1' },
      reason: 'unknown EventType',
    })
  })

  it('never throws on bad data', () => {
    expect(parseStreamEvent({ eventType: 'user_add_org' }, '{').event).toMatchObject({
      EventType: 'unknown',
      reason: 'data is not JSON',
    })
    expect(parseStreamEvent({ eventType: 'user_add_org' }, '[1]').event).toMatchObject({
      EventType: 'unknown',
      reason: 'data is not a JSON object',
    })
    expect(parseStreamEvent({}, '{}').event).toMatchObject({
      EventType: 'unknown',
      reason: 'no eventType header',
    })
    expect(
      parseStreamEvent({ eventType: 'user_add_org', eventCorpId: 'd' }, { userId: 'u1' }).event,
    ).toMatchObject({
      EventType: 'unknown',
      reason: 'user_add_org: field "UserId" is not a string[]',
    })
  })
})
