import { createCipheriv } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { decryptMessage, encryptMessage, generateAesKey, randomAlphanumeric, signature } from './crypto'

// §1.8 of the protocol reference.
const vectors = {
  A: {
    token: '123456',
    aesKey: '4g5j64qlyl3zvetqxz5jiocdr586fn2zvjpa8zls3ij',
    receiveId: 'suite4xxxxxxxxxxxxxxx',
    signature: '5a65ceeef9aab2d149439f82dc191dd6c5cbe2c0',
    timestamp: '1445827045067',
    nonce: 'nEXhMP4r',
    encrypt:
      '1a3NBxmCFwkCJvfoQ7WhJHB+iX3qHPsc9JbaDznE1i03peOk1LaOQoRz3+nlyGNhwmwJ3vDMG+OzrHMeiZI7gTRWVdUBmfxjZ8Ej23JVYa9VrYeJ5as7XM/ZpulX8NEQis44w53h1qAgnC3PRzM7Zc/D6Ibr0rgUathB6zRHP8PYrfgnNOS9PhSBdHlegK+AGGanfwjXuQ9+0pZcy0w9lQ==',
    message:
      '{"EventType":"check_create_suite_url","Random":"LPIdSnlF","TestSuiteKey":"suite4xxxxxxxxxxxxxxx"}',
    random: 'hU3bEfGZZewzhG5a',
  },
  B: {
    token: 'tokenxxxx',
    aesKey: 'o1w0aum42yaptlz8alnhwikjd3jenzt9cb9wmzptgus',
    receiveId: 'dingxxxxxx',
    signature: 'f36f4ba5337d426c7d4bca0dbcb06b3ddc1388fc',
    timestamp: '1605695694141',
    nonce: 'WelUQl6bCqcBa2fM',
    encrypt: 'X1VSe9cTJUMZu60d3kyLYTrBq5578ZRJtteU94wG0Q4Uk6E/wQYeJRIC0/UFW5Wkya1Ihz9oXAdLlyC9TRaqsQ==',
    message: 'success',
    random: 'WelUQl6bCqcBa2fM',
  },
  C: {
    token: 'mryue',
    aesKey: 'Yue0EfdN5900c1ce5cf6A152c63DDe1808a60c5ecd7',
    receiveId: 'ding6ccabc44d2c8d38b',
    signature: '03044561471240d4a14bb09372dfcfd4fd0e40cb',
    timestamp: '1608001896814',
    nonce: 'WL4PK6yA',
    encrypt:
      '0vJiX6vliEpwG3U45CtXqi+m8PXbQRARJ8p8BbDuD1EMTDf0jKpQ79QS93qEk7XHpP6u+oTTrd15NRPvNvmBKyDCYxxOK+HZeKju4yhELOFchzNukR+t8SB/qk4ROMu3',
    message: '{"EventType":"check_url"}',
    random: 'l7Y3EcX2CU5w8av3',
  },
  D: {
    token: '123456',
    aesKey: '4g5j64qlyl3zvetqxz5jiocdr586fn2zvjpa8zls3ij',
    receiveId: 'suite4xxxxxxxxxxxxxxx',
    signature: 'bcf6dcefa4ce2dbaf7b0666c7264d46fd9aad4bd',
    timestamp: '1445827045067',
    nonce: 'nEXhMP4r',
    encrypt:
      '5DJFWzjRNOQk+5GSZxW+VrFMDWCIidPjEjg3//gm5x556BedVi62rDj1F9uXU97a4jw1R4FACUv9RCpoDobNqxhxRB2YtW901k4KHbP1/wpFJ3xdLG0n0A8U1VhENg80zKJd+YROR0YMGum4WYuoXJ6J98vt0ihYeIFoapNddLML5MyNAGM9saSpkouDMSvD+iU14i7V8ix1ia1Tb9ogog==',
    message:
      '{"EventType":"check_create_suite_url","Random":"LPIdSnlF","TestSuiteKey":"suite4xxxxxxxxxxxxxxx"}',
    random: '1234567890123456',
  },
  E1: {
    token: '123456',
    aesKey: '4g5j64qlyl3zvetqxz5jiocdr586fn2zvjpa8zls3ij',
    receiveId: 'suite4xxxxxxxxxxxxxxx',
    signature: '73813ea128535f7945c17f81069c6b8045361375',
    timestamp: '1445827045067',
    nonce: 'nEXhMP4r',
    encrypt: '5DJFWzjRNOQk+5GSZxW+VpU/+Yf0KeplvXZ8LNdyQj5iN6tX2KSwwhy5oymzMpsFAiG4RS3L0/vY7TX4ZwLTFA==',
    message: 'success',
    random: '1234567890123456',
  },
}

