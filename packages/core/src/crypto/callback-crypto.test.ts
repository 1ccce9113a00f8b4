import { createCipheriv, createHash } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type CryptoBackend, createCallbackCrypto, DingTalkCryptoError } from './index'
import { VECTORS } from './vectors.test-data'

const BACKENDS: CryptoBackend[] = ['node', 'web']
const A = VECTORS[0]!

function keyBytes(aesKey: string): Buffer {
  return Buffer.from(`${aesKey}=`, 'base64')
}

/** Encrypts raw bytes (already a multiple of 16) the way DingTalk would, for malformed-plaintext cases. */
function rawEncrypt(aesKey: string, plaintext: Buffer): string {
  const key = keyBytes(aesKey)
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false)
  return Buffer.concat([cipher.update(plaintext), cipher.final()]).toString('base64')
}

function frame(message: Buffer, receiveId: string, options: { length?: number; pad?: Buffer } = {}): Buffer {
  const header = Buffer.alloc(20)
  header.write('1234567890123456', 0, 'latin1')
  header.writeUInt32BE(options.length ?? message.length, 16)
  const body = Buffer.concat([header, message, Buffer.from(receiveId)])
  const padLength = 32 - (body.length % 32)
  return Buffer.concat([body, options.pad ?? Buffer.alloc(padLength, padLength)])
}

async function cryptoError(promise: Promise<unknown> | (() => unknown)): Promise<DingTalkCryptoError> {
  try {
    await (typeof promise === 'function' ? promise() : promise)
  } catch (error) {
    expect(error).toBeInstanceOf(DingTalkCryptoError)
    return error as DingTalkCryptoError
  }
  throw new Error('expected a DingTalkCryptoError, nothing was thrown')
}

describe.each(BACKENDS)('callback crypto, %s backend', (backend) => {
  describe.each(VECTORS)('vector $name', (v) => {
    const crypto = createCallbackCrypto({ token: v.token, aesKey: v.aesKey, receiveId: v.receiveId, backend })

    it('verifies the signature and decrypts to the expected message and random prefix', async () => {
      expect(crypto.backend).toBe(backend)
      expect(crypto.sign(v.timestamp, v.nonce, v.encrypt)).toBe(v.signature)
      const opened = await crypto.open({
        signature: v.signature,
        timestamp: v.timestamp,
        nonce: v.nonce,
        encrypt: v.encrypt,
      })
      expect(opened).toEqual({ message: v.message, receiveId: v.receiveId, random: v.random })
    })

    it('re-encrypts to the exact ciphertext with the recovered random prefix', async () => {
      expect(await crypto.encrypt(v.message, { random: v.random })).toBe(v.encrypt)
      const reply = await crypto.reply(v.message, {
        random: v.random,
        timeStamp: v.timestamp,
        nonce: v.nonce,
      })
      expect(reply).toEqual({
        msg_signature: v.signature,
        timeStamp: v.timestamp,
        nonce: v.nonce,
        encrypt: v.encrypt,
      })
    })
  })

  it('rejects vector A with another nonce (the official negative case)', async () => {
    const crypto = createCallbackCrypto({ token: A.token, aesKey: A.aesKey, receiveId: A.receiveId, backend })
    const params = { signature: A.signature, timestamp: A.timestamp, nonce: 'xxxxx', encrypt: A.encrypt }
    expect(crypto.verify(params)).toBe(false)
    expect((await cryptoError(crypto.open(params))).code).toBe('CRYPTO_SIGNATURE_MISMATCH')
  })

  it('replies with string fields, Base64 without line breaks, that decrypt to success', async () => {
    const crypto = createCallbackCrypto({ token: 't', aesKey: A.aesKey, receiveId: 'dingcorp', backend })
    const reply = await crypto.reply()
    expect(Object.keys(reply)).toEqual(['msg_signature', 'timeStamp', 'nonce', 'encrypt'])
    expect(reply.timeStamp).toMatch(/^\d{13}$/)
    expect(reply.nonce).toMatch(/^[A-Za-z0-9]{16}$/)
    expect(reply.encrypt).toMatch(/^[A-Za-z0-9+/]+={0,2}$/)
    const opened = await crypto.open({
      signature: reply.msg_signature,
      timestamp: reply.timeStamp,
      nonce: reply.nonce,
      encrypt: reply.encrypt,
    })
    expect(opened.message).toBe('success')
    expect(opened.random).toMatch(/^[A-Za-z0-9]{16}$/)
  })

  it('round-trips any UTF-8 message up to 64 KiB', async () => {
    const crypto = createCallbackCrypto({ token: 'tok', aesKey: A.aesKey, receiveId: 'ding123', backend })
    const message = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 16 * 1024 }),
      fc.string({ unit: 'grapheme', maxLength: 2048 }),
      fc.constantFrom('', '张三', 'x'.repeat(64 * 1024), '李'.repeat(21 * 1024)),
    )
    await fc.assert(
      fc.asyncProperty(message, async (m) => {
        const encrypted = await crypto.encrypt(m)
        const decrypted = await crypto.decrypt(encrypted)
        expect(decrypted.message).toBe(m)
        expect(Buffer.from(encrypted, 'base64').length % 32).toBe(0)
      }),
      { numRuns: 120 },
    )
  })

  it('fails verification for any changed character of encrypt, token, timestamp or nonce', () => {
    const crypto = createCallbackCrypto({ token: A.token, aesKey: A.aesKey, receiveId: A.receiveId, backend })
    const base64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
    const base = { signature: A.signature, timestamp: A.timestamp, nonce: A.nonce, encrypt: A.encrypt }
    fc.assert(
      fc.property(fc.nat(A.encrypt.length - 3), fc.nat(63), (index, replacement) => {
        const original = A.encrypt[index]!
        const changed =
          base64[replacement] === original ? base64[(replacement + 1) % 64]! : base64[replacement]!
        const encrypt = A.encrypt.slice(0, index) + changed + A.encrypt.slice(index + 1)
        expect(crypto.verify({ ...base, encrypt })).toBe(false)
      }),
      { numRuns: 300 },
    )
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 20 }),
        fc.constantFrom('token', 'timestamp', 'nonce'),
        (value, field) => {
          if (field === 'token') {
            fc.pre(value !== A.token)
            const other = createCallbackCrypto({
              token: value,
              aesKey: A.aesKey,
              receiveId: A.receiveId,
              backend,
            })
            expect(other.verify(base)).toBe(false)
          } else {
            fc.pre(value !== base[field as 'timestamp' | 'nonce'])
            expect(crypto.verify({ ...base, [field]: value })).toBe(false)
          }
        },
      ),
      { numRuns: 300 },
    )
  })
})

