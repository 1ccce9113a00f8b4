import { startApp } from './app'
import { configFromEnv } from './config'

const config = configFromEnv(process.env)
const running = await startApp(config)
console.log(`Koa example on ${running.url}, events over ${config.mode ?? 'http'}`)
if (running.emulator) {
  console.log(`No DINGTALK_* credentials set: using the bundled emulator at ${running.emulator.url}`)
  console.log(`Try a sign-in code: ${running.emulator.issueAuthCode(running.settings.corpId, 'zhangsan')}`)
}

const stop = (): void => {
  void running.close().then(() => process.exit(0))
}
process.once('SIGINT', stop)
process.once('SIGTERM', stop)
