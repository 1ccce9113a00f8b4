import type { DingTalkTelemetry } from '@dingtalk-kit/otel'

// The same file as the Koa and Hono examples' (but for the service name): each example stands alone, so that
// one copied out of this repository brings its whole telemetry setup.

type Env = Readonly<Record<string, string | undefined>>

/**
 * Where spans and metrics go: printed on stdout, or sent to an OTLP/HTTP endpoint.
 *
 * @example
 * ```ts
 * const exporter: TelemetryExporter = 'console'
 * ```
 */
export type TelemetryExporter = 'console' | 'otlp'

/**
 * A started OpenTelemetry SDK and the handle of `instrument()`, from {@link startTelemetry}.
 *
 * @example
 * ```ts
 * const otel: ExampleTelemetry = await startTelemetry('otlp', 'my-app')
 * ```
 */
export interface ExampleTelemetry {
  /** Observes the app's clients and routes (`telemetry.add({ client, routes })`); its `streamHooks` go to the Stream client. */
  telemetry: DingTalkTelemetry
  /** Exports what is left and stops the SDK. */
  shutdown(): Promise<void>
}

/**
 * `DINGTALK_OTEL`: `console`, `otlp`, or unset (no telemetry: nothing of OpenTelemetry is even loaded).
 *
 * @example
 * ```ts
 * exporterFromEnv({ DINGTALK_OTEL: 'otlp' }) // 'otlp'
 * ```
 */
export function exporterFromEnv(env: Env): TelemetryExporter | undefined {
  const value = env.DINGTALK_OTEL
  if (value === undefined || value === '') return undefined
  if (value !== 'console' && value !== 'otlp') throw new Error('DINGTALK_OTEL must be console or otlp')
  return value
}

/**
 * Starts the OpenTelemetry SDK — a tracer provider with the AsyncLocalStorage context manager (so a handler's
 * API calls join the callback's trace) and a meter provider — exporting to the console or over OTLP/HTTP
 * (`OTEL_EXPORTER_OTLP_ENDPOINT`, default `http://localhost:4318`; the exporters read the standard `OTEL_*`
 * variables), and returns `instrument()`'s handle. The SDK is imported here, on demand.
 *
 * @example
 * ```ts
 * const otel = await startTelemetry('console', 'my-app')
 * otel.telemetry.add({ client, routes: dt.dingtalk })
 * await otel.shutdown()
 * ```
 */
export async function startTelemetry(
  exporter: TelemetryExporter,
  serviceName: string,
): Promise<ExampleTelemetry> {
  const [{ instrument }, api, resources, metrics, traces] = await Promise.all([
    import('@dingtalk-kit/otel'),
    import('@opentelemetry/api'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/sdk-metrics'),
    import('@opentelemetry/sdk-trace-node'),
  ])
  const resource = resources.resourceFromAttributes({
    'service.name': process.env.OTEL_SERVICE_NAME ?? serviceName,
  })
  let spanProcessor: import('@opentelemetry/sdk-trace-node').SpanProcessor
  let metricExporter: import('@opentelemetry/sdk-metrics').PushMetricExporter
  if (exporter === 'console') {
    // Printed as each span ends, so a short run shows its trace at once.
    spanProcessor = new traces.SimpleSpanProcessor(new traces.ConsoleSpanExporter())
    metricExporter = new metrics.ConsoleMetricExporter()
  } else {
    const [{ OTLPTraceExporter }, { OTLPMetricExporter }] = await Promise.all([
      import('@opentelemetry/exporter-trace-otlp-http'),
      import('@opentelemetry/exporter-metrics-otlp-http'),
    ])
    spanProcessor = new traces.BatchSpanProcessor(new OTLPTraceExporter())
    metricExporter = new OTLPMetricExporter()
  }
  const tracerProvider = new traces.NodeTracerProvider({ resource, spanProcessors: [spanProcessor] })
  tracerProvider.register() // the global tracer provider, the context manager and W3C propagation
  const reader = new metrics.PeriodicExportingMetricReader({ exporter: metricExporter })
  const meterProvider = new metrics.MeterProvider({ resource, readers: [reader] })
  api.metrics.setGlobalMeterProvider(meterProvider)
  const telemetry = instrument({ tracerProvider, meterProvider })
  return {
    telemetry,
    async shutdown() {
      telemetry.detach()
      await Promise.all([tracerProvider.shutdown(), meterProvider.shutdown()])
    },
  }
}
