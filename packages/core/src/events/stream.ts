import { eventFieldsOf, typeOwnEvent } from './parse'
import type { ParsedEvent } from './types'

/**
 * The headers of a Stream `EVENT` frame (§13.2). Every value is a string on the wire; other headers
 * (`topic`, `messageId`, `time`, …) may be present and are ignored here.
 *
 * @example
 * ```ts
 * const headers: StreamEventHeaders = { eventType: 'user_add_org', eventId: 'e1', eventCorpId: 'ding1' }
 * ```
 */
export interface StreamEventHeaders {
  eventType?: string
  eventId?: string
  eventCorpId?: string
  eventBornTime?: string
  eventUnifiedAppId?: string
  readonly [header: string]: unknown
}

type Renames = ReadonlyMap<string, string>

const renameCache = new Map<string, Renames>()

function lowerFirst(name: string): string {
  return name.length === 0 ? name : name[0]!.toLowerCase() + name.slice(1)
}

// camelCase key → the field name the HTTP callback uses, for the fields whose two spellings differ and
// whose camelCase spelling is not itself a field of the type (label_user_change has both `UserIdList`
// and `userIdList`: the camelCase one stays as it is).
function renamesOf(eventType: string): Renames {
  const cached = renameCache.get(eventType)
  if (cached) return cached
  // Unknown types get the common fields' renames (cached under check_url, so odd types cannot grow the cache).
  const fields = eventFieldsOf(eventType)
  if (fields === undefined) return renamesOf('check_url')
  const names = new Set(fields.map(([name]) => name))
  const map = new Map<string, string>()
  for (const name of names) {
    const camel = lowerFirst(name)
    if (camel !== name && !names.has(camel)) map.set(camel, name)
  }
  renameCache.set(eventType, map)
  return map
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

function unknown(raw: unknown, rawEventType: string | undefined, reason: string): ParsedEvent {
  return { event: { EventType: 'unknown', rawEventType, raw, reason }, raw }
}

/**
 * Turns a Stream-mode `EVENT` frame (§13.2) into the same typed event an HTTP callback of that type
 * gives. Stream data is camelCase (`userId`, `deptId`, `timeStamp`) where the callback plaintext is
 * PascalCase (`UserId`, `DeptId`, `TimeStamp`): each key is mapped onto the field the event's schema
 * declares; `EventType` comes from `headers.eventType`, `CorpId` from `headers.eventCorpId` and `eventId`
 * from `headers.eventId` when the data does not carry them. Fields the schema does not know are kept as
 * they arrived. Never throws: data that is not a JSON object, or does not fit the schema, becomes an
 * `unknown` event.
 *
 * @example
 * ```ts
 * const { event } = parseStreamEvent(
 *   { eventType: 'user_add_org', eventId: 'e1', eventCorpId: 'ding1' },
 *   '{"userId":["u1"],"timeStamp":1700000000000}',
 * )
 * if (event.EventType === 'user_add_org') console.log(event.CorpId, event.UserId) // 'ding1' ['u1']
 * ```
 */
export function parseStreamEvent(headers: StreamEventHeaders, data: unknown): ParsedEvent {
  let payload: unknown = data
  const headerType = typeof headers?.eventType === 'string' ? headers.eventType : undefined
  if (typeof data === 'string') {
    try {
      payload = JSON.parse(data)
    } catch {
      return unknown(data, headerType, 'data is not JSON')
    }
  }
  if (!isObject(payload)) return unknown(payload, headerType, 'data is not a JSON object')
  const rawType =
    headerType ??
    (typeof payload.eventType === 'string'
      ? payload.eventType
      : typeof payload.EventType === 'string'
        ? payload.EventType
        : undefined)
  if (rawType === undefined) return unknown(payload, undefined, 'no eventType header')
  const renames = renamesOf(rawType.trim())
  const event: Record<string, unknown> = {}
  // for…in, not Object.entries: no pair arrays per event. What JSON.parse gives has no inherited keys; an
  // object handed in is read by its own keys only.
  const parsedHere = typeof data === 'string'
  for (const key in payload) {
    if (key === 'eventType' || key === 'EventType') continue
    if (!parsedHere && !Object.hasOwn(payload, key)) continue
    const name = renames.get(key) ?? key
    // A payload that spells a field both ways keeps the schema's own spelling.
    if (name !== key && Object.hasOwn(payload, name)) continue
    event[name] = payload[key]
  }
  event.EventType = rawType
  if (event.CorpId === undefined && typeof headers.eventCorpId === 'string' && headers.eventCorpId) {
    event.CorpId = headers.eventCorpId
  }
  if (event.eventId === undefined && typeof headers.eventId === 'string' && headers.eventId) {
    event.eventId = headers.eventId
  }
  const typed = typeOwnEvent(event)
  if (typed.EventType === 'unknown') return unknown(payload, rawType, typed.reason)
  return { event: typed, raw: payload }
}
