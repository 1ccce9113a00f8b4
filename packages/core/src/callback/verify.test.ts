import { describe, expect, it } from 'vitest'
import { createCallbackCrypto } from '../crypto/callback-crypto'
import { type CallbackLimits, verifyCallbackRequest } from './verify'

const crypto = createCallbackCrypto({
  token: 'tok',
  aesKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
  receiveId: 'ding1',
})
const limits: CallbackLimits = {
  maxBodyBytes: 4096,
  nonceFormat: /^[A-Za-z0-9]{1,64}$/,
  windowMs: false,
  now: Date.now,
}

async function signed(
  overrides: { body?: string; url?: string; method?: string; contentType?: string } = {},
) {
  const encrypt = await crypto.encrypt('{"EventType":"check_url"}')
  const timestamp = '1700000000000'
  const signature = crypto.sign(timestamp, 'n0nce', encrypt)
  return {
    method: overrides.method ?? 'POST',
    url: overrides.url ?? `/dingtalk/callback?msg_signature=${signature}&timeStamp=${timestamp}&nonce=n0nce`,
    headers: { 'content-type': overrides.contentType ?? 'application/json' },
    body: overrides.body ?? JSON.stringify({ encrypt }),
    encrypt,
  }
}

describe('verifyCallbackRequest', () => {
  it('accepts a signed request and returns the ciphertext and the signed query', async () => {
    const request = await signed()
    const checked = await verifyCallbackRequest(request, crypto, limits)
    expect(checked).toEqual({
      encrypt: request.encrypt,
      query: {
        signature: expect.stringMatching(/^[0-9a-f]{40}$/),
        timestamp: '1700000000000',
        nonce: 'n0nce',
      },
    })
  })

  it('tells the statuses apart: method, media type, repeated keys, size, signature', async () => {
    const status = async (request: Awaited<ReturnType<typeof signed>>) => {
      const checked = await verifyCallbackRequest(request, crypto, limits)
      return 'status' in checked ? checked.status : 200
    }
    const good = await signed()
    expect(await status({ ...good, method: 'GET' })).toBe(405)
    expect(await status({ ...good, headers: { 'content-type': 'text/plain' } })).toBe(415)
    expect(await status({ ...good, body: `{"encrypt":"${good.encrypt}","encrypt":"x"}` })).toBe(400)
    expect(await status({ ...good, body: JSON.stringify({ encrypt: 'A'.repeat(5000) }) })).toBe(413)
    expect(await status({ ...good, url: good.url.replace('nonce=n0nce', 'nonce=other') })).toBe(401)
    expect(await status({ ...good, url: `${good.url}&nonce=again` })).toBe(400)
  })

  it('explains a signature failure only when asked (it costs an exception)', async () => {
    const good = await signed()
    const bad = {
      ...good,
      url: good.url.replace(/msg_signature=[0-9a-f]+/, `msg_signature=${'0'.repeat(40)}`),
    }
    const quiet = await verifyCallbackRequest(bad, crypto, limits)
    const explained = await verifyCallbackRequest(bad, crypto, limits, true)
    expect(quiet).toMatchObject({ status: 401, cause: undefined })
    expect(explained).toMatchObject({
      status: 401,
      cause: expect.objectContaining({ code: 'CRYPTO_SIGNATURE_MISMATCH' }),
    })
  })

  it('a window rejects stale timestamps and demands 13 digits', async () => {
    const good = await signed()
    const windowed = { ...limits, windowMs: 60_000 }
    expect(await verifyCallbackRequest(good, crypto, windowed)).toMatchObject({ status: 401 })
    const recent = { ...windowed, now: () => 1700000000000 + 1000 }
    expect(await verifyCallbackRequest(good, crypto, recent)).not.toHaveProperty('status')
    const seconds = { ...good, url: good.url.replace('timeStamp=1700000000000', 'timeStamp=1700000000') }
    expect(await verifyCallbackRequest(seconds, crypto, recent)).toMatchObject({ status: 400 })
  })
})
