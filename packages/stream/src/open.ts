import { type Agent, request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { DingTalkStreamCredentialsError, DingTalkStreamError, DingTalkStreamUnreachableError } from './errors'

/** A subscription sent to `connections/open` (§13.1). */
export interface Subscription {
  type: 'EVENT' | 'CALLBACK' | 'SYSTEM'
  topic: string
}

export interface OpenRequest {
  apiBaseUrl: string
  clientId: string
  clientSecret: string
  subscriptions: Subscription[]
  ua: string
  timeoutMs: number
  agent: Agent | undefined
  signal: AbortSignal
}

export interface OpenedTicket {
  endpoint: string
  ticket: string
}

const MAX_ANSWER_BYTES = 64 * 1024

function portOf(url: URL): number {
  return Number(url.port) || (url.protocol === 'https:' || url.protocol === 'wss:' ? 443 : 80)
}

/** `POST {apiBaseUrl}/v1.0/gateway/connections/open` (§13.1): one fresh ticket per connection. */
export function openConnection(req: OpenRequest): Promise<OpenedTicket> {
  const url = new URL('/v1.0/gateway/connections/open', req.apiBaseUrl)
  const body = JSON.stringify({
    clientId: req.clientId,
    clientSecret: req.clientSecret,
    subscriptions: req.subscriptions,
    ua: req.ua,
  })
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise<OpenedTicket>((resolve, reject) => {
    const unreachable = (cause: unknown): void =>
      reject(new DingTalkStreamUnreachableError('api', url.hostname, portOf(url), cause))
    const client = send(url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        // §13.1 (N): without it DingTalk answers XML.
        Accept: 'application/json',
        'Content-Length': Buffer.byteLength(body),
      },
      timeout: req.timeoutMs,
      signal: req.signal,
      ...(req.agent ? { agent: req.agent } : {}),
    })
    client.on('timeout', () => client.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })))
    client.on('error', (error) => {
      if (req.signal.aborted) reject(new DingTalkStreamError('STREAM_CLOSED', 'The Stream client was closed'))
      else unreachable(error)
    })
    client.on('response', (res) => {
      const chunks: Buffer[] = []
      let size = 0
      res.on('data', (chunk: Buffer) => {
        size += chunk.length
        if (size > MAX_ANSWER_BYTES) res.destroy(new Error('answer too large'))
        else chunks.push(chunk)
      })
      res.on('error', unreachable)
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        let json: Record<string, unknown> | undefined
        try {
          const parsed: unknown = JSON.parse(text)
          if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
            json = parsed as Record<string, unknown>
        } catch {
          json = undefined
        }
        const status = res.statusCode ?? 0
        const apiCode = typeof json?.code === 'string' ? json.code : undefined
        const requestId = typeof json?.requestid === 'string' ? json.requestid : undefined
        if (
          status === 401 ||
          status === 403 ||
          (status === 400 && /auth|secret|client/i.test(apiCode ?? ''))
        ) {
          reject(new DingTalkStreamCredentialsError(req.clientId, status, apiCode, requestId))
          return
        }
        if (status !== 200 || typeof json?.endpoint !== 'string' || typeof json.ticket !== 'string') {
          const why =
            status !== 200
              ? `HTTP ${status}${apiCode ? ` ${apiCode}` : ''}`
              : 'an answer without endpoint and ticket'
          reject(
            new DingTalkStreamError(
              'STREAM_OPEN_FAILED',
              `connections/open at ${url.host} gave ${why}${requestId ? ` (requestid ${requestId})` : ''}`,
            ),
          )
          return
        }
        resolve({ endpoint: json.endpoint, ticket: json.ticket })
      })
    })
    client.end(body)
  })
}

/** The WebSocket URL of a ticket, the ticket URL-encoded (§13.1). */
export function connectUrl(opened: OpenedTicket): URL {
  let url: URL | undefined
  try {
    url = new URL(opened.endpoint)
  } catch {
    url = undefined
  }
  if (url?.protocol !== 'ws:' && url?.protocol !== 'wss:') {
    throw new DingTalkStreamError(
      'STREAM_OPEN_FAILED',
      'connections/open answered an endpoint that is not a ws(s):// URL',
    )
  }
  url.searchParams.set('ticket', opened.ticket)
  return url
}

export { portOf }
