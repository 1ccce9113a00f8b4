import { DingTalkMediaError } from '../errors/media'
import { DingTalkApiError, DingTalkHttpError } from '../errors/request-errors'
import type { DingTalkBinaryResponse, DingTalkResponse } from '../http/request'
import { type ApiContext, asNumber, asString } from './context'

/** The media types of `media/upload` (§7.1). */
export type MediaType = 'image' | 'voice' | 'video' | 'file'

/** What `upload` accepts as the file: bytes, a Blob/File, a Web stream, or (Node) a file path. */
export type MediaSource = Blob | Uint8Array | ArrayBuffer | ReadableStream<Uint8Array> | string

/** Input of {@link MediaApi.upload}. */
export interface MediaUploadInput {
  type: MediaType
  file: MediaSource
  /** Required for bytes and streams (DingTalk checks the extension); default: the File's or path's name. */
  filename?: string
  /** Default: the Blob's type, else derived from the extension. */
  contentType?: string
  /** `false` skips the local §7.1 size/extension checks (e.g. if DingTalk raised its limits). Default true. */
  check?: boolean
  signal?: AbortSignal
}

/** `media/upload`'s answer. */
export interface UploadedMedia {
  type: string
  /** Reusable inside DingTalk, e.g. in image/file messages. */
  mediaId: string
  createdAt: number | undefined
}

const MB = 1024 * 1024

/**
 * The current upload limits of §7.1 (type → bytes and accepted extensions); the 2016 limits were smaller.
 *
 * @example
 * ```ts
 * MEDIA_LIMITS.voice.maxBytes // 2 MiB
 * ```
 */
export const MEDIA_LIMITS: Readonly<Record<MediaType, { maxBytes: number; extensions: readonly string[] }>> =
  {
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

/**
 * Media files (§7).
 *
 * @example
 * ```ts
 * const { mediaId } = await client.media.upload({ type: 'image', file: './logo.png' })
 * const file = await client.media.download(mediaId)
 * ```
 */
export interface MediaApi {
  /**
   * `POST /media/upload` as `multipart/form-data`: the file in field `media` with filename and content type,
   * `type` both in the query and in the form (§7.1). Size and extension are checked locally first
   * ({@link DingTalkMediaError}); streams are read up to the limit only.
   *
   * @example
   * ```ts
   * const { mediaId } = await client.media.upload({ type: 'file', file: bytes, filename: '报告.pdf' })
   * await client.messages.sendWorkNotice({ userIds: ['zhangsan'], message: message.file(mediaId) })
   * ```
   */
  upload(input: MediaUploadInput): Promise<UploadedMedia>
  /**
   * Downloads a media file: `GET /media/get`, falling back to `/media/downloadFile` when that path does not
   * exist (§7.2). A JSON answer is an error envelope and throws a `DingTalkApiError` (e.g. 40004).
   *
   * @example
   * ```ts
   * const { bytes, contentType, filename } = await client.media.download('@lADOxxxx')
   * ```
   */
  download(mediaId: string, options?: { signal?: AbortSignal }): Promise<DingTalkBinaryResponse>
}

interface NodeFs {
  promises: {
    stat(path: string): Promise<{ size: number; isFile(): boolean }>
    readFile(path: string): Promise<Uint8Array>
  }
}

function nodeFs(): NodeFs | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
  try {
    return proc?.getBuiltinModule?.('node:fs') as NodeFs | undefined
  } catch {
    return undefined
  }
}

const extensionOf = (name: string): string => {
  const dot = name.lastIndexOf('.')
  return dot < 0 ? '' : name.slice(dot + 1).toLowerCase()
}

const basename = (path: string): string => path.split(/[\\/]/).pop() ?? path

async function readStream(stream: ReadableStream<Uint8Array>, maxBytes: number): Promise<Uint8Array> {
  const reader = stream.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined)
      throw new DingTalkMediaError('MEDIA_TOO_LARGE', `The stream is larger than ${maxBytes} bytes (§7.1).`)
    }
    chunks.push(value)
  }
  const out = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.byteLength
  }
  return out
}