describe('implementations agree byte for byte', () => {
  it('node and web produce identical ciphertext and signatures for the same random prefix', async () => {
    const node = createCallbackCrypto({
      token: 'tk',
      aesKey: A.aesKey,
      receiveId: 'suiteabc',
      backend: 'node',
    })
    const web = createCallbackCrypto({ token: 'tk', aesKey: A.aesKey, receiveId: 'suiteabc', backend: 'web' })
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: 'binary', maxLength: 4096 }),
        fc.string({
          unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)),
          minLength: 16,
          maxLength: 16,
        }),
        async (message, random) => {
          const fromNode = await node.encrypt(message, { random })
          expect(await web.encrypt(message, { random })).toBe(fromNode)
          expect(web.sign('1', '2', fromNode)).toBe(node.sign('1', '2', fromNode))
          expect(await web.decrypt(fromNode)).toEqual(await node.decrypt(fromNode))
        },
      ),
      { numRuns: 150 },
    )
  })

  it('node and web make the same Base64 decision on any input (strict, canonical only)', async () => {
    const node = createCallbackCrypto({ token: 'tk', aesKey: A.aesKey, receiveId: 'ding1', backend: 'node' })
    const web = createCallbackCrypto({ token: 'tk', aesKey: A.aesKey, receiveId: 'ding1', backend: 'web' })
    const valid = await node.encrypt('hello')
    const chars = [...'ABQgz09+/=-_ \n.é', ...valid.slice(0, 8)]
    const outcome = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (e: DingTalkCryptoError) => e.code,
      )
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ unit: fc.constantFrom(...chars), maxLength: 48 }),
          fc
            .tuple(fc.nat(valid.length - 1), fc.constantFrom(...chars))
            .map(([i, c]) => valid.slice(0, i) + c + valid.slice(i + 1)),
        ),
        async (text) => {
          expect(await outcome(node.decrypt(text))).toBe(await outcome(web.decrypt(text)))
        },
      ),
      { numRuns: 3000 },
    )
  })

  it('the node engine keeps producing correct output across interleaved messages (reused cipher contexts)', async () => {
    const node = createCallbackCrypto({ token: 'tk', aesKey: A.aesKey, receiveId: 'ding1', backend: 'node' })
    const web = createCallbackCrypto({ token: 'tk', aesKey: A.aesKey, receiveId: 'ding1', backend: 'web' })
    for (let i = 0; i < 50; i++) {
      const message = `message ${i} ${'é'.repeat(i * 7)}`
      const random = `${i}`.padStart(16, 'r')
      const encrypted = await node.encrypt(message, { random })
      expect(encrypted).toBe(await web.encrypt(message, { random }))
      expect((await node.decrypt(encrypted)).message).toBe(message)
      await expect(node.decrypt('AAAA')).rejects.toBeInstanceOf(DingTalkCryptoError)
    }
  })
})

