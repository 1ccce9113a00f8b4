import {
  type ClientObserver,
  createDingTalkClient,
  type DingTalkClient,
  type ObservedCall,
} from '@dingtalk-kit/core'
import { defaultFixture, startEmulator } from '@dingtalk-kit/emulator'
import { instrument } from '@dingtalk-kit/otel'
import { context } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import {
  MeterProvider,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
} from '@opentelemetry/sdk-metrics'
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base'
import { type BenchOptions, type Comparison, compare, LOOPBACK_ROUNDS, median } from './lib'

const org = defaultFixture.orgs[0]!
const app = org.apps![0]!

// Exporters that accept and drop everything: the SDK does all its work (spans built, batched, metrics
// aggregated and collected), only the network is left out.
const SUCCESS = { code: 0 } as const
const dropSpans: SpanExporter = {
  export: (_spans, done) => done(SUCCESS),
  shutdown: async () => {},
}
const dropMetrics: PushMetricExporter = {
  export: (_metrics, done) => done(SUCCESS),
  forceFlush: async () => {},
  shutdown: async () => {},
}

/** The SDK as a production app registers it: batched spans, metrics read every second, the context manager. */
function productionSdk(): {
  tracerProvider: BasicTracerProvider
  meterProvider: MeterProvider
  shutdown(): Promise<void>
} {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(dropSpans)] })
  const reader = new PeriodicExportingMetricReader({ exporter: dropMetrics, exportIntervalMillis: 1000 })
  const meterProvider = new MeterProvider({ readers: [reader] })
  return {
    tracerProvider,
    meterProvider,
    async shutdown() {
      await Promise.all([tracerProvider.shutdown(), meterProvider.shutdown()])
      context.disable()
    },
  }
}

/** The overhead as CPU time, which a machine busy with other work inflates far less than wall time. */
export interface CpuFigure {
  name: string
  /** Median CPU time (user + system) per call, µs. */
  onMicros: number
  offMicros: number
}

/** What {@link benchOtel} measures: the ratios, and CPU per call of each side. */
export interface OtelResult {
  comparisons: Comparison[]
  cpu: CpuFigure[]
}

/** CPU µs per call of `on` and of `off`, medians over rounds that alternate between them. */
async function cpuPerCall(
  name: string,
  on: () => Promise<unknown>,
  off: () => Promise<unknown>,
  options: BenchOptions,
): Promise<CpuFigure> {
  const calls = options.quick ? 200 : 2000
  const round = async (fn: () => Promise<unknown>): Promise<number> => {
    const before = process.cpuUsage()
    for (let i = 0; i < calls; i++) await fn()
    const used = process.cpuUsage(before)
    return (used.user + used.system) / calls
  }
  const ons: number[] = []
  const offs: number[] = []
  for (let r = 0; r < (options.quick ? 3 : 9); r++) {
    ons.push(await round(on))
    offs.push(await round(off))
  }
  return { name, onMicros: median(ons), offMicros: median(offs) }
}

/**
 * `@dingtalk-kit/otel`'s overhead: the same client call with instrumentation on (a span and its metrics per
 * call, through the OpenTelemetry SDK) and off, interleaved in one run — against the emulator, and against a
 * `fetch` answered in-process, where nothing but the client's own work is left to hide the cost.
 *
 * @example
 * ```ts
 * const { comparisons, cpu } = await benchOtel({ quick: true })
 * ```
 */
export async function benchOtel(options: BenchOptions): Promise<OtelResult> {
  const sdk = productionSdk()
  const emu = await startEmulator({ suiteTicketIntervalMs: 0 })
  const answer = JSON.stringify({ errcode: 0, errmsg: 'ok', result: { userid: 'zhangsan', name: '张三' } })
  const inProcess: typeof fetch = async (input) =>
    String(input).includes('/gettoken')
      ? Response.json({ errcode: 0, access_token: 'bench-token', expires_in: 7200 })
      : new Response(answer, { headers: { 'content-type': 'application/json' } })
  const pair = async (stub?: typeof fetch): Promise<[DingTalkClient, DingTalkClient]> => {
    const make = () =>
      createDingTalkClient(
        { appKey: app.appKey, appSecret: app.appSecret },
        { baseUrl: emu.url, ...(stub === undefined ? {} : { fetch: stub }) },
      )
    const on = make()
    const off = make()
    instrument({ client: on, tracerProvider: sdk.tracerProvider, meterProvider: sdk.meterProvider })
    await Promise.all([on.getAccessToken(), off.getAccessToken()])
    return [on, off]
  }
  const json = { userid: 'zhangsan', language: 'zh_CN' }
  const call = (client: DingTalkClient) => () => {
    emu.log.length = 0
    return client.request({ path: '/topapi/v2/user/get', json })
  }
  try {
    const out: Comparison[] = []
    const cpu: CpuFigure[] = []
    const [on, off] = await pair()
    out.push(
      await compare(
        'otel: client POST /topapi/v2/user/get instrumented vs not (emulator)',
        { name: 'instrument({ client }) on', fn: call(on) },
        { name: 'no instrumentation', fn: call(off) },
        { ...options, ...LOOPBACK_ROUNDS, goal: 0.9 },
      ),
    )
    cpu.push(await cpuPerCall('emulator', call(on), call(off), options))
    const [onLocal, offLocal] = await pair(inProcess)
    out.push(
      await compare(
        'otel: client POST instrumented vs not (fetch answered in-process)',
        { name: 'instrument({ client }) on', fn: call(onLocal) },
        { name: 'no instrumentation', fn: call(offLocal) },
        options,
      ),
    )
    cpu.push(await cpuPerCall('fetch answered in-process', call(onLocal), call(offLocal), options))
    // The observer alone, around a call that does nothing: what instrumentation costs, without any client.
    let observer: ClientObserver | undefined
    instrument({
      client: {
        observe(o) {
          observer = o
          return () => {}
        },
      },
      tracerProvider: sdk.tracerProvider,
      meterProvider: sdk.meterProvider,
    })
    const subject: ObservedCall = {
      api: 'oapi',
      method: 'POST',
      path: '/topapi/v2/user/get',
      attempts: 1,
      retries: 0,
      replayed: false,
      status: 200,
      errcode: 0,
      subCode: undefined,
      apiCode: undefined,
      requestId: 'bench',
    }
    const nothing = async () => undefined
    cpu.push(await cpuPerCall('observer alone', () => observer!.call!(subject, nothing), nothing, options))
    return { comparisons: out, cpu }
  } finally {
    await emu.close()
    await sdk.shutdown()
  }
}
