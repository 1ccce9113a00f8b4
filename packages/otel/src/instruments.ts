import type { Counter, Histogram, Meter } from '@opentelemetry/api'
import { METRICS } from './names'

/** The metric instruments of one `instrument()` call. */
export interface Instruments {
  apiCalls: Counter
  apiErrors: Counter
  apiDuration: Histogram
  apiRetries: Counter
  tokenRefreshes: Counter
  tokenRefreshDuration: Histogram
  deliveries: Counter
  deliveryDuration: Histogram
  deadlineUsage: Histogram
  duplicates: Counter
  handlerDuration: Histogram
  eventErrors: Counter
  storeErrors: Counter
  streamReconnects: Counter
  streamDisconnects: Counter
  streamAcks: Counter
  streamRedeliveries: Counter
}

// The semantic conventions' advice for HTTP durations, in seconds; DingTalk's callback deadline is ~1.5 s.
const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2.5, 5, 7.5, 10]
const RATIO = [0.1, 0.25, 0.5, 0.75, 0.9, 1, 1.5, 2, 5]

export function createInstruments(meter: Meter): Instruments {
  const counter = (name: string, unit: string, description: string): Counter =>
    meter.createCounter(name, { unit, description })
  const seconds = (name: string, description: string): Histogram =>
    meter.createHistogram(name, { unit: 's', description, advice: { explicitBucketBoundaries: SECONDS } })
  return {
    apiCalls: counter(METRICS.apiCalls, '{call}', 'DingTalk API calls'),
    apiErrors: counter(METRICS.apiErrors, '{call}', 'DingTalk API calls that failed'),
    apiDuration: seconds(METRICS.apiDuration, 'Duration of DingTalk API calls, every attempt included'),
    apiRetries: counter(METRICS.apiRetries, '{attempt}', 'Attempts repeated after a transient failure'),
    tokenRefreshes: counter(METRICS.tokenRefreshes, '{refresh}', 'Token and ticket refreshes'),
    tokenRefreshDuration: seconds(METRICS.tokenRefreshDuration, 'Duration of token and ticket refreshes'),
    deliveries: counter(METRICS.deliveries, '{delivery}', 'Callbacks and Stream events received'),
    deliveryDuration: seconds(METRICS.deliveryDuration, 'Time from receiving a delivery to its answer'),
    deadlineUsage: meter.createHistogram(METRICS.deadlineUsage, {
      unit: '1',
      description: 'Delivery duration over the time the transport allowed (1 = at the deadline)',
      advice: { explicitBucketBoundaries: RATIO },
    }),
    duplicates: counter(METRICS.duplicates, '{event}', 'Re-pushed events acknowledged without handlers'),
    handlerDuration: seconds(METRICS.handlerDuration, 'Duration of the handlers of one event'),
    eventErrors: counter(METRICS.eventErrors, '{error}', 'Failures the event pipeline reported'),
    storeErrors: counter(METRICS.storeErrors, '{error}', 'Store failures (errors and timeouts)'),
    streamReconnects: counter(METRICS.streamReconnects, '{reconnect}', 'Stream reconnects scheduled'),
    streamDisconnects: counter(METRICS.streamDisconnects, '{disconnect}', 'Stream connections lost'),
    streamAcks: counter(METRICS.streamAcks, '{ack}', 'Stream ACKs'),
    streamRedeliveries: counter(METRICS.streamRedeliveries, '{frame}', 'Stream redeliveries acknowledged'),
  }
}
