import { buildPush, checkReply } from '@dingtalk-kit/emulator'
import { expect, it } from 'vitest'
import { BASE_EVENT, type CallbackSecrets, type HostileGroup, hostileCorpus } from './hostile'
import { chunkedPost, post, rawHttp } from './http'

/**
 * What {@link hostileCorpusTests} sends the corpus to, and how it observes the endpoint's handlers.
 *
 * @example
 * ```ts
 * const target: HostileTarget = { url: `${app.url}/dingtalk/callback`, secrets, handled: () => seen.length, errors: () => codes }
 * ```
 */
export interface HostileTarget {
  /** The callback route's absolute URL, without a query. */
  url: string
  secrets: CallbackSecrets
  /** How many events the endpoint's handlers have run so far. */
  handled(): number | Promise<number>
  /** The `onError` codes reported so far (checked when given). */
  errors?(): readonly string[] | Promise<readonly string[]>
}

/**
 * Declares one vitest test per corpus group (callback-security R6 items 1–11) against a callback endpoint
 * served over real HTTP: every rejection is a 4xx (verification failures one opaque 401), never a 500,
 * never reaches the handlers; re-pushes are acknowledged once; oversized bodies get 413 while reading.
 *
 * @example
 * ```ts
 * describe('my adapter', () => {
 *   let target: HostileTarget
 *   beforeAll(async () => { target = await startMyApp() })
 *   hostileCorpusTests(() => target)
 * })
 * ```
 */
export function hostileCorpusTests(target: () => HostileTarget): void {
  let opaqueBody: string | undefined
  const groups = (): HostileGroup[] => hostileCorpus(target().secrets)
  const titles = hostileCorpus({ token: 't', aesKey: 'a'.repeat(43), receiveId: 'r' }).map((g) => g.title)

  titles.forEach((title, index) => {
    it(title, async () => {
      const t = target()
      const group = groups()[index]!
      for (const c of group.cases) {
        const handledBefore = await t.handled()
        const errorsBefore = (await t.errors?.())?.length ?? 0
        const url = c.query === '' ? t.url : `${t.url}?${c.query}`
        const response = await post(url, c.body, { method: c.method, headers: c.headers })
        expect(response.status, c.name).toBe(c.status)
        if (c.opaque) {
          opaqueBody ??= response.body
          expect(response.body, c.name).toBe(opaqueBody)
          expect(response.body, c.name).toBe('{"error":"unauthorized"}')
        }
        if (c.acked) {
          const verdict = checkReply({ status: response.status, body: response.body, ...t.secrets })
          expect(verdict.ok, `${c.name}: ${'reason' in verdict ? verdict.reason : ''}`).toBe(true)
        }
        const runs = c.handled ?? (c.status === 200 ? undefined : 0)
        if (runs !== undefined) {
          expect((await t.handled()) - handledBefore, `${c.name}: handler runs`).toBe(runs)
        }
        if (c.reported && t.errors) {
          expect((await t.errors()).slice(errorsBefore), c.name).toContain(c.reported)
        }
      }
    })
  })

  it('answers 413 for oversized bodies while reading, whatever the headers say (R6.11)', async () => {
    const t = target()
    const push = buildPush({
      url: 'http://127.0.0.1/x',
      token: t.secrets.token,
      aesKey: t.secrets.aesKey,
      receiveId: t.secrets.receiveId,
      event: { ...BASE_EVENT, CorpId: t.secrets.receiveId, eventId: 'oversized' },
    })
    const target_ = new URL(t.url)
    const port = Number(target_.port)
    const path = `${target_.pathname}?${new URLSearchParams(push.query)}`
    const before = await t.handled()
    const declared = await rawHttp(
      port,
      `POST ${path} HTTP/1.1\nHost: x\nContent-Type: application/json\nContent-Length: 10485760\nConnection: close\n\n`,
      '{"encrypt":"',
    )
    expect(declared.status).toBe(413)
    // 0: the server cut the connection mid-body and the reset swallowed its 413 (seen on Bun); still refused.
    expect([413, 0]).toContain(
      await chunkedPost(`${t.url}?${new URLSearchParams(push.query)}`, 10 * 1024 * 1024),
    )
    // Content-Length and Transfer-Encoding together: RFC 9112 §6.3 lets a server reject the request (Node
    // does: 400) or frame it by Transfer-Encoding alone (workerd does: then this genuine push is handled).
    const conflicting = await rawHttp(
      port,
      `POST ${path} HTTP/1.1\nHost: x\nContent-Type: application/json\nContent-Length: 5\nTransfer-Encoding: chunked\nConnection: close\n\n`,
      `${push.body.length.toString(16)}\r\n${push.body}\r\n0\r\n\r\n`,
    )
    expect([400, 200]).toContain(conflicting.status)
    const framedByTe = conflicting.status === 200 ? 1 : 0
    if (framedByTe) expect(checkReply({ status: 200, body: conflicting.body, ...t.secrets }).ok).toBe(true)
    const lying = await rawHttp(
      port,
      `POST ${path} HTTP/1.1\nHost: x\nContent-Type: application/json\nContent-Length: 10\nConnection: close\n\n`,
      push.body,
    )
    expect(lying.status).toBe(400)
    expect((await t.handled()) - before).toBe(framedByTe)
  })
}
