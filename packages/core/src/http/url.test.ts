import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { formatQuery, formEncode, joinUrl, trimBase } from './url'

describe('query building', () => {
  it('encodes any string byte for byte like URLSearchParams', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (value) => {
        expect(formEncode(value)).toBe(new URLSearchParams([['', value]]).toString().slice(1))
      }),
      { numRuns: 2000 },
    )
    for (const value of [
      "a b+c!'()~*-._",
      '张三',
      'x/y?z=1&w',
      '\uD800',
      'HCbG3xNE3vzhO+u7qCUL1jS5hsu2n5r2cFhnTrtyDAE=',
    ]) {
      expect(formEncode(value)).toBe(new URLSearchParams([['', value]]).toString().slice(1))
    }
  })

  it('writes the defined entries in order, as URLSearchParams would', () => {
    const query = { id: 1, fetch_child: false, lang: undefined, name: '研发 部', 键: 'v&w' }
    const expected = new URLSearchParams()
    for (const [key, value] of Object.entries(query))
      if (value !== undefined) expected.set(key, String(value))
    expect(formatQuery(query)).toBe(expected.toString())
    expect(formatQuery(undefined)).toBe('')
    expect(formatQuery({ a: undefined })).toBe('')
  })

  it('joins base, path and query string; trims trailing slashes of a base', () => {
    expect(joinUrl('https://oapi.dingtalk.com', '/gettoken', '')).toBe('https://oapi.dingtalk.com/gettoken')
    expect(joinUrl('http://127.0.0.1:1', '/x', 'a=1')).toBe('http://127.0.0.1:1/x?a=1')
    expect(trimBase('http://127.0.0.1:1//')).toBe('http://127.0.0.1:1')
  })
})
