import type { DingTalkRequest, DingTalkResponse, QueryValue } from '../http/request'
import type { Store } from '../store/store'

/** The request function of a client: one pipeline with token injection, envelopes, replay and retries. */
export type RequestFn = <T = DingTalkResponse>(req: DingTalkRequest) => Promise<T>

/** What every API group gets from its client. */
export interface ApiContext {
  request: RequestFn
  store: Store
  /** Who owns this client's tokens in store keys (appKey, corpId or suiteKey). */
  owner: string
  corpId: string | undefined
  /** The micro-app's agentId, when configured or learnt (ISV: from `service/get_auth_info`). */
  agentId(): Promise<string | number | undefined>
  getJsapiTicket(): Promise<string>
  /** Adds a value the redactor removes from every error message and hook event. */
  remember(value: string): void
  /** The admin-console SSO secret (§5.2), when configured. */
  ssoSecret: string | undefined
}

/**
 * An API group's kinds of call, each answering the envelope: a JSON POST that changes something (never sent
 * twice after a transport failure), a JSON POST that only reads (DingTalk serves many reads over POST, e.g.
 * `topapi/v2/user/get`: repeated like a GET after a 5xx or a broken body), a GET that reads, and a GET that
 * changes something (the legacy deletes: not repeated, a second delete would fail).
 */
export interface EnvelopeCalls {
  post(path: string, json: unknown): Promise<DingTalkResponse>
  read(path: string, json: unknown): Promise<DingTalkResponse>
  get(path: string, query: Record<string, QueryValue>): Promise<DingTalkResponse>
  change(path: string, query: Record<string, QueryValue>): Promise<DingTalkResponse>
}

export function envelopeCalls(ctx: ApiContext): EnvelopeCalls {
  return {
    post: (path, json) => ctx.request<DingTalkResponse>({ path, json }),
    read: (path, json) => ctx.request<DingTalkResponse>({ path, json, idempotent: true }),
    get: (path, query) => ctx.request<DingTalkResponse>({ path, query }),
    change: (path, query) => ctx.request<DingTalkResponse>({ path, query, idempotent: false }),
  }
}

/** Drops `undefined` entries so optional fields never reach the wire. */
export function compact<T extends Record<string, unknown>>(input: T): Partial<T> {
  const out: Partial<T> = {}
  for (const key of Object.keys(input) as (keyof T)[]) {
    if (input[key] !== undefined) out[key] = input[key]
  }
  return out
}

/** Pages a cursor/offset API until `hasMore` is false. */
export async function* paginate<T, C>(
  first: C,
  fetchPage: (cursor: C) => Promise<{ items: T[]; hasMore: boolean; next: C | undefined }>,
): AsyncGenerator<T, void, undefined> {
  let cursor: C | undefined = first
  while (cursor !== undefined) {
    const page = await fetchPage(cursor)
    for (const item of page.items) yield item
    if (!page.hasMore || page.next === undefined || page.next === cursor) return
    cursor = page.next
  }
}

export const asString = (value: unknown): string =>
  typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value)

export const asNumber = (value: unknown): number | undefined => {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined
}

export const asBool = (value: unknown): boolean => value === true || value === 'true' || value === 1

export const asArray = <T = unknown>(value: unknown): T[] => (Array.isArray(value) ? (value as T[]) : [])

export const asRecord = (value: unknown): Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {}
