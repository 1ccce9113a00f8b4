import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DingTalkCryptoError } from '../errors/crypto'
import { hashes } from '../hash/index'
import { sign, verify } from './index'
import { checkSignature, signature } from './signature'
import { VECTORS } from './vectors.test-data'

const reference = (values: string[]): string =>
  createHash('sha1')
    .update([...values].sort().join(''))
    .digest('hex')

describe('§1.5 callback signature', () => {
  it('is the SHA-1 of the four values sorted and joined, whatever their order, on both hash implementations', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: 'grapheme-ascii' }), { minLength: 4, maxLength: 4 }),
        (values) => {
          const [a, b, c, d] = values as [string, string, string, string]
          const expected = reference(values)
          for (const hash of [hashes('node'), hashes('portable')]) {
            expect(signature(hash, a, b, c, d)).toBe(expected)
            expect(signature(hash, d, c, b, a)).toBe(expected)
          }
        },
      ),
    )
  })

  it('the one-shot sign and verify match the official vectors', () => {
    for (const v of VECTORS) {
      expect(sign({ token: v.token, timestamp: v.timestamp, nonce: v.nonce, encrypt: v.encrypt })).toBe(
        v.signature,
      )
      expect(verify({ ...v, signature: v.signature })).toBe(true)
      expect(verify({ ...v, signature: v.signature.replace(/.$/, (c) => (c === '0' ? '1' : '0')) })).toBe(
        false,
      )
    }
    expect(() => sign({ token: '', timestamp: '1', nonce: '2', encrypt: '3' })).toThrow(DingTalkCryptoError)
    expect(verify({ token: '', signature: 'a'.repeat(40), timestamp: '1', nonce: '2', encrypt: '3' })).toBe(
      false,
    )
  })

  it('says what is wrong with the parameters before comparing, and checks the size before hashing', () => {
    const hash = hashes()
    const good = { timestamp: '1', nonce: '2', encrypt: 'abc' }
    const signed = { ...good, signature: signature(hash, 't', '1', '2', 'abc') }
    const codeOf = (params: Parameters<typeof checkSignature>[0], max = 100): string => {
      try {
        checkSignature(params, hash, 't', max)
        return 'OK'
      } catch (error) {
        return (error as DingTalkCryptoError).code
      }
    }
    expect(codeOf(signed)).toBe('OK')
    expect(codeOf({ ...signed, signature: undefined })).toBe('CRYPTO_MISSING_SIGNATURE')
    expect(codeOf({ ...signed, timestamp: '' })).toBe('CRYPTO_MISSING_TIMESTAMP')
    expect(codeOf({ ...signed, nonce: undefined })).toBe('CRYPTO_MISSING_NONCE')
    expect(codeOf({ ...signed, encrypt: '' })).toBe('CRYPTO_INVALID_CIPHERTEXT')
    expect(codeOf({ ...signed, signature: signed.signature.toUpperCase() })).toBe('CRYPTO_INVALID_SIGNATURE')
    expect(codeOf(signed, 2)).toBe('CRYPTO_INVALID_CIPHERTEXT')
    expect(codeOf({ ...signed, nonce: '3' })).toBe('CRYPTO_SIGNATURE_MISMATCH')
  })
})
