export {
  type DingTalkTelemetry,
  type InstrumentOptions,
  type InstrumentTargets,
  instrument,
  type ObservableClient,
  type ObservableDispatcher,
} from './instrument'
export { ATTRIBUTES, METRICS } from './names'
export type { StreamTelemetryHooks } from './stream-hooks'
