import { startApp } from './app'
import { configFromEnv } from './config'
import { exporterFromEnv, startTelemetry } from './telemetry'

const config = configFromEnv(process.env)
// DINGTALK_OTEL=console|otlp: spans and metrics of every DingTalk call, refresh and event (unset: none).
const exporter = exporterFromEnv(process.env)
const otel = exporter ? await startTelemetry(exporter, 'dingtalk-kit-koa-example') : undefined
const running = await startApp({ ...config, ...(otel ? { telemetry: otel.telemetry } : {}) })
// Ctrl-C closes the app (in-flight work finished, telemetry flushed). Set before the banner: whoever reads the
// banner may stop the process at once.
const stop = (): void => {
  void running
    .close()
    .then(() => otel?.shutdown())
    .then(() => process.exit(0))
}
process.once('SIGINT', stop)
process.once('SIGTERM', stop)
console.log(`Koa example on ${running.url}, events over ${config.mode ?? 'http'}`)
if (running.emulator) {
  console.log(`No DINGTALK_* credentials set: using the bundled emulator at ${running.emulator.url}`)
  console.log(`Try a sign-in code: ${running.emulator.issueAuthCode(running.settings.corpId, 'zhangsan')}`)
}
