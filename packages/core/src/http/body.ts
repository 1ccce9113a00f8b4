import type { DingTalkBinaryResponse } from './request'

/** §4.1: JSON bodies travel with this Content-Type (43004 otherwise). */
export const JSON_TYPE = 'application/json;charset=UTF-8'

/**
 * The body of a request, encoded once for every attempt: JSON as raw UTF-8 (`JSON.stringify` never writes
 * `\uXXXX` for non-ASCII, §4.1: 40033 otherwise) with the JSON Content-Type; `FormData` as multipart, its
 * boundary set by `fetch` (§7).
 */
export function encodeBody(
  json: unknown,
  form: FormData | undefined,
): { body: string | FormData | undefined; contentType: string | undefined } {
  if (json !== undefined) return { body: JSON.stringify(json), contentType: JSON_TYPE }
  return { body: form, contentType: undefined }
}

/**
 * A download (`responseType: 'bytes'`): a 200 that is neither JSON nor text is the file; anything else is
 * returned as text, to be read as an envelope.
 */
export async function readDownload(res: Response): Promise<DingTalkBinaryResponse | string> {
  const bytes = new Uint8Array(await res.arrayBuffer())
  const contentType = res.headers.get('content-type') ?? ''
  if (res.status === 200 && !/json|text\/plain/i.test(contentType)) {
    return { bytes, contentType, filename: filenameOf(res.headers.get('content-disposition') ?? '') }
  }
  return new TextDecoder().decode(bytes)
}

/** The file name of a `Content-Disposition`, RFC 5987 `filename*` first. */
export function filenameOf(disposition: string): string | undefined {
  const extended = /filename\*=UTF-8''([^;]+)/i.exec(disposition)?.[1]
  if (extended !== undefined) {
    try {
      return decodeURIComponent(extended)
    } catch {
      // Fall through to the plain parameter.
    }
  }
  return /filename="?([^";]+)"?/i.exec(disposition)?.[1]
}
