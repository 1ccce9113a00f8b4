import { createHash } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { cli, startApp, VECTOR_A } from './helpers'

const A = VECTOR_A
const creds = ['--token', A.token, '--aes-key', A.aesKey]
const body = JSON.stringify({ encrypt: A.encrypt })
// Vector B of §1.8: another corp's key, token and receive-id.
const B = {
  token: 'tokenxxxx',
  aesKey: 'o1w0aum42yaptlz8alnhwikjd3jenzt9cb9wmzptgus',
  receiveId: 'dingxxxxxx',
}
const sha1 = (s: string): string => createHash('sha1').update(s).digest('hex')

describe('decrypt', () => {
  it('decrypts the official vector, checks its signature and prints the plaintext on stdout', async () => {
    const r = await cli([
      'decrypt',
      '--query',
      A.query,
      '--body',
      body,
      ...creds,
      '--receive-id',
      A.receiveId,
    ])
    expect(r.code).toBe(0)
    expect(r.stdout).toBe(`${A.message}\n`)
    expect(r.stderr).toContain('signature valid')
    expect(r.stderr).toContain('as expected')
  })

  it('shows which receive-id the message carries when none is given', async () => {
    const r = await cli(['decrypt', '--encrypt', A.encrypt, '--aes-key', A.aesKey])
    expect(r.code).toBe(0)
    expect(r.stderr).toContain('receive-id "suite4xxxxxxxxxxxxxxx": the suite-creation placeholder')
    expect(r.stderr).toContain('signature not checked')
  })

  it('names the receive-id the message was encrypted for when another one is expected', async () => {
    const r = await cli([
      'decrypt',
      '--query',
      A.query,
      '--body',
      body,
      ...creds,
      '--receive-id',
      'dingabc123',
    ])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('encrypted for receive-id "suite4xxxxxxxxxxxxxxx"')
    expect(r.stderr).toContain('expects "dingabc123"')
    expect(r.stderr).toContain('900010')
  })

  it('explains a wrong EncodingAESKey as a padding error', async () => {
    const r = await cli(['decrypt', '--body', body, '--aes-key', B.aesKey])
    expect(r.code).toBe(1)
    expect(r.stdout).toBe('')
    expect(r.stderr).toContain('CRYPTO_INVALID_PADDING')
    expect(r.stderr).toContain(
      'likely cause: the EncodingAESKey is not the one this message was encrypted with',
    )
    expect(r.stderr).not.toContain(B.aesKey)
  })

  it('rejects a key of the wrong length with what to fix', async () => {
    const r = await cli(['decrypt', '--body', body, '--aes-key', 'tooshortkey'])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('exactly 43 characters')
  })

  it('reports a signature made with another token and still shows the plaintext', async () => {
    const r = await cli([
      'decrypt',
      '--query',
      A.query,
      '--body',
      body,
      '--token',
      'not-the-token',
      '--aes-key',
      A.aesKey,
    ])
    expect(r.code).toBe(1)
    expect(r.stdout).toBe(`${A.message}\n`)
    expect(r.stderr).toContain('signature does not match')
    expect(r.stderr).toContain('callback token differs')
  })

  it('spots "+" turned into spaces on the way', async () => {
    const mangled = JSON.stringify({ encrypt: A.encrypt.replaceAll('+', ' ') })
    const r = await cli(['decrypt', '--query', A.query, '--body', mangled, ...creds])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('"+" characters turned into spaces')
    expect(r.stderr).toContain('CRYPTO_INVALID_CIPHERTEXT')
  })

  it('reads a raw HTTP request captured by a real receiver, from a file and from stdin', async () => {
    const app = await startApp(B)
    const dir = await mkdtemp(join(tmpdir(), 'dingtalk-kit-cli-'))
    try {
      const pushed = await cli([
        'trigger',
        'user_add_org',
        '--url',
        app.url,
        '--token',
        B.token,
        '--aes-key',
        B.aesKey,
        '--receive-id',
        B.receiveId,
      ])
      expect(pushed.code).toBe(0)
      const raw = app.raw[0]!
      const file = join(dir, 'callback.http')
      await writeFile(file, raw)
      const args = ['--token', B.token, '--aes-key', B.aesKey, '--receive-id', B.receiveId]
      const fromFile = await cli(['decrypt', file, ...args])
      expect(fromFile.code).toBe(0)
      expect(JSON.parse(fromFile.stdout)).toEqual(app.events[0])
      expect(fromFile.stderr).toContain('signature valid')
      const fromStdin = await cli(['decrypt', ...args], { stdin: raw })
      expect(fromStdin.code).toBe(0)
      expect(JSON.parse(fromStdin.stdout)).toMatchObject({
        EventType: 'user_add_org',
        UserId: ['zhangsan', 'lisi'],
      })
      for (const output of [fromFile.stdout + fromFile.stderr, fromStdin.stdout + fromStdin.stderr]) {
        expect(output).not.toContain(B.aesKey)
        expect(output).not.toContain(B.token)
      }
    } finally {
      await app.close()
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('takes credentials from the environment and prints JSON on request', async () => {
    const r = await cli(['decrypt', '--query', A.query, '--body', body, '--json'], {
      env: {
        DINGTALK_CALLBACK_TOKEN: A.token,
        DINGTALK_CALLBACK_AES_KEY: A.aesKey,
        DINGTALK_SUITE_KEY: A.receiveId,
      },
    })
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toEqual({
      ok: true,
      signature: 'valid',
      receiveId: A.receiveId,
      message: A.message,
      problems: [],
    })
  })

  it('is a usage error without a key or without input', async () => {
    expect((await cli(['decrypt', '--body', body])).code).toBe(2)
    const r = await cli(['decrypt', '--aes-key', A.aesKey])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('decrypt --help')
  })
})

describe('verify', () => {
  it('accepts the official vector', async () => {
    const r = await cli(['verify', '--query', A.query, '--encrypt', A.encrypt, '--token', A.token])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('signature valid')
  })

  it('rejects a changed nonce (the reference’s negative case)', async () => {
    const query = A.query.replace('nEXhMP4r', 'xxxxx')
    const r = await cli(['verify', '--query', query, '--encrypt', A.encrypt, '--token', A.token])
    expect(r.code).toBe(1)
    expect(r.stdout).toContain('signature does not match')
    // The explanation once, not the error's sentence and then a paraphrase of it.
    expect(r.stdout.match(/token differs from the one registered/g)).toHaveLength(1)
    expect(r.stdout.match(/timestamp, nonce or encrypt/g)).toHaveLength(1)
    expect(r.stdout).toContain('check the token for stray spaces')
  })

  it('finds a signature made without the encrypt', async () => {
    const signature = sha1(['123456', '1445827045067', 'nEXhMP4r'].sort().join(''))
    const query = `signature=${signature}&timestamp=1445827045067&nonce=nEXhMP4r`
    const r = await cli(['verify', '--query', query, '--encrypt', A.encrypt, '--token', A.token])
    expect(r.code).toBe(1)
    expect(r.stdout).toContain('signed over token, timestamp and nonce only')
  })

  it('finds a signature over unsorted fields and an upper-case signature', async () => {
    const unsorted = sha1(`123456${'1445827045067'}nEXhMP4r${A.encrypt}`)
    const r1 = await cli([
      'verify',
      '--query',
      `signature=${unsorted}&timestamp=1445827045067&nonce=nEXhMP4r`,
      '--encrypt',
      A.encrypt,
      '--token',
      A.token,
    ])
    expect(r1.code).toBe(1)
    expect(r1.stdout).toContain('without sorting')
    const upper = A.query.replace(
      '5a65ceeef9aab2d149439f82dc191dd6c5cbe2c0',
      '5A65CEEEF9AAB2D149439F82DC191DD6C5CBE2C0',
    )
    const r2 = await cli(['verify', '--query', upper, '--encrypt', A.encrypt, '--token', A.token])
    expect(r2.code).toBe(1)
    expect(r2.stdout).toContain('upper-case hex')
  })

  it('checks a reply body produced by encrypt, and needs the token', async () => {
    const reply = await cli([
      'encrypt',
      '--message',
      'success',
      '--token',
      B.token,
      '--aes-key',
      B.aesKey,
      '--receive-id',
      B.receiveId,
    ])
    expect(reply.code).toBe(0)
    const r = await cli(['verify', '--body', reply.stdout, '--token', B.token, '--json'])
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, signature: 'valid' })
    expect((await cli(['verify', '--body', reply.stdout])).code).toBe(2)
  })
})

describe('encrypt', () => {
  it('reproduces the deterministic vector D as DingTalk’s reply format', async () => {
    const r = await cli([
      'encrypt',
      '--message',
      A.message,
      ...creds,
      '--receive-id',
      A.receiveId,
      '--random',
      '1234567890123456',
      '--timestamp',
      '1445827045067',
      '--nonce',
      'nEXhMP4r',
    ])
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toEqual({
      msg_signature: 'bcf6dcefa4ce2dbaf7b0666c7264d46fd9aad4bd',
      timeStamp: '1445827045067',
      nonce: 'nEXhMP4r',
      encrypt:
        '5DJFWzjRNOQk+5GSZxW+VrFMDWCIidPjEjg3//gm5x556BedVi62rDj1F9uXU97a4jw1R4FACUv9RCpoDobNqxhxRB2YtW901k4KHbP1/wpFJ3xdLG0n0A8U1VhENg80zKJd+YROR0YMGum4WYuoXJ6J98vt0ihYeIFoapNddLML5MyNAGM9saSpkouDMSvD+iU14i7V8ix1ia1Tb9ogog==',
    })
  })

  it('prints only the ciphertext without a token, which decrypt reads back from stdin', async () => {
    const r = await cli(['encrypt', '--aes-key', B.aesKey, '--receive-id', B.receiveId], {
      stdin: '{"EventType":"check_url"}\n',
    })
    expect(r.code).toBe(0)
    const encrypted = r.stdout.trim()
    expect(encrypted).toMatch(/^[A-Za-z0-9+/]+=*$/)
    const back = await cli([
      'decrypt',
      '--encrypt',
      encrypted,
      '--aes-key',
      B.aesKey,
      '--receive-id',
      B.receiveId,
    ])
    expect(back.stdout).toBe('{"EventType":"check_url"}\n')
  })

  it('needs a receive-id', async () => {
    const r = await cli(['encrypt', '--message', 'success', '--aes-key', B.aesKey])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('--receive-id')
  })
})

describe('sign-jsapi', () => {
  const ticket = 'mS5k98fdkdgDKxkXGEs8LORVREiweeWETE40P37wkidkfksDSKDJFD5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcKIDU8l'
  const base = ['sign-jsapi', '--ticket', ticket, '--nonce', 'Zn4zmLFKD0wzilzM', '--timestamp', '1414588745']

  it('signs the reference vector with SHA-1 and SHA-256 without printing the ticket', async () => {
    const sha1 = await cli([...base, '--url', 'http://open.dingtalk.com'])
    expect(sha1.code).toBe(0)
    expect(sha1.stdout).toContain('10de2b0a6763ec3685a50272b5b0eb2848098dc2')
    expect(sha1.stdout).toContain('jsapi_ticket=***&noncestr=Zn4zmLFKD0wzilzM')
    expect(sha1.stdout).not.toContain(ticket)
    const sha256 = await cli([...base, '--url', 'http://open.dingtalk.com', '--sha256', '--json'])
    expect(JSON.parse(sha256.stdout)).toMatchObject({
      signature: '6d6e0580d57aac61e427c1e82e7545cca4eed5c59ae6bb468c6bf6f89753cdb2',
      url: 'http://open.dingtalk.com',
      algorithm: 'sha256',
    })
  })

  it('shows the normalised URL: fragment dropped, query decoded', async () => {
    const r = await cli([...base, '--url', 'http://abc.def/ghi/jkl?m=123&n=%E5%BC%A0#opq', '--json'])
    expect(JSON.parse(r.stdout).url).toBe('http://abc.def/ghi/jkl?m=123&n=张')
    const text = await cli([...base, '--url', 'http://abc.def/ghi/jkl?m=123#opq'])
    expect(text.stdout).toContain('dropped the #fragment')
  })

  it('explains a signature made over the URL with its fragment', async () => {
    const url = 'http://abc.def/ghi/jkl?m=123#opq'
    const wrong = createHash('sha1')
      .update(`jsapi_ticket=${ticket}&noncestr=Zn4zmLFKD0wzilzM&timestamp=1414588745&url=${url}`)
      .digest('hex')
    const r = await cli([...base, '--url', url, '--compare', wrong])
    expect(r.code).toBe(1)
    expect(r.stdout).toContain('with its #fragment')
    const same = await cli([
      ...base,
      '--url',
      'http://open.dingtalk.com',
      '--compare',
      '10de2b0a6763ec3685a50272b5b0eb2848098dc2',
    ])
    expect(same.code).toBe(0)
    expect(same.stdout).toContain('matches')
  })

  it('is a usage error with missing inputs, a check failure for a relative URL', async () => {
    const missing = await cli(['sign-jsapi', '--ticket', ticket])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('missing --nonce, --timestamp, --url')
    const relative = await cli([...base, '--url', '/page'])
    expect(relative.code).toBe(1)
    expect(relative.stderr).toContain('JSAPI_INVALID_URL')
  })
})

describe('input', () => {
  it('reads stdin unless it is a terminal, and rejects empty input with exit 2', async () => {
    const piped = await cli(['decrypt', '--aes-key', A.aesKey], {
      stdin: JSON.stringify({ query: A.query, body }),
    })
    expect(piped.code).toBe(0)
    expect(piped.stdout).toBe(`${A.message}\n`)
    const empty = await cli(['decrypt', '--aes-key', A.aesKey], { stdin: '  \n' })
    expect(empty.code).toBe(2)
    expect(empty.stderr).toContain('the input is empty')
  })
})
