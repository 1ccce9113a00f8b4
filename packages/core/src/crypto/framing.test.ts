import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { utf8 } from '../encoding'
import { DingTalkCryptoError } from '../errors/crypto'
import { BLOCK, frame, latin1, latin1Bytes, unframe } from './framing'
import { webUtf8 } from './web-engine'

const PREFIX = latin1Bytes('1234567890abcdef')

const read = (plaintext: Uint8Array, receiveId = 'dingcorp', alternatives?: string[]) =>
  unframe(plaintext, receiveId, utf8(receiveId), alternatives, webUtf8)

function codeOf(fn: () => unknown): string {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(DingTalkCryptoError)
    return (error as DingTalkCryptoError).code
  }
  throw new Error('expected a DingTalkCryptoError')
}

describe('§1.3 plaintext framing', () => {
  it('lays out random(16) | big-endian length | message | receive-id | 32-byte PKCS#7 padding', () => {
    const out = frame(PREFIX, utf8('张三'), utf8('dingcorp'))
    expect(latin1(out.subarray(0, 16))).toBe('1234567890abcdef')
    expect([...out.subarray(16, 20)]).toEqual([0, 0, 0, 6])
    expect(new TextDecoder().decode(out.subarray(20, 26))).toBe('张三')
    expect(new TextDecoder().decode(out.subarray(26, 34))).toBe('dingcorp')
    expect(out.length).toBe(64)
    expect([...out.subarray(34)]).toEqual(Array(30).fill(30))
  })

  it('a frame that fills whole blocks gets a full extra block of padding (32 × 0x20)', () => {
    const message = 'x'.repeat(32 - 20 - 4)
    const out = frame(PREFIX, utf8(message), utf8('abcd'))
    expect(out.length).toBe(64)
    expect([...out.subarray(32)]).toEqual(Array(32).fill(32))
  })

  it('reads back any message for the receive-id it was framed for, or an accepted alternative', () => {
    fc.assert(
      fc.property(fc.string(), fc.stringMatching(/^[A-Za-z0-9]{1,40}$/), (message, receiveId) => {
        const out = frame(PREFIX, utf8(message), utf8(receiveId))
        expect(out.length % BLOCK).toBe(0)
        expect(read(out, receiveId)).toEqual({ message, receiveId, random: '1234567890abcdef' })
        expect(read(out, 'other-id', [receiveId]).receiveId).toBe(receiveId)
      }),
    )
  })

  it('rejects bad padding, a length past the end, another receive-id and invalid UTF-8', () => {
    const good = frame(PREFIX, utf8('{"a":1}'), utf8('dingcorp'))
    const last = good.length - 1
    const withByte = (index: number, value: number) => {
      const copy = good.slice()
      copy[index] = value
      return copy
    }
    expect(codeOf(() => read(withByte(last, 0)))).toBe('CRYPTO_INVALID_PADDING')
    expect(codeOf(() => read(withByte(last, 33)))).toBe('CRYPTO_INVALID_PADDING')
    expect(codeOf(() => read(withByte(last - 1, 1)))).toBe('CRYPTO_INVALID_PADDING')
    expect(codeOf(() => read(withByte(19, 200)))).toBe('CRYPTO_INVALID_LENGTH')
    expect(codeOf(() => read(good, 'dingother'))).toBe('CRYPTO_RECEIVE_ID_MISMATCH')
    const broken = frame(PREFIX, new Uint8Array([0xff, 0xfe]), utf8('dingcorp'))
    expect(codeOf(() => read(broken))).toBe('CRYPTO_INVALID_UTF8')
  })

  it('the random prefix must be 16 latin1 characters', () => {
    expect(codeOf(() => latin1Bytes('short'))).toBe('CRYPTO_INVALID_PLAINTEXT')
    expect(codeOf(() => latin1Bytes('张'.repeat(16)))).toBe('CRYPTO_INVALID_PLAINTEXT')
    expect(codeOf(() => frame(new Uint8Array(15), utf8('x'), utf8('y')))).toBe('CRYPTO_INVALID_PLAINTEXT')
  })
})
