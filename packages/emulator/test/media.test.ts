import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type Emulator, startEmulator } from '../src/index'
import { corpToken, getJson, type Json } from './helpers'

let emu: Emulator
let token: string

beforeEach(async () => {
  emu = await startEmulator()
  token = await corpToken(emu.url)
})
afterEach(async () => {
  await emu.close()
})

async function upload(form: FormData, query = ''): Promise<Json> {
  const res = await fetch(`${emu.url}/media/upload?access_token=${token}${query}`, {
    method: 'POST',
    body: form,
  })
  return (await res.json()) as Json
}

function fileForm(
  name: string,
  bytes: Uint8Array<ArrayBuffer>,
  type?: string,
  contentType = 'image/png',
): FormData {
  const form = new FormData()
  if (type) form.append('type', type)
  form.append('media', new Blob([bytes], { type: contentType }), name)
  return form
}

const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3])

describe('media/upload (§7.1)', () => {
  it('stores a file and gives its bytes back on media/get and media/downloadFile', async () => {
    const res = await upload(fileForm('头像.png', png), '&type=image')
    expect(res).toMatchObject({ errcode: 0, type: 'image' })
    const mediaId = res.media_id as string
    expect(mediaId.startsWith('@')).toBe(true)
    for (const path of ['/media/get', '/media/downloadFile']) {
      const got = await fetch(
        `${emu.url}${path}?access_token=${token}&media_id=${encodeURIComponent(mediaId)}`,
      )
      expect(got.headers.get('content-type')).toBe('image/png')
      expect(got.headers.get('content-disposition')).toContain(encodeURIComponent('头像.png'))
      expect(new Uint8Array(await got.arrayBuffer())).toEqual(png)
    }
    expect(emu.log[1]?.body).toMatchObject({ media: { filename: '头像.png', size: png.length } })
  })

  it('takes type from the form when the query has none', async () => {
    const res = await upload(fileForm('a.pdf', png, 'file', 'application/pdf'))
    expect(res).toMatchObject({ errcode: 0, type: 'file' })
  })

  it('answers 40004 for a bad type, 40005 for a bad extension, 41005 without a media part', async () => {
    expect((await upload(fileForm('a.png', png), '&type=sticker')).errcode).toBe(40004)
    expect((await upload(fileForm('a.png', png))).errcode).toBe(40004)
    expect((await upload(fileForm('a.exe', png), '&type=file')).errcode).toBe(40005)
    const form = new FormData()
    form.append('file', new Blob([png]), 'a.png')
    expect((await upload(form, '&type=image')).errcode).toBe(41005)
  })

  it('answers 45001 above the size limit of the type', async () => {
    const big = new Uint8Array(2 * 1024 * 1024 + 1)
    expect((await upload(fileForm('a.mp3', big, undefined, 'audio/mpeg'), '&type=voice')).errcode).toBe(45001)
    const huge = new Uint8Array(22 * 1024 * 1024)
    expect((await upload(fileForm('a.png', huge), '&type=image')).errcode).toBe(45001)
    expect((await getJson(`${emu.url}/get_jsapi_ticket?access_token=${token}`)).errcode).toBe(0)
  })

  it('answers 43008 for a non-multipart body', async () => {
    const res = await fetch(`${emu.url}/media/upload?access_token=${token}&type=image`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
    })
    expect(((await res.json()) as Json).errcode).toBe(43008)
  })

  it('answers a JSON envelope for unknown media ids', async () => {
    const res = await fetch(`${emu.url}/media/get?access_token=${token}&media_id=@nope`)
    expect(res.headers.get('content-type')).toContain('application/json')
    expect(((await res.json()) as Json).errcode).toBe(40004)
    expect((await getJson(`${emu.url}/media/downloadFile?access_token=${token}`)).errcode).toBe(41006)
  })
})
