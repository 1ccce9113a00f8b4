import { startApp } from './app'
import { configFromEnv } from './config'

const running = await startApp(configFromEnv(process.env))
console.log(
  `dingtalk-kit Hono example on ${running.url}${running.emulator ? ` (emulator ${running.emulator.url})` : ''}`,
)
const stop = (): void => {
  void running.close().then(() => process.exit(0))
}
process.once('SIGINT', stop)
process.once('SIGTERM', stop)
