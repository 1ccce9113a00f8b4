import { type ChildProcess, fork } from 'node:child_process'
import { once } from 'node:events'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { createStreamClient } from '@dingtalk-kit/stream'
// The official Node Stream SDK, pinned: the client most Stream apps run today.
import { DWClient, EventAck } from 'dingtalk-stream'
import { WebSocket } from 'ws'
import { type BenchOptions, type Comparison, type Measurement, median } from './lib'
import { type GatewayCommand, type GatewayReport, STREAM_APPS } from './stream-gateway'

/** A Stream consumer under test: connected before the rounds, counting the events it handled. */
interface Consumer {
  name: string
  clientId: string
  handled: number
  close(): Promise<void>
}

type Axios = {
  interceptors: { request: { use(fn: (config: { url?: string }) => { url?: string }): number } }
}

const [OURS, BARE, OFFICIAL] = STREAM_APPS as [
  (typeof STREAM_APPS)[0],
  (typeof STREAM_APPS)[0],
  (typeof STREAM_APPS)[0],
]

async function ours(url: string): Promise<Consumer> {
  const stream = createStreamClient({ clientId: OURS.appKey, clientSecret: OURS.appSecret, apiBaseUrl: url })
  const consumer: Consumer = {
    name: '@dingtalk-kit/stream',
    clientId: OURS.appKey,
    handled: 0,
    close: () => stream.close(),
  }
  stream.on('user_modify_org', () => {
    consumer.handled++ // a trivial handler
  })
  await stream.start()
  return consumer
}

/** The floor: connections/open, a WebSocket, and per frame `JSON.parse` + the ACK, nothing else. */
async function bare(url: string): Promise<Consumer> {
  const opened = await fetch(`${url}/v1.0/gateway/connections/open`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({
      clientId: BARE.appKey,
      clientSecret: BARE.appSecret,
      subscriptions: [{ type: 'EVENT', topic: '*' }],
    }),
  })
  const { endpoint, ticket } = (await opened.json()) as { endpoint: string; ticket: string }
  const ws = new WebSocket(`${endpoint}?ticket=${encodeURIComponent(ticket)}`, { perMessageDeflate: false })
  const consumer: Consumer = {
    name: 'bare ws loop (parse + ACK)',
    clientId: BARE.appKey,
    handled: 0,
    close: async () => {
      ws.close()
      await once(ws, 'close')
    },
  }
  ws.on('message', (raw) => {
    const frame = JSON.parse(raw.toString()) as { headers: { messageId: string } }
    consumer.handled++
    ws.send(
      JSON.stringify({
        code: 200,
        message: 'OK',
        headers: { messageId: frame.headers.messageId, contentType: 'application/json' },
        data: '{"status":"SUCCESS","message":"OK"}',
      }),
    )
  })
  await once(ws, 'open')
  return consumer
}

/**
 * The SDK's URLs are constants; its HTTP calls go through its own `axios`, whose ESM instance (the one its ESM
 * build imports) gets an interceptor pointing them at the emulator, as in the emulator's own SDK test.
 */
async function redirectSdkTo(url: string): Promise<void> {
  const require = createRequire(import.meta.url)
  const sdkRequire = createRequire(require.resolve('dingtalk-stream'))
  const axiosDir = dirname(sdkRequire.resolve('axios/package.json'))
  const { default: axios } = (await import(pathToFileURL(join(axiosDir, 'index.js')).href)) as {
    default: Axios
  }
  axios.interceptors.request.use((config) => {
    if (config.url?.startsWith('https://api.dingtalk.com/')) config.url = url + config.url.slice(24)
    else if (config.url?.startsWith('https://oapi.dingtalk.com/')) config.url = url + config.url.slice(25)
    return config
  })
}

async function official(url: string): Promise<Consumer> {
  await redirectSdkTo(url)
  const client = new DWClient({ clientId: OFFICIAL.appKey, clientSecret: OFFICIAL.appSecret })
  const consumer: Consumer = {
    name: 'dingtalk-stream 2.1.5 (official)',
    clientId: OFFICIAL.appKey,
    handled: 0,
    close: async () => client.disconnect(),
  }
  client.registerAllEventListener(() => {
    consumer.handled++
    return { status: EventAck.SUCCESS }
  })
  await client.connect()
  return consumer
}

