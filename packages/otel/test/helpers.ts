import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { DingTalkRoutes } from '@dingtalk-kit/core'
import { type AttributeValue, context } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import {
  type DataPoint,
  type Histogram,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base'

/** The context manager every Node SDK setup registers: it carries the active span across `await`. */
export function useAsyncContext(): () => void {
  const manager = new AsyncLocalStorageContextManager().enable()
  context.setGlobalContextManager(manager)
  return () => {
    context.disable()
  }
}

/** A flattened metric data point: the metric's name, its attributes and its value (sum or histogram count). */
export interface Point {
  name: string
  attributes: Record<string, AttributeValue | undefined>
  value: number
  /** Histograms: the sum of the recorded values. */
  sum?: number
}

/** The OpenTelemetry SDK with its in-memory exporters, as the tests read it. */
export interface TestTelemetry {
  tracerProvider: BasicTracerProvider
  meterProvider: MeterProvider
  spans(): ReadableSpan[]
  /** Collects the metrics now (cumulative) and flattens them. */
  points(): Promise<Point[]>
  /** Every attribute value of every span (its events included) and metric point. */
  allAttributeValues(): Promise<{ where: string; value: string }[]>
  reset(): void
  shutdown(): Promise<void>
}

export function testTelemetry(): TestTelemetry {
  const spanExporter = new InMemorySpanExporter()
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spanExporter)] })
  const metricExporter = new InMemoryMetricExporter(0) // AggregationTemporality.CUMULATIVE
  // Exports only when flushed: the tests read metrics at the points they choose.
  const reader = new PeriodicExportingMetricReader({
    exporter: metricExporter,
    exportIntervalMillis: 3_600_000,
  })
  const meterProvider = new MeterProvider({ readers: [reader] })
  const points = async (): Promise<Point[]> => {
    await reader.forceFlush()
    const latest: ResourceMetrics | undefined = metricExporter.getMetrics().at(-1)
    const out: Point[] = []
    for (const scope of latest?.scopeMetrics ?? []) {
      for (const metric of scope.metrics) {
        for (const point of metric.dataPoints as DataPoint<number | Histogram>[]) {
          const { value } = point
          out.push(
            typeof value === 'number'
              ? { name: metric.descriptor.name, attributes: point.attributes, value }
              : {
                  name: metric.descriptor.name,
                  attributes: point.attributes,
                  value: value.count,
                  sum: value.sum,
                },
          )
        }
      }
    }
    return out
  }
  return {
    tracerProvider,
    meterProvider,
    spans: () => spanExporter.getFinishedSpans(),
    points,
    async allAttributeValues() {
      const values: { where: string; value: string }[] = []
      const add = (where: string, value: AttributeValue | undefined) => {
        for (const item of [value].flat()) if (item != null) values.push({ where, value: String(item) })
      }
      for (const span of spanExporter.getFinishedSpans()) {
        values.push({ where: `span name`, value: span.name })
        if (span.status.message) values.push({ where: `${span.name} status`, value: span.status.message })
        for (const [key, value] of Object.entries(span.attributes)) add(`${span.name} ${key}`, value)
        for (const event of span.events) {
          values.push({ where: `${span.name} event`, value: event.name })
          for (const [key, value] of Object.entries(event.attributes ?? {}))
            add(`${span.name} event ${key}`, value)
        }
      }
      for (const point of await points()) {
        for (const [key, value] of Object.entries(point.attributes)) add(`${point.name} ${key}`, value)
      }
      return values
    },
    reset() {
      spanExporter.reset()
    },
    async shutdown() {
      await tracerProvider.shutdown()
      await meterProvider.shutdown()
    },
  }
}

/** The sum of the values of the points of `name` whose attributes include `match`. */
export function total(points: Point[], name: string, match: Record<string, AttributeValue> = {}): number {
  return points
    .filter((p) => p.name === name && Object.entries(match).every(([k, v]) => p.attributes[k] === v))
    .reduce((sum, p) => sum + p.value, 0)
}

/**
 * The spans of one trace as an indented tree of names (children in start order), e.g. for
 * docs/observability.md; `details` adds lines under a span (its attributes), indented with it.
 */
export function renderTree(
  spans: readonly ReadableSpan[],
  root: ReadableSpan,
  show: (s: ReadableSpan) => string = (s) => s.name,
  details: (s: ReadableSpan) => string[] = () => [],
): string {
  const lines: string[] = []
  const walk = (span: ReadableSpan, depth: number) => {
    lines.push(`${'  '.repeat(depth)}${show(span)}`)
    for (const line of details(span)) lines.push(`${'  '.repeat(depth)}│ ${line}`)
    const children = spans
      .filter((s) => s.parentSpanContext?.spanId === span.spanContext().spanId)
      .sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1])
    for (const child of children) walk(child, depth + 1)
  }
  walk(root, 0)
  return lines.join('\n')
}

/** Serves DingTalk routes on node:http (port 0), converting requests to Web `Request`s. */
export async function serveRoutes(routes: DingTalkRoutes): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', async () => {
      const headers = new Headers()
      for (const [key, value] of Object.entries(req.headers))
        if (typeof value === 'string') headers.set(key, value)
      const body = chunks.length === 0 ? undefined : Buffer.concat(chunks)
      const request = new Request(`http://127.0.0.1${req.url ?? '/'}`, {
        method: req.method ?? 'GET',
        headers,
        body,
      })
      const response = (await routes.fetch(request)) ?? new Response('not found', { status: 404 })
      res.writeHead(response.status, Object.fromEntries(response.headers))
      res.end(Buffer.from(await response.arrayBuffer()))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
