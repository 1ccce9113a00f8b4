import { startApp } from './app'
import { configFromEnv } from './config'

const config = configFromEnv(process.env)
const running = await startApp(config)
console.log(
  `dingtalk-kit Hono example on ${running.url}, events over ${config.mode ?? 'http'}` +
    `${running.emulator ? ` (emulator ${running.emulator.url})` : ''}`,
)
const stop = (): void => {
  void running.close().then(() => process.exit(0))
}
process.once('SIGINT', stop)
process.once('SIGTERM', stop)
