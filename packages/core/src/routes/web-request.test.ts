import { describe, expect, it } from 'vitest'
import { lazyWaitUntil, webRequestBody } from './web-request'

const post = (body: BodyInit, headers: Record<string, string> = {}): Request =>
  new Request('https://app.example.com/dingtalk/callback', { method: 'POST', body, headers })

describe('webRequestBody', () => {
  it('reads a small body with a Content-Length whole, as bytes', async () => {
    const body = await webRequestBody(
      post('{"encrypt":"x"}', { 'content-length': '15' }),
      async () => 'cached',
    )
    expect(body).toBeInstanceOf(Uint8Array)
    expect(new TextDecoder().decode(body as Uint8Array)).toBe('{"encrypt":"x"}')
  })

  it('hands a large or undeclared body over as the stream, for the routes to read within their limits', async () => {
    const big = post('x'.repeat(70 * 1024), { 'content-length': String(70 * 1024) })
    expect(await webRequestBody(big, async () => 'cached')).toBeInstanceOf(ReadableStream)
    expect(await webRequestBody(post('{}'), async () => 'cached')).toBeInstanceOf(ReadableStream)
  })

  it('takes what earlier middleware kept when the body was already consumed', async () => {
    const request = post('{"a":1}', { 'content-length': '7' })
    await request.text()
    expect(await webRequestBody(request, async () => '{"a":1}')).toBe('{"a":1}')
  })
})

describe('lazyWaitUntil', () => {
  it("passes the host's waitUntil on, and stops asking a host without one after the first request", async () => {
    const kept: Promise<unknown>[] = []
    const withCtx = lazyWaitUntil((host: { waitUntil(p: Promise<unknown>): void }) => host)
    const context = withCtx({ waitUntil: (p) => kept.push(p) })
    context?.waitUntil?.(Promise.resolve(1))
    expect(kept).toHaveLength(1)

    let lookups = 0
    const without = lazyWaitUntil((): { waitUntil(p: Promise<unknown>): void } => {
      lookups++
      throw new Error('This context has no ExecutionContext')
    })
    expect(without({})).toBeUndefined()
    expect(without({})).toBeUndefined()
    expect(lookups).toBe(1)
  })
})