const keyA = vectors.A.aesKey

/** Encrypts raw plaintext bytes with vector A's key, bypassing encryptMessage's layout and padding. */
function rawEncrypt(plain: Buffer): string {
  const key = Buffer.from(`${keyA}=`, 'base64')
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16))
  cipher.setAutoPadding(false)
  return Buffer.concat([cipher.update(plain), cipher.final()]).toString('base64')
}

function layout(message: Buffer, lengthField: number, receiveId: string, padTo = 32): Buffer {
  const length = Buffer.alloc(4)
  length.writeUInt32BE(lengthField)
  const body = Buffer.concat([Buffer.from('1234567890123456'), length, message, Buffer.from(receiveId)])
  const pad = padTo - (body.length % padTo)
  return Buffer.concat([body, Buffer.alloc(pad, pad)])
}

describe('official vectors (§1.8)', () => {
  for (const [name, v] of Object.entries(vectors)) {
    describe(name, () => {
      it('has the published signature', () => {
        expect(
          signature({ token: v.token, timestamp: v.timestamp, nonce: v.nonce, encrypt: v.encrypt }),
        ).toBe(v.signature)
      })

      it('decrypts to the published message, receive-id and random prefix', () => {
        expect(decryptMessage({ aesKey: v.aesKey, encrypt: v.encrypt })).toEqual({
          message: v.message,
          receiveId: v.receiveId,
          random: v.random,
        })
      })

      it('re-encrypts with the recovered random prefix to the exact ciphertext', () => {
        const { random } = decryptMessage({ aesKey: v.aesKey, encrypt: v.encrypt })
        expect(encryptMessage({ aesKey: v.aesKey, receiveId: v.receiveId, message: v.message, random })).toBe(
          v.encrypt,
        )
      })
    })
  }

  it('rejects vector A with a changed nonce (negative of E)', () => {
    const v = vectors.A
    expect(
      signature({ token: v.token, timestamp: v.timestamp, nonce: 'xxxxx', encrypt: v.encrypt }),
    ).not.toBe(v.signature)
  })

  it('vector A pads its 138-byte body with 22 bytes of 0x16 (32-byte blocks)', () => {
    expect(Buffer.from(vectors.A.encrypt, 'base64')).toHaveLength(160)
  })
})

describe('generateAesKey', () => {
  it('makes 43 alphanumeric characters that round-trip a message', () => {
    const keys = new Set(Array.from({ length: 20 }, generateAesKey))
    expect(keys.size).toBe(20)
    for (const aesKey of keys) {
      expect(aesKey).toMatch(/^[A-Za-z0-9]{43}$/)
      const encrypt = encryptMessage({ aesKey, receiveId: 'dingcorp', message: '你好, 钉钉' })
      expect(decryptMessage({ aesKey, encrypt })).toMatchObject({
        message: '你好, 钉钉',
        receiveId: 'dingcorp',
      })
    }
  })
})

