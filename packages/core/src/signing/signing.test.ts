import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { hashes } from '../hash/index'
import { DingTalkError } from '../index'
import { isvSignedQuery, signIsvRequest } from './isv'
import { buildDdConfig, normalizeJsapiUrl, signJsapi } from './jsapi'

// §3.5 official inputs.
const TICKET = 'mS5k98fdkdgDKxkXGEs8LORVREiweeWETE40P37wkidkfksDSKDJFD5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcKIDU8l'
const NONCE = 'Zn4zmLFKD0wzilzM'
const TS = '1414588745'

describe('JSAPI signature (§3)', () => {
  it('matches the §3.5 vector with SHA-1 and SHA-256', () => {
    const input = { ticket: TICKET, nonceStr: NONCE, timeStamp: TS, url: 'http://open.dingtalk.com' }
    expect(signJsapi(input)).toBe('10de2b0a6763ec3685a50272b5b0eb2848098dc2')
    expect(signJsapi({ ...input, algorithm: 'sha256' })).toBe(
      '6d6e0580d57aac61e427c1e82e7545cca4eed5c59ae6bb468c6bf6f89753cdb2',
    )
    expect(signJsapi({ ...input, timeStamp: Number(TS) })).toBe('10de2b0a6763ec3685a50272b5b0eb2848098dc2')
  })

  it('signs the page URL without its #hash and with its query percent-decoded', () => {
    expect(normalizeJsapiUrl('http://abc.def/ghi/jkl?m=123&n=456#opq')).toBe(
      'http://abc.def/ghi/jkl?m=123&n=456',
    )
    expect(normalizeJsapiUrl('https://a.b:8443/p%20q/?name=%E5%BC%A0%E4%B8%89&x=a+b#/route?y=1')).toBe(
      'https://a.b:8443/p%20q/?name=张三&x=a+b',
    )
    expect(normalizeJsapiUrl('HTTP://Example.COM:80/Path?bad=%zz&half=%E5%BC')).toBe(
      'HTTP://Example.COM:80/Path?bad=%zz&half=%E5%BC',
    )
    const withHash = {
      ticket: TICKET,
      nonceStr: NONCE,
      timeStamp: TS,
      url: 'http://open.dingtalk.com#anything',
    }
    expect(signJsapi(withHash)).toBe('10de2b0a6763ec3685a50272b5b0eb2848098dc2')
    const encoded = signJsapi({ ...withHash, url: 'http://a.b/c?n=%E5%BC%A0' })
    expect(encoded).toBe(signJsapi({ ...withHash, url: 'http://a.b/c?n=张' }))
    expect(encoded).toBe(
      hashes('portable').sha1Hex(
        `jsapi_ticket=${TICKET}&noncestr=${NONCE}&timestamp=${TS}&url=http://a.b/c?n=张`,
      ),
    )
  })

  it('rejects what cannot be a page URL, and empty ticket/nonce/timestamp', () => {
    for (const url of ['', '/relative', '//open.dingtalk.com', 'ftp://x', 'javascript:alert(1)']) {
      expect(() => signJsapi({ ticket: TICKET, nonceStr: NONCE, timeStamp: TS, url })).toThrow(DingTalkError)
    }
    expect(() => signJsapi({ ticket: '', nonceStr: NONCE, timeStamp: TS, url: 'http://a' })).toThrow(
      /jsapi_ticket/,
    )
    expect(() => signJsapi({ ticket: TICKET, nonceStr: '', timeStamp: TS, url: 'http://a' })).toThrow(
      /nonceStr/,
    )
    expect(() => signJsapi({ ticket: TICKET, nonceStr: NONCE, timeStamp: '1e9', url: 'http://a' })).toThrow(
      /numeric/,
    )
  })

  it('builds a dd.config payload that never contains the ticket', () => {
    const config = buildDdConfig({
      ticket: TICKET,
      url: 'http://open.dingtalk.com/#x',
      agentId: 1234,
      corpId: 'dingcorp',
      jsApiList: ['biz.chat.pickConversation'],
    })
    expect(Object.keys(config).sort()).toEqual([
      'agentId',
      'corpId',
      'jsApiList',
      'nonceStr',
      'signature',
      'timeStamp',
    ])
    expect(JSON.stringify(config)).not.toContain(TICKET)
    expect(config.agentId).toBe('1234')
    expect(config.timeStamp).toMatch(/^\d{10}$/)
    expect(config.nonceStr).toMatch(/^[A-Za-z0-9]{16}$/)
    expect(config.signature).toBe(
      signJsapi({
        ticket: TICKET,
        nonceStr: config.nonceStr,
        timeStamp: config.timeStamp,
        url: 'http://open.dingtalk.com/',
      }),
    )
    const fixed = buildDdConfig({
      ticket: TICKET,
      url: 'http://open.dingtalk.com',
      agentId: '1',
      corpId: 'c',
      nonceStr: NONCE,
      timeStamp: TS,
      type: 0,
    })
    expect(fixed.signature).toBe('10de2b0a6763ec3685a50272b5b0eb2848098dc2')
    expect(fixed.type).toBe(0)
  })
})

describe('portable hashes agree with node:crypto', () => {
  it('SHA-1, SHA-256 and HMAC-SHA256 for any string', () => {
    const node = hashes('node')
    const portable = hashes('portable')
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 300 }),
        fc.string({ maxLength: 100 }),
        (text, key) => {
          expect(portable.sha1Hex(text)).toBe(node.sha1Hex(text))
          expect(portable.sha256Hex(text)).toBe(node.sha256Hex(text))
          expect(portable.hmacSha256Base64(key, text)).toBe(node.hmacSha256Base64(key, text))
        },
      ),
      { numRuns: 300 },
    )
  })
})

describe('ISV request signature (§4.4)', () => {
  it('matches the official HMAC vector and the computed ISV example', () => {
    expect(signIsvRequest({ secret: 'testappSecret', timestamp: '1546084445901' })).toBe(
      'HCbG3xNE3vzhO+u7qCUL1jS5hsu2n5r2cFhnTrtyDAE=',
    )
    expect(
      signIsvRequest({
        secret: 'suiteSecretExample',
        timestamp: 1527130370219,
        suiteTicket: 'suiteTicketExample',
      }),
    ).toBe('DrdGYXrNsJpku0OESpumVWfuH3Aws2mQnuDeMhR6bic=')
  })

  it('URL-encodes the signature in the signed query', () => {
    expect(isvSignedQuery({ accessKey: 'appid', secret: 'testappSecret', timestamp: 1546084445901 })).toBe(
      'accessKey=appid&timestamp=1546084445901&signature=HCbG3xNE3vzhO%2Bu7qCUL1jS5hsu2n5r2cFhnTrtyDAE%3D',
    )
    const q = new URLSearchParams(
      isvSignedQuery({
        accessKey: 'suiteK',
        secret: 'suiteSecretExample',
        timestamp: 1527130370219,
        suiteTicket: 'suiteTicketExample',
      }),
    )
    expect(q.get('signature')).toBe('DrdGYXrNsJpku0OESpumVWfuH3Aws2mQnuDeMhR6bic=')
    expect(q.get('suiteTicket')).toBe('suiteTicketExample')
    expect(() => signIsvRequest({ secret: '', timestamp: 1 })).toThrow(DingTalkError)
    expect(() => signIsvRequest({ secret: 's', timestamp: 'now' })).toThrow(/milliseconds/)
  })
})
