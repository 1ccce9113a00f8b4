/** Query-string values; `undefined` entries are left out. */
export type QueryValue = string | number | boolean | undefined

/** Which token a call carries in its query string (§4.1). */
export type AuthMode = 'access_token' | 'suite_access_token' | 'none'

/**
 * One call to a DingTalk `oapi` endpoint.
 *
 * @example
 * ```ts
 * const body = await client.request<{ result: { name: string } }>({
 *   method: 'POST',
 *   path: '/topapi/v2/user/get',
 *   json: { userid: 'manager123', language: 'zh_CN' },
 * })
 * ```
 */
export interface DingTalkRequest {
  /** Default: `POST` when `json` or `form` is given, else `GET`. */
  method?: 'GET' | 'POST'
  /** Path on the base URL, e.g. `/topapi/v2/user/get`. */
  path: string
  query?: Record<string, QueryValue>
  /** Sent as raw UTF-8 JSON with `Content-Type: application/json` (§4.1, §6: 43004 otherwise). */
  json?: unknown
  /** Sent as `multipart/form-data` (§7: file field `media`). */
  form?: FormData
  /** Token put into the query string. Default `access_token`. */
  auth?: AuthMode
  /**
   * Whether the call may be repeated after a 5xx, reset, timeout or broken body. Default: `true` for
   * GET, `false` for POST (a POST that may have reached DingTalk is not sent twice).
   */
  idempotent?: boolean
  /** Overrides the client’s `timeoutMs` for this call. */
  timeoutMs?: number
  /** Cancels the call (not retried). */
  signal?: AbortSignal
  /**
   * `bytes` for downloads (`/media/get`): a non-JSON answer resolves to a {@link DingTalkBinaryResponse};
   * a JSON answer is still parsed as an envelope, so errors throw as usual. Default `json`.
   */
  responseType?: 'json' | 'bytes'
}

/**
 * A downloaded file (`responseType: 'bytes'`).
 *
 * @example
 * ```ts
 * const file = await client.request<DingTalkBinaryResponse>({
 *   path: '/media/get',
 *   query: { media_id: mediaId },
 *   responseType: 'bytes',
 * })
 * console.log(file.contentType, file.filename, file.bytes.byteLength)
 * ```
 */
export interface DingTalkBinaryResponse {
  bytes: Uint8Array
  contentType: string
  /** From `Content-Disposition`, when present. */
  filename: string | undefined
}

/**
 * A parsed DingTalk JSON answer (§9.1): the envelope plus the endpoint’s payload.
 *
 * @example
 * ```ts
 * const body: DingTalkResponse = await client.request({ path: '/department/list' })
 * ```
 */
export interface DingTalkResponse {
  errcode?: number | string
  errmsg?: string
  request_id?: string
  result?: unknown
  [field: string]: unknown
}

/** A token source for one {@link AuthMode}: the token cache of the client. */
export interface TokenSource {
  get(): Promise<string>
  invalidate(value: string): Promise<void>
}
