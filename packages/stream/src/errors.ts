import { DingTalkError, type ErrorCodeOf } from '@dingtalk-kit/core'

/**
 * What went wrong in the Stream client; see {@link DingTalkStreamError}. The codes are listed with every
 * other code of the kit in core's `DINGTALK_ERROR_CODES`.
 *
 * @example
 * ```ts
 * stream.onError((e) => e.code === 'STREAM_CREDENTIALS' && alert(e.message))
 * ```
 */
export type StreamErrorCode = ErrorCodeOf<'DingTalkStreamError'>

/**
 * An error of the Stream client. Messages say what to check and never carry the client secret or a
 * connection ticket.
 *
 * @example
 * ```ts
 * try {
 *   await stream.start()
 * } catch (error) {
 *   if (error instanceof DingTalkStreamError) console.error(error.code, error.message)
 * }
 * ```
 */
export class DingTalkStreamError extends DingTalkError {
  override readonly code: StreamErrorCode

  constructor(code: StreamErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
    this.name = 'DingTalkStreamError'
    this.code = code
  }
}

/**
 * `connections/open` refused the clientId/clientSecret (§13.1). Not retried by `start()`.
 *
 * @example
 * ```ts
 * await stream.start().catch((e) => {
 *   if (e instanceof DingTalkStreamCredentialsError) console.error(e.status, e.apiCode) // 401 'InvalidAuthentication'
 * })
 * ```
 */
export class DingTalkStreamCredentialsError extends DingTalkStreamError {
  /** The HTTP status of the refusal. */
  readonly status: number
  /** DingTalk's `code`, e.g. `InvalidAuthentication`. */
  readonly apiCode: string | undefined
  readonly requestId: string | undefined

  constructor(clientId: string, status: number, apiCode: string | undefined, requestId: string | undefined) {
    super(
      'STREAM_CREDENTIALS',
      `DingTalk refused the Stream credentials of ${clientId} (HTTP ${status}${apiCode ? ` ${apiCode}` : ''}). ` +
        'Check in the developer console that clientId is the app’s AppKey (a third-party app: its SuiteKey), ' +
        'that clientSecret is its current AppSecret/SuiteSecret, and that the app is published with Stream mode ' +
        'chosen as its event and robot message receiving mode.',
    )
    this.name = 'DingTalkStreamCredentialsError'
    this.status = status
    this.apiCode = apiCode
    this.requestId = requestId
  }
}

/**
 * A host of the Stream protocol could not be reached: the `connections/open` API or the WebSocket
 * gateway (§13.1). The message names the host and port to allow through the firewall or proxy.
 *
 * @example
 * ```ts
 * stream.onError((e) => e instanceof DingTalkStreamUnreachableError && console.error(`allow ${e.host}:${e.port}`))
 * ```
 */
export class DingTalkStreamUnreachableError extends DingTalkStreamError {
  readonly host: string
  readonly port: number

  constructor(what: 'api' | 'gateway', host: string, port: number, cause: unknown) {
    const detail = (cause as { code?: unknown } | undefined)?.code
    super(
      'STREAM_UNREACHABLE',
      `Cannot reach the DingTalk Stream ${what === 'api' ? 'API' : 'WebSocket gateway'} at ${host}:${port}` +
        `${typeof detail === 'string' ? ` (${detail})` : ''}. Allow outbound HTTPS and WebSocket traffic to ` +
        'api.dingtalk.com:443 and wss-open-connection.dingtalk.com:443 through the firewall, or set the `proxy` option.',
      { cause },
    )
    this.name = 'DingTalkStreamUnreachableError'
    this.host = host
    this.port = port
  }
}