function startGateway(): Promise<{
  child: ChildProcess
  url: string
  ask(command: GatewayCommand): Promise<GatewayReport>
}> {
  const child = fork(fileURLToPath(new URL('./stream-gateway.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, DINGTALK_KIT_BENCH_GATEWAY: '1' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const ask = (command: GatewayCommand): Promise<GatewayReport> =>
    new Promise((resolve) => {
      child.once('message', resolve)
      child.send(command)
    })
  return new Promise((resolve, reject) => {
    child.once('message', (report: GatewayReport) => {
      if (report.type === 'ready') resolve({ child, url: report.url, ask })
    })
    child.once('error', reject)
  })
}

const measurement = (name: string, rates: number[]): Measurement => ({
  name,
  opsPerSec: median(rates),
  min: Math.min(...rates),
  max: Math.max(...rates),
})

/** What {@link benchStream} measures. */
export interface StreamBenchResult {
  comparisons: Comparison[]
  /** Median CPU time per event (µs, user + system) of each client's process, and of the emulator's. */
  cpuMicrosPerEvent: { name: string; value: number }[]
  events: number
  rounds: number
}

/**
 * Events/s through our Stream client (typed events, de-duplication, ACK after a trivial handler) against a
 * bare `ws` loop that only parses and ACKs, and against the official `dingtalk-stream` client, all three on the
 * same emulator (in a process of its own) in the same run. A round pushes a backlog of events to one consumer
 * and times it from the first frame to the last ACK; the consumers take turns, the order rotating each round;
 * each ratio is the median of the per-round ratios.
 */
export async function benchStream(options: BenchOptions): Promise<StreamBenchResult> {
  // A round of 2,000 events lasted ~0.1 s, and single rounds swung ±40% with the machine: longer and more rounds.
  const events = options.quick ? 500 : 6000
  const rounds = options.quick ? 2 : 11
  const gateway = await startGateway()
  const consumers = [await ours(gateway.url), await bare(gateway.url), await official(gateway.url)]
  const rates = new Map<Consumer, number[]>(consumers.map((c) => [c, []]))
  const cpu = new Map<Consumer, number[]>(consumers.map((c) => [c, []]))
  const gatewayCpu: number[] = []
  try {
    const round = async (consumer: Consumer, counted: boolean): Promise<void> => {
      const before = consumer.handled
      const used = process.cpuUsage()
      const report = await gateway.ask({ cmd: 'round', clientId: consumer.clientId, events })
      const { user, system } = process.cpuUsage(used)
      if (report.type !== 'round' || report.failed > 0 || report.redelivered > 0) {
        throw new Error(
          `${consumer.name}: a round did not end with every event ACKed once (${JSON.stringify(report)})`,
        )
      }
      if (consumer.handled - before !== events) {
        throw new Error(`${consumer.name} handled ${consumer.handled - before} of ${events} events`)
      }
      if (!counted) return
      rates.get(consumer)!.push(report.eventsPerSec)
      // Only the consumer under test is busy in this process during its round.
      cpu.get(consumer)!.push((user + system) / events)
      gatewayCpu.push(report.cpuMicrosPerEvent)
    }
    for (const consumer of consumers) await round(consumer, false) // warm-up
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < consumers.length; i++) await round(consumers[(r + i) % consumers.length]!, true)
    }
  } finally {
    for (const consumer of consumers) await consumer.close()
    const exited = once(gateway.child, 'exit')
    gateway.child.send({ cmd: 'exit' } satisfies GatewayCommand)
    await exited
  }
  const [ourClient, bareLoop, officialClient] = consumers as [Consumer, Consumer, Consumer]
  const note = `${rounds} rounds of ${events.toLocaleString('en')} events each; ratio: median of the per-round ratios`
  const versus = (baseline: Consumer, group: string, goal: number): Comparison => {
    const mine = rates.get(ourClient)!
    const theirs = rates.get(baseline)!
    return {
      group,
      candidate: measurement(ourClient.name, mine),
      baseline: measurement(baseline.name, theirs),
      ratio: median(mine.map((rate, r) => rate / theirs[r]!)),
      goal,
      note,
    }
  }
  const comparisons = [
    versus(bareLoop, 'Stream events/s: our client vs a bare ws loop doing parse + ACK only', 0.9),
    versus(officialClient, 'Stream events/s: our client vs the official dingtalk-stream client', 1),
  ]
  return {
    comparisons,
    cpuMicrosPerEvent: [
      ...consumers.map((c) => ({ name: c.name, value: median(cpu.get(c)!) })),
      { name: 'the emulator pushing (its own process)', value: median(gatewayCpu) },
    ],
    events,
    rounds,
  }
}