describe('encryptMessage', () => {
  it('uses a fresh random prefix each time and never emits line breaks', () => {
    const message = 'x'.repeat(500)
    const a = encryptMessage({ aesKey: keyA, receiveId: 'r', message })
    const b = encryptMessage({ aesKey: keyA, receiveId: 'r', message })
    expect(a).not.toBe(b)
    expect(a).not.toMatch(/\s/)
    expect(decryptMessage({ aesKey: keyA, encrypt: a }).random).toMatch(/^[A-Za-z0-9]{16}$/)
  })

  it('adds a full 32-byte block when the body is already aligned', () => {
    // 16 + 4 + 7 ("success") + 5 = 32 bytes of body.
    const encrypt = encryptMessage({ aesKey: keyA, receiveId: 'abcde', message: 'success' })
    expect(Buffer.from(encrypt, 'base64')).toHaveLength(64)
  })

  it('counts the message length in UTF-8 bytes', () => {
    const encrypt = encryptMessage({
      aesKey: keyA,
      receiveId: 'r',
      message: '钉',
      random: '1234567890123456',
    })
    expect(encrypt).toBe(rawEncrypt(layout(Buffer.from('钉'), 3, 'r')))
  })

  it('rejects a bad key or random prefix without echoing the key', () => {
    const badKey = 'short-secret-key'
    expect(() => encryptMessage({ aesKey: badKey, receiveId: 'r', message: 'm' })).toThrow(/43 characters/)
    try {
      encryptMessage({ aesKey: badKey, receiveId: 'r', message: 'm' })
    } catch (error) {
      expect((error as Error).message).not.toContain(badKey)
    }
    expect(() => encryptMessage({ aesKey: `${keyA.slice(0, 42)}+`, receiveId: 'r', message: 'm' })).toThrow()
    expect(() => encryptMessage({ aesKey: keyA, receiveId: 'r', message: 'm', random: 'short' })).toThrow(
      /16 characters/,
    )
  })
})

describe('decryptMessage rejects malformed ciphertext with a clear reason', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['empty', '', /non-empty/],
    ['URL-safe alphabet', vectors.A.encrypt.replace(/\+/g, '-'), /Base64/],
    ['a line break', `${vectors.A.encrypt.slice(0, 40)}\n${vectors.A.encrypt.slice(40)}`, /Base64/],
    ['truncated Base64', vectors.A.encrypt.slice(0, -3), /Base64/],
    ['a length that is not a multiple of 16', Buffer.alloc(20).toString('base64'), /multiple of 16/],
    ['a single 16-byte block', vectors.A.encrypt.slice(0, 22).padEnd(24, '='), /./],
    ['padding byte 0', rawEncrypt(Buffer.concat([Buffer.alloc(31, 1), Buffer.from([0])])), /padding byte 0/],
    [
      'padding byte 33',
      rawEncrypt(Buffer.concat([Buffer.alloc(31, 1), Buffer.from([33])])),
      /padding byte 33/,
    ],
    [
      'inconsistent padding bytes',
      rawEncrypt(Buffer.concat([Buffer.alloc(60, 1), Buffer.from([3, 4, 4, 4])])),
      /inconsistent padding/,
    ],
    [
      'a length field beyond the buffer',
      rawEncrypt(layout(Buffer.from('success'), 0xffffffff, 'r')),
      /exceeds/,
    ],
    [
      'a too short plaintext',
      rawEncrypt(Buffer.concat([Buffer.alloc(10, 1), Buffer.alloc(22, 22)])),
      /too short/,
    ],
    ['invalid UTF-8', rawEncrypt(layout(Buffer.from([0xff, 0xfe]), 2, 'r')), /UTF-8/],
  ]
  for (const [name, encrypt, reason] of cases) {
    it(name, () => {
      expect(() => decryptMessage({ aesKey: keyA, encrypt })).toThrow(reason)
    })
  }

  it('fails on the wrong key instead of returning garbage', () => {
    expect(() => decryptMessage({ aesKey: vectors.C.aesKey, encrypt: vectors.A.encrypt })).toThrow(Error)
  })

  it('returns the receive-id for the caller to compare, including an empty one', () => {
    const encrypt = encryptMessage({ aesKey: keyA, receiveId: '', message: 'success' })
    expect(decryptMessage({ aesKey: keyA, encrypt })).toMatchObject({ message: 'success', receiveId: '' })
  })
})

describe('randomAlphanumeric', () => {
  it('produces the requested length', () => {
    expect(randomAlphanumeric(8)).toMatch(/^[A-Za-z0-9]{8}$/)
  })
})
