import { describe, expect, it } from 'vitest'
import { encodeBody, filenameOf, JSON_TYPE, readDownload } from './body'

describe('request bodies', () => {
  it('JSON is raw UTF-8 with the JSON Content-Type; FormData goes as it is', () => {
    expect(encodeBody({ name: '张三' }, undefined)).toEqual({
      body: '{"name":"张三"}',
      contentType: JSON_TYPE,
    })
    const form = new FormData()
    expect(encodeBody(undefined, form)).toEqual({ body: form, contentType: undefined })
    expect(encodeBody(undefined, undefined)).toEqual({ body: undefined, contentType: undefined })
  })
})

describe('downloads', () => {
  it('a 200 that is not JSON or text is the file, with its name from Content-Disposition', async () => {
    const res = new Response(new Uint8Array([1, 2, 3]), {
      headers: {
        'content-type': 'image/png',
        'content-disposition': 'attachment; filename="a.png"; filename*=UTF-8\'\'%E5%A4%B4%E5%83%8F.png',
      },
    })
    const file = await readDownload(res)
    expect(file).toEqual({ bytes: new Uint8Array([1, 2, 3]), contentType: 'image/png', filename: '头像.png' })
  })

  it('a JSON answer comes back as text, to be read as an envelope', async () => {
    const res = new Response('{"errcode":40004}', { headers: { 'content-type': 'application/json' } })
    expect(await readDownload(res)).toBe('{"errcode":40004}')
  })

  it('reads the plain filename when the extended one is missing or broken', () => {
    expect(filenameOf('attachment; filename="report.pdf"')).toBe('report.pdf')
    expect(filenameOf("attachment; filename*=UTF-8''%E5%A4; filename=x.bin")).toBe('x.bin')
    expect(filenameOf('inline')).toBeUndefined()
  })
})
