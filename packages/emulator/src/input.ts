import type { IncomingMessage } from 'node:http'
import { ApiError, type RouteDef } from './context'
import { type RequestLogEntry, redactBody } from './request-log'
import type { BodyRead } from './server'

// §4.1: DingTalk refuses escaped control characters (a `\u0000` from a `%00` in a code) with 40033 and
// accepts escaped text such as Chinese; its old table refuses every `\uXXXX` escape, which strict mode
// keeps. An escaped backslash before `u` is plain text.
const ANY_ESCAPE = /(?<!\\)(?:\\\\)*\\u[0-9a-fA-F]{4}/
const CONTROL_ESCAPE = /(?<!\\)(?:\\\\)*\\u00[01][0-9a-fA-F]/

/** What an endpoint reads: GET its query; POST its JSON object, form fields or multipart form. */
export interface ParsedInput {
  input: Record<string, unknown>
  form?: FormData
}

async function parseMultipart(
  contentType: string,
  body: BodyRead,
  entry: RequestLogEntry,
): Promise<FormData> {
  if (!contentType.startsWith('multipart/form-data')) throw new ApiError(43008, '参数需要multipart类型')
  let form: FormData
  try {
    form = await new Request('http://emulator/', {
      method: 'POST',
      headers: { 'content-type': contentType },
      body: new Uint8Array(body.bytes),
    }).formData()
  } catch {
    throw new ApiError(43008, '参数需要multipart类型: the multipart body cannot be parsed')
  }
  const fields: Record<string, unknown> = {}
  for (const [key, value] of form) {
    fields[key] = typeof value === 'string' ? value : { filename: value.name, size: value.size }
  }
  entry.body = redactBody(fields)
  return form
}

function parseJsonObject(
  contentType: string,
  body: BodyRead,
  entry: RequestLogEntry,
  strictEscapes: boolean,
): Record<string, unknown> {
  if (!contentType.includes('application/json')) {
    entry.body = `<${body.size} bytes of ${contentType || 'no content type'}>`
    throw new ApiError(
      43004,
      `无效的HTTP HEADER Content-Type: ${contentType || 'none'}, need application/json`,
    )
  }
  const text = body.bytes.toString('utf8')
  if (text.trim().length === 0) throw new ApiError(44002, 'POST的数据包为空')
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    entry.body = `<${body.size} bytes of malformed JSON>`
    throw new ApiError(47001, '解析JSON/XML内容错误')
  }
  entry.body = redactBody(parsed)
  if ((strictEscapes ? ANY_ESCAPE : CONTROL_ESCAPE).test(text)) {
    throw new ApiError(40033, '不合法的请求字符，不能包含\\uxxxx格式的字符')
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ApiError(47001, '解析JSON/XML内容错误: the body must be a JSON object')
  }
  return parsed as Record<string, unknown>
}

/**
 * Reads an oapi request's input the way DingTalk checks it: the JSON Content-Type (43004), empty (44002),
 * malformed (47001) and escaped control characters (40033; with `strictEscapes` every `\uXXXX` escape)
 * in bodies, multipart (43008), size limits (40035/45001); topapi also takes form bodies (§4.1).
 */
export async function parseInput(
  route: RouteDef,
  req: IncomingMessage,
  query: URLSearchParams,
  body: BodyRead,
  entry: RequestLogEntry,
  limits: { topapi: boolean; maxBodyBytes: number; strictEscapes: boolean },
): Promise<ParsedInput> {
  if (route.method === 'GET') return { input: Object.fromEntries(query) }
  const contentType = String(req.headers['content-type'] ?? '').toLowerCase()
  if (body.tooLarge) {
    entry.body = `<${body.size} bytes>`
    if (route.body === 'multipart') throw new ApiError(45001, '多媒体文件大小超过限制')
    throw new ApiError(
      40035,
      `不合法的参数: request body larger than ${route.maxBodyBytes ?? limits.maxBodyBytes} bytes`,
    )
  }
  if (route.body === 'multipart') {
    return { input: Object.fromEntries(query), form: await parseMultipart(contentType, body, entry) }
  }
  if (limits.topapi && contentType.startsWith('application/x-www-form-urlencoded')) {
    const input = Object.fromEntries(new URLSearchParams(body.bytes.toString('utf8')))
    entry.body = redactBody(input)
    return { input }
  }
  return { input: parseJsonObject(contentType, body, entry, limits.strictEscapes) }
}