async function readSource(
  file: MediaSource,
  maxBytes: number,
): Promise<{ bytes: Blob | Uint8Array; size: number; name?: string; type?: string }> {
  if (typeof file === 'string') {
    const fs = nodeFs()
    if (fs === undefined) {
      throw new DingTalkMediaError(
        'MEDIA_UNREADABLE',
        'File paths need Node (node:fs); pass bytes or a Blob.',
      )
    }
    let stat: { size: number; isFile(): boolean }
    try {
      stat = await fs.promises.stat(file)
    } catch (cause) {
      throw new DingTalkMediaError('MEDIA_UNREADABLE', `Cannot read ${basename(file)}.`, { cause })
    }
    if (!stat.isFile()) throw new DingTalkMediaError('MEDIA_UNREADABLE', `${basename(file)} is not a file.`)
    if (stat.size > maxBytes) return { bytes: new Uint8Array(0), size: stat.size, name: basename(file) }
    const bytes = new Uint8Array(await fs.promises.readFile(file))
    return { bytes, size: bytes.byteLength, name: basename(file) }
  }
  if (file instanceof Blob) {
    const name = (file as { name?: unknown }).name
    return {
      bytes: file,
      size: file.size,
      ...(typeof name === 'string' && name !== '' ? { name } : {}),
      ...(file.type ? { type: file.type } : {}),
    }
  }
  if (file instanceof Uint8Array) return { bytes: file, size: file.byteLength }
  if (file instanceof ArrayBuffer) return { bytes: new Uint8Array(file), size: file.byteLength }
  if (typeof (file as ReadableStream).getReader === 'function') {
    const bytes = await readStream(file, maxBytes)
    return { bytes, size: bytes.byteLength }
  }
  throw new DingTalkMediaError(
    'MEDIA_UNREADABLE',
    'file must be a Blob, Uint8Array, ArrayBuffer, ReadableStream or path.',
  )
}

const DOWNLOAD_PATHS = ['/media/get', '/media/downloadFile'] as const

function pathMissing(error: unknown): boolean {
  if (error instanceof DingTalkApiError) return error.errcode === 404 || error.errcode === 22
  return error instanceof DingTalkHttpError && error.httpStatus === 404
}

export function createMediaApi(ctx: ApiContext): MediaApi {
  let workingPath: (typeof DOWNLOAD_PATHS)[number] | undefined

  return {
    async upload(input) {
      const limit = MEDIA_LIMITS[input.type]
      if (limit === undefined) {
        throw new DingTalkMediaError('MEDIA_INVALID_TYPE', 'type must be image, voice, video or file (§7.1).')
      }
      const check = input.check !== false
      const source = await readSource(input.file, check ? limit.maxBytes : Number.POSITIVE_INFINITY)
      const filename = input.filename ?? source.name
      if (filename === undefined || filename === '') {
        throw new DingTalkMediaError(
          'MEDIA_MISSING_FILENAME',
          'Pass filename for bytes and streams: DingTalk checks the extension (40005 otherwise).',
        )
      }
      const extension = extensionOf(filename)
      if (check) {
        if (!limit.extensions.includes(extension)) {
          throw new DingTalkMediaError(
            'MEDIA_INVALID_TYPE',
            `A ${input.type} must be ${limit.extensions.join('/')}; got "${extension || 'no extension'}" (§7.1).`,
          )
        }
        if (source.size > limit.maxBytes) {
          throw new DingTalkMediaError(
            'MEDIA_TOO_LARGE',
            `A ${input.type} may be at most ${limit.maxBytes} bytes; this one has ${source.size} (§7.1).`,
          )
        }
        if (source.size === 0) throw new DingTalkMediaError('MEDIA_EMPTY', 'The file is empty.')
      }
      const contentType =
        input.contentType ?? source.type ?? CONTENT_TYPES[extension] ?? 'application/octet-stream'
      const blob =
        source.bytes instanceof Blob && !input.contentType
          ? source.bytes
          : new Blob([source.bytes as BlobPart], { type: contentType })
      const form = new FormData()
      // §7.1: `type` in the form and in the query (40004 otherwise on some generations).
      form.append('type', input.type)
      form.append('media', blob, filename)
      const body = await ctx.request<DingTalkResponse>({
        path: '/media/upload',
        query: { type: input.type },
        form,
        ...(input.signal ? { signal: input.signal } : {}),
      })
      return {
        type: asString(body.type) || input.type,
        mediaId: asString(body.media_id),
        createdAt: asNumber(body.created_at),
      }
    },

    async download(mediaId, options = {}) {
      const paths = workingPath === undefined ? DOWNLOAD_PATHS : [workingPath]
      let lastError: unknown
      for (const path of paths) {
        try {
          const result = await ctx.request<DingTalkBinaryResponse | DingTalkResponse>({
            path,
            query: { media_id: mediaId },
            responseType: 'bytes',
            ...(options.signal ? { signal: options.signal } : {}),
          })
          if (!(result.bytes instanceof Uint8Array)) {
            // §7.2: a JSON success envelope carries no file.
            throw new DingTalkMediaError('MEDIA_UNREADABLE', `${path} answered JSON instead of the file.`)
          }
          workingPath = path
          return result as DingTalkBinaryResponse
        } catch (error) {
          if (!pathMissing(error)) throw error
          lastError = error
        }
      }
      throw lastError
    },
  }
}