describe.each(BACKENDS)('hostile input, %s backend', (backend) => {
  const receiveId = 'ding6ccabc44d2c8d38b'
  const token = 'secret-token-value'
  const crypto = createCallbackCrypto({ token, aesKey: A.aesKey, receiveId, backend })
  const seen: DingTalkCryptoError[] = []
  const expectCode = async (
    promise: Promise<unknown> | (() => unknown),
    code: string,
    dingtalkCode: number,
  ) => {
    const error = await cryptoError(promise)
    expect(error.code).toBe(code)
    expect(error.dingtalkCode).toBe(dingtalkCode)
    seen.push(error)
    return error
  }
  const encryptRaw = (buf: Buffer) => rawEncrypt(A.aesKey, buf)

  it('rejects empty, non-string and non-Base64 encrypt', async () => {
    for (const bad of ['', 'not base64!', 'QUJD REVG', 'QUJDREVG\n', 'ab-_ab-_', 'QR==', 'QUJDRA=', '====']) {
      await expectCode(crypto.decrypt(bad), 'CRYPTO_INVALID_CIPHERTEXT', 900008)
    }
    for (const bad of [42, ['a'], { a: 1 }, null, undefined]) {
      await expectCode(crypto.decrypt(bad as unknown as string), 'CRYPTO_INVALID_CIPHERTEXT', 900008)
    }
  })

  it('rejects ciphertext that is not a multiple of 16 or a single block', async () => {
    await expectCode(crypto.decrypt(Buffer.alloc(24).toString('base64')), 'CRYPTO_INVALID_CIPHERTEXT', 900008)
    await expectCode(crypto.decrypt(Buffer.alloc(16).toString('base64')), 'CRYPTO_INVALID_CIPHERTEXT', 900008)
    await expectCode(crypto.decrypt(Buffer.alloc(47).toString('base64')), 'CRYPTO_INVALID_CIPHERTEXT', 900008)
  })

  it('rejects padding bytes of 0, 33, 255 and inconsistent padding', async () => {
    const good = frame(Buffer.from('{"EventType":"check_url"}'), receiveId)
    for (const last of [0, 33, 255]) {
      const bad = Buffer.from(good)
      bad[bad.length - 1] = last
      await expectCode(crypto.decrypt(encryptRaw(bad)), 'CRYPTO_INVALID_PADDING', 900008)
    }
    const inconsistent = Buffer.from(good)
    inconsistent[inconsistent.length - 2] = 7
    await expectCode(crypto.decrypt(encryptRaw(inconsistent)), 'CRYPTO_INVALID_PADDING', 900008)
  })

  it('rejects a length field beyond the buffer, 2^32-1, or a body shorter than the header', async () => {
    const msg = Buffer.from('{"EventType":"check_url"}')
    await expectCode(
      crypto.decrypt(encryptRaw(frame(msg, receiveId, { length: 1000 }))),
      'CRYPTO_INVALID_LENGTH',
      900009,
    )
    await expectCode(
      crypto.decrypt(encryptRaw(frame(msg, receiveId, { length: 0xffffffff }))),
      'CRYPTO_INVALID_LENGTH',
      900009,
    )
    await expectCode(crypto.decrypt(encryptRaw(Buffer.alloc(32, 32))), 'CRYPTO_INVALID_LENGTH', 900009)
    // length that overlaps the receive-id: the receive-id no longer matches (never returned glued on)
    await expectCode(
      crypto.decrypt(encryptRaw(frame(msg, receiveId, { length: msg.length + 4 }))),
      'CRYPTO_RECEIVE_ID_MISMATCH',
      900010,
    )
  })

  it('rejects invalid UTF-8 in the message', async () => {
    await expectCode(
      crypto.decrypt(encryptRaw(frame(Buffer.from([0xc3, 0x28, 0xff]), receiveId))),
      'CRYPTO_INVALID_UTF8',
      900008,
    )
  })

  it('requires an exact receive-id match and says which id the message was encrypted for', async () => {
    for (const other of ['suite4xxxxxxxxxxxxxxx', `${receiveId}x`, receiveId.slice(0, -1), '']) {
      const encrypted = rawEncrypt(A.aesKey, frame(Buffer.from('{}'), other))
      const error = await expectCode(crypto.decrypt(encrypted), 'CRYPTO_RECEIVE_ID_MISMATCH', 900010)
      expect(error.actualReceiveId).toBe(other)
      expect(error.message).toContain(JSON.stringify(other))
      expect(error.message).toContain(JSON.stringify(receiveId))
    }
    const placeholder = await cryptoError(
      crypto.decrypt(rawEncrypt(A.aesKey, frame(Buffer.from('{}'), 'suite4xxxxxxxxxxxxxxx'))),
    )
    expect(placeholder.message).toContain('suite-creation placeholder')
    const accepted = await crypto.decrypt(
      rawEncrypt(A.aesKey, frame(Buffer.from('{}'), 'suite4xxxxxxxxxxxxxxx')),
      {
        receiveIds: ['suite4xxxxxxxxxxxxxxx'],
      },
    )
    expect(accepted.receiveId).toBe('suite4xxxxxxxxxxxxxxx')
  })

  it('rejects a 10 MB encrypt before doing the work', async () => {
    const huge = 'A'.repeat(10 * 1024 * 1024)
    await expectCode(crypto.decrypt(huge), 'CRYPTO_INVALID_CIPHERTEXT', 900008)
    const sig = createHash('sha1').update([token, '1', '2', huge].sort().join('')).digest('hex')
    await expectCode(
      crypto.open({ signature: sig, timestamp: '1', nonce: '2', encrypt: huge }),
      'CRYPTO_INVALID_CIPHERTEXT',
      900008,
    )
  })

  it('rejects keys of 42 or 44 characters, or with non-ASCII characters', async () => {
    for (const aesKey of [
      A.aesKey.slice(0, 42),
      `${A.aesKey}a`,
      `${A.aesKey.slice(0, 42)}é`,
      `${A.aesKey.slice(0, 42)}=`,
    ]) {
      await expectCode(
        () => createCallbackCrypto({ token, aesKey, receiveId, backend }),
        'CRYPTO_INVALID_AES_KEY',
        900004,
      )
    }
  })

  it('rejects missing timestamp, nonce or signature, and malformed signatures', async () => {
    const encrypt = await crypto.encrypt('x')
    const signature = crypto.sign('1700000000000', 'abcdefgh', encrypt)
    const ok = { signature, timestamp: '1700000000000', nonce: 'abcdefgh', encrypt }
    expect(crypto.verify(ok)).toBe(true)
    await expectCode(crypto.open({ ...ok, timestamp: undefined }), 'CRYPTO_MISSING_TIMESTAMP', 900002)
    await expectCode(crypto.open({ ...ok, nonce: '' }), 'CRYPTO_MISSING_NONCE', 900003)
    await expectCode(crypto.open({ ...ok, signature: undefined }), 'CRYPTO_MISSING_SIGNATURE', 900005)
    for (const bad of [
      signature.slice(1),
      `${signature}0`,
      signature.toUpperCase(),
      ['a', 'b'] as unknown as string,
    ]) {
      const code = Array.isArray(bad) ? 'CRYPTO_MISSING_SIGNATURE' : 'CRYPTO_INVALID_SIGNATURE'
      await expectCode(crypto.open({ ...ok, signature: bad }), code, 900005)
      expect(crypto.verify({ ...ok, signature: bad })).toBe(false)
    }
  })

  it('never puts the token or the AES key into an error message', () => {
    expect(seen.length).toBeGreaterThan(20)
    for (const error of seen) {
      expect(error.message).not.toContain(token)
      expect(error.message).not.toContain(A.aesKey)
    }
  })
})
