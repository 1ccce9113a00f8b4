import { createServer } from 'node:net'
import type { EmulatorState } from '../state'
import { id, isObject } from './frames'
import type { StreamEmulator, StreamSubscription } from './types'

export const STREAM_OPEN_PATH = '/v1.0/gateway/connections/open'
export const CONNECT_PATH = '/connect'

/** What a ticket stands for: who opened it and what it subscribed to. */
export interface Ticket {
  clientId: string
  subscriptions: StreamSubscription[]
  expiresAt: number
  used: boolean
  ua?: string
}

/** What `connections/open` answers: status, content type and body text. */
export interface OpenAnswer {
  status: number
  contentType: string
  body: string
  /** The request body with the secret removed, for the request log. */
  logBody: unknown
}

// §13.1: "v1.0" APIs answer errors as {code, message, requestid} with an HTTP 4xx.
function v1Error(status: number, code: string, message: string, logBody: unknown): OpenAnswer {
  return {
    status,
    contentType: 'application/json;charset=utf-8',
    body: JSON.stringify({ code, message, requestid: id(8).toUpperCase() }),
    logBody,
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

function subscriptionsOf(value: unknown): StreamSubscription[] | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined
  if (!value.every((s) => isObject(s) && typeof s.type === 'string' && typeof s.topic === 'string'))
    return undefined
  return (value as Record<string, unknown>[]).map((s) => ({ type: String(s.type), topic: String(s.topic) }))
}

/**
 * `POST /v1.0/gateway/connections/open` (§13.1): checks the client secret and hands out one-use tickets
 * for the WebSocket endpoint. Needs no access token: the client secret is the credential.
 */
export class TicketOffice {
  /** Where the WebSocket endpoint lives: the emulator's own origin. */
  baseUrl = ''
  /** Fault: answers left that name an endpoint refusing connections. */
  unreachableLeft = 0
  private readonly tickets = new Map<string, Ticket>()

  constructor(
    private readonly state: EmulatorState,
    private readonly now: () => number,
    private readonly settings: StreamEmulator['settings'],
  ) {}

  async open(method: string, accept: string, bodyText: string): Promise<OpenAnswer> {
    if (method !== 'POST') return v1Error(405, 'MethodNotAllowed', 'use POST', undefined)
    let body: unknown
    try {
      body = JSON.parse(bodyText)
    } catch {
      return v1Error(400, 'InvalidParameter.Body', 'the body is not JSON', `<${bodyText.length} bytes>`)
    }
    const logBody = isObject(body)
      ? { ...body, ...(body.clientSecret === undefined ? {} : { clientSecret: '***' }) }
      : body
    if (!isObject(body))
      return v1Error(400, 'InvalidParameter.Body', 'the body must be a JSON object', logBody)
    const { clientId, clientSecret, ua } = body
    if (
      typeof clientId !== 'string' ||
      clientId === '' ||
      typeof clientSecret !== 'string' ||
      clientSecret === ''
    ) {
      return v1Error(400, 'MissingParameter', 'clientId and clientSecret are required', logBody)
    }
    const secret = this.secretOf(clientId)
    if (secret === undefined || secret !== clientSecret) {
      return v1Error(401, 'InvalidAuthentication', '无效的clientId或者clientSecret', logBody)
    }
    const subscriptions = subscriptionsOf(body.subscriptions)
    if (!subscriptions) {
      const message = 'subscriptions must be a non-empty [{type, topic}]'
      return v1Error(400, 'InvalidParameter.Subscriptions', message, logBody)
    }
    // §13.1: EVENT subscriptions only take the topic `*`.
    if (subscriptions.some((s) => s.type === 'EVENT' && s.topic !== '*')) {
      return v1Error(400, 'InvalidParameter.Subscriptions', 'EVENT only supports the topic *', logBody)
    }
    const ticket = this.issue(clientId, subscriptions, typeof ua === 'string' ? ua : undefined)
    return this.answer(accept, await this.endpoint(), ticket, logBody)
  }

  /** Takes a ticket for its one connection (§13.1: good once, within 90 s); a string says why not. */
  redeem(value: string): Ticket | string {
    const ticket = this.tickets.get(value)
    if (!ticket || ticket.used || ticket.expiresAt <= this.now()) {
      return `the ticket is ${!ticket ? 'unknown' : ticket.used ? 'already used' : 'expired'}`
    }
    ticket.used = true
    this.tickets.delete(value)
    return ticket
  }

  private secretOf(clientId: string): string | undefined {
    for (const org of this.state.orgs.values()) {
      const app = org.apps.get(clientId)
      if (app) return app.appSecret
    }
    return this.state.suites.get(clientId)?.suiteSecret
  }

  private issue(clientId: string, subscriptions: StreamSubscription[], ua: string | undefined): string {
    const ticket = `${id(4)}-${id(2)}-${id(2)}-${id(2)}-${id(6)}`
    this.tickets.set(ticket, {
      clientId,
      subscriptions,
      expiresAt: this.now() + this.settings.ticketTtlMs,
      used: false,
      ...(ua === undefined ? {} : { ua }),
    })
    return ticket
  }

  private async endpoint(): Promise<string> {
    if (this.unreachableLeft > 0) {
      this.unreachableLeft--
      return `ws://127.0.0.1:${await freePort()}${CONNECT_PATH}`
    }
    return `${this.baseUrl.replace(/^http/, 'ws')}${CONNECT_PATH}`
  }

  private answer(accept: string, endpoint: string, ticket: string, logBody: unknown): OpenAnswer {
    // N: without `Accept: application/json` DingTalk answers XML.
    if (!accept.includes('application/json')) {
      return {
        status: 200,
        contentType: 'application/xml;charset=utf-8',
        body: `<OpenConnectionResponse><endpoint>${endpoint}</endpoint><ticket>${ticket}</ticket></OpenConnectionResponse>`,
        logBody,
      }
    }
    return {
      status: 200,
      contentType: 'application/json;charset=utf-8',
      body: JSON.stringify({ endpoint, ticket }),
      logBody,
    }
  }
}
