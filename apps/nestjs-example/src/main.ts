import 'reflect-metadata'
import { startApp } from './app'
import { configFromEnv } from './config'
import { exporterFromEnv, startTelemetry } from './telemetry'

// DINGTALK_OTEL=console|otlp: spans and metrics of every DingTalk call, refresh and event (unset: none).
const exporter = exporterFromEnv(process.env)
const otel = exporter ? await startTelemetry(exporter, 'dingtalk-kit-nestjs-example') : undefined
const running = await startApp({
  ...configFromEnv(process.env),
  ...(otel ? { telemetry: otel.telemetry } : {}),
})
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
console.log(`NestJS example on ${running.url}`)
if (running.emulator) {
  console.log(`No DINGTALK_* credentials set: using the bundled emulator at ${running.emulator.url}`)
  console.log(`Try a sign-in code: ${running.emulator.issueAuthCode(running.settings.corpId, 'zhangsan')}`)
}
