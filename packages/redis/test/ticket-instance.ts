// One app instance signing dd.config pages in its own Node process, driven by ticket-instances.test.ts over IPC.
import { createDingTalkClient } from '@dingtalk-kit/core'
import { Redis } from 'ioredis'
import { redisStore } from '../src/index'

export type TicketOrder =
  | { cmd: 'sign'; ms: number; signers: number; url: string }
  | { cmd: 'advance'; ms: number }
  | { cmd: 'invalidate' }

export type TicketCommand = { id: number } & TicketOrder

/** One dd.config: when its signing began (wall clock) and what the browser would get. */
export interface Signed {
  at: number
  nonceStr: string
  timeStamp: string
  signature: string
}

export type TicketReport =
  | { type: 'ready'; pid: number }
  | { type: 'signed'; id: number; configs: Signed[]; errors: string[] }
  | { type: 'done'; id: number }

const env = (name: string): string => {
  const value = process.env[name]
  if (value === undefined) throw new Error(`${name} is not set`)
  return value
}

let offset = 0
const redis = new Redis(env('REDIS_URL'))
redis.on('error', () => undefined)
const client = createDingTalkClient(
  { appKey: env('APP_KEY'), appSecret: env('APP_SECRET'), corpId: env('CORP_ID') },
  {
    baseUrl: env('BASE_URL'),
    agentId: env('AGENT_ID'),
    store: redisStore({ client: redis, keyPrefix: env('KEY_PREFIX'), timeoutMs: 2000 }),
    tokens: { pollIntervalMs: 20, now: () => Date.now() + offset },
  },
)

async function sign(ms: number, signers: number, url: string): Promise<TicketReport> {
  const configs: Signed[] = []
  const errors: string[] = []
  const until = Date.now() + ms
  const signer = async (): Promise<void> => {
    while (Date.now() < until) {
      const at = Date.now()
      try {
        const config = await client.jsapi.createConfig({ url, jsApiList: ['biz.util.open'] })
        configs.push({
          at,
          nonceStr: config.nonceStr,
          timeStamp: config.timeStamp,
          signature: config.signature,
        })
      } catch (error) {
        errors.push(String((error as { code?: unknown }).code ?? error))
      }
      // A page load now and then, not a busy loop: 8 of these share 2 cores.
      await new Promise((resolve) => setTimeout(resolve, 3))
    }
  }
  await Promise.all(Array.from({ length: signers }, signer))
  return { type: 'signed', id: 0, configs, errors }
}

process.on('message', (message: TicketCommand) => {
  void (async () => {
    let report: TicketReport
    if (message.cmd === 'sign') report = await sign(message.ms, message.signers, message.url)
    else if (message.cmd === 'advance') {
      offset += message.ms
      report = { type: 'done', id: 0 }
    } else {
      // What an app does when a browser reports 52013 for the ticket it was given.
      await client.invalidateJsapiTicket(await client.getJsapiTicket())
      report = { type: 'done', id: 0 }
    }
    process.send?.({ ...report, id: message.id })
  })()
})

await redis.ping()
process.send?.({ type: 'ready', pid: process.pid } satisfies TicketReport)
