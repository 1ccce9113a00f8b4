import { ApiError, type Ctx, RawResponse, type Routes, randomId, str } from '../context'
import { orgOf } from './contacts'

const MB = 1024 * 1024

// §7.1, current limits: type → size and accepted extensions.
const LIMITS: Record<string, { maxBytes: number; extensions: string[] }> = {
  image: { maxBytes: 20 * MB, extensions: ['jpg', 'jpeg', 'gif', 'png', 'bmp'] },
  voice: { maxBytes: 2 * MB, extensions: ['amr', 'mp3', 'wav'] },
  video: { maxBytes: 20 * MB, extensions: ['mp4'] },
  file: {
    maxBytes: 20 * MB,
    extensions: ['doc', 'docx', 'xls', 'xlsx', 'ppt', 'pptx', 'zip', 'pdf', 'rar'],
  },
}

const CONTENT_TYPES: Record<string, string> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  png: 'image/png',
  bmp: 'image/bmp',
  amr: 'audio/amr',
  mp3: 'audio/mpeg',
  wav: 'audio/wav',
  mp4: 'video/mp4',
  pdf: 'application/pdf',
  zip: 'application/zip',
  rar: 'application/vnd.rar',
  doc: 'application/msword',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xls: 'application/vnd.ms-excel',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  ppt: 'application/vnd.ms-powerpoint',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
}

/** Largest multipart body read before answering 45001 without parsing. */
export const MEDIA_BODY_LIMIT: number = 21 * MB

async function upload(ctx: Ctx): Promise<Record<string, unknown>> {
  const org = orgOf(ctx)
  const form = ctx.form!
  // §7.1: `type` may come in the query or as a form field.
  const formType = form.get('type')
  const type = str(ctx.input, 'type') ?? (typeof formType === 'string' ? formType : undefined)
  const limit = type === undefined ? undefined : LIMITS[type]
  if (!type || !limit) throw new ApiError(40004, `不合法的媒体文件类型: ${type ?? 'missing'}`)
  const media = form.get('media')
  if (media === null || typeof media === 'string')
    throw new ApiError(41005, '缺少多媒体文件数据: no file part "media"')
  const extension = (media.name.split('.').pop() ?? '').toLowerCase()
  if (!media.name.includes('.') || !limit.extensions.includes(extension)) {
    throw new ApiError(40005, `不合法的文件类型: .${extension} is not accepted for ${type}`)
  }
  if (media.size === 0) throw new ApiError(40006, '不合法的文件大小: empty file')
  if (media.size > limit.maxBytes)
    throw new ApiError(45001, `多媒体文件大小超过限制: ${type} ≤ ${limit.maxBytes} bytes`)
  const mediaId = `@lA${randomId(12)}`
  const createdAt = ctx.emu.now()
  const declared = media.type && media.type !== 'application/octet-stream' ? media.type : undefined
  ctx.emu.state.media.set(mediaId, {
    mediaId,
    corpId: org.corpId,
    type,
    filename: media.name,
    contentType: declared ?? CONTENT_TYPES[extension] ?? 'application/octet-stream',
    bytes: new Uint8Array(await media.arrayBuffer()),
    createdAt,
  })
  return { type, media_id: mediaId, created_at: createdAt }
}

// §7.2: bytes with Content-Type/Content-Disposition, a JSON envelope for unknown ids.
function download(ctx: Ctx): RawResponse {
  const org = orgOf(ctx)
  const mediaId = str(ctx.input, 'media_id')
  if (!mediaId) throw new ApiError(41006, '缺少media_id参数')
  const media = ctx.emu.state.media.get(mediaId)
  if (!media || media.corpId !== org.corpId) throw new ApiError(40004, 'invalid media_id')
  const ascii = media.filename.replace(/[^\x20-\x7e]|["\\]/g, '_')
  return new RawResponse(
    200,
    {
      'Content-Type': media.contentType,
      'Content-Disposition': `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(media.filename)}`,
    },
    media.bytes,
  )
}

export const mediaRoutes: Routes = {
  '/media/upload': {
    method: 'POST',
    auth: 'access',
    body: 'multipart',
    maxBodyBytes: MEDIA_BODY_LIMIT,
    handle: upload,
  },
  '/media/get': { method: 'GET', auth: 'access', handle: download },
  '/media/downloadFile': { method: 'GET', auth: 'access', handle: download },
}
