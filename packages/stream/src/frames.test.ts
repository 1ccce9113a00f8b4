import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ackFor, ackFrame, disconnectReason, parseFrame } from './frames'

const frame = (headers: Record<string, unknown>, data: unknown = '{}') =>
  JSON.stringify({ specVersion: '1.0', type: 'EVENT', headers, data })

describe('parseFrame (§13.2)', () => {
  it('keeps a gateway frame as it came: string headers, data as text', () => {
    const parsed = parseFrame(frame({ messageId: 'm1', topic: '*', eventType: 'user_add_org' }, '{"a":1}'))
    expect(parsed).toEqual({
      type: 'EVENT',
      topic: '*',
      messageId: 'm1',
      headers: { messageId: 'm1', topic: '*', eventType: 'user_add_org' },
      data: '{"a":1}',
    })
  })

  it('turns numeric header values into their text and drops other kinds', () => {
    const parsed = parseFrame(frame({ messageId: 'm2', time: 1700000000000, bad: { x: 1 }, nan: null }))
    if (typeof parsed === 'string') throw new Error(parsed)
    expect(parsed.headers).toEqual({ messageId: 'm2', time: '1700000000000' })
    expect(parsed.topic).toBe('')
  })

  it('encodes object data as JSON and missing data as empty text', () => {
    const withObject = parseFrame(frame({ messageId: 'm3' }, { b: [1] }))
    const without = parseFrame(
      JSON.stringify({ type: 'SYSTEM', headers: { messageId: 'm4', topic: 'ping' } }),
    )
    if (typeof withObject === 'string' || typeof without === 'string') throw new Error('expected frames')
    expect(withObject.data).toBe('{"b":[1]}')
    expect(without.data).toBe('')
  })

  it('says why text is not a frame, never throws', () => {
    expect(parseFrame('{')).toBe('not JSON')
    expect(parseFrame('[1]')).toBe('not a JSON object')
    expect(parseFrame('{"type":"EVENT"}')).toBe('no headers')
    expect(parseFrame(frame({ topic: '*' }))).toBe('no headers.messageId')
    expect(parseFrame(frame({ messageId: 7 }).replace('"type":"EVENT",', ''))).toBe('no type')
  })
})

describe('ackFrame / ackFor (§13.3)', () => {
  it('is exactly the JSON of the ACK object, whatever the messageId and data hold', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme' }),
        fc.jsonValue(),
        fc.integer(),
        fc.string(),
        (id, data, code, message) => {
          expect(ackFrame(id, data, code, message)).toBe(
            JSON.stringify({
              code,
              message,
              headers: { messageId: id, contentType: 'application/json' },
              data: typeof data === 'string' ? data : JSON.stringify(data ?? null),
            }),
          )
        },
      ),
    )
  })

  it('answers an EVENT SUCCESS or LATER, a CALLBACK its response or a 500', () => {
    const data = (text: string) => JSON.parse((JSON.parse(text) as { data: string }).data) as unknown
    expect(data(ackFor('EVENT', 'm', { kind: 'ack' }))).toEqual({ status: 'SUCCESS', message: 'OK' })
    expect(data(ackFor('EVENT', 'm', { kind: 'retry' }))).toEqual({
      status: 'LATER',
      message: 'handler failed',
    })
    expect(data(ackFor('CALLBACK', 'm', { kind: 'ack', result: { cardData: 1 } }))).toEqual({
      response: { cardData: 1 },
    })
    const failed = JSON.parse(ackFor('CALLBACK', 'm', { kind: 'retry' })) as { code: number; data: string }
    expect(failed.code).toBe(500)
    expect(JSON.parse(failed.data)).toEqual({ response: null })
  })

  it('reads the reason of a disconnect, or none', () => {
    expect(disconnectReason('{"reason":"server upgrade"}')).toBe('server upgrade')
    expect(disconnectReason('not json')).toBe('')
    expect(disconnectReason('{"reason":3}')).toBe('')
  })
})
