import 'reflect-metadata'
import { startApp } from './app'
import { configFromEnv } from './config'

const running = await startApp(configFromEnv(process.env))
console.log(`NestJS example on ${running.url}`)
if (running.emulator) {
  console.log(`No DINGTALK_* credentials set: using the bundled emulator at ${running.emulator.url}`)
  console.log(`Try a sign-in code: ${running.emulator.issueAuthCode(running.settings.corpId, 'zhangsan')}`)
}

const stop = (): void => {
  void running.close().then(() => process.exit(0))
}
process.once('SIGINT', stop)
process.once('SIGTERM', stop)
