import { startApp as startKoa } from 'dingtalk-kit-koa-example/src/app'

/** The corp app and suite credentials every example app is started with (all pointed at one emulator). */
export interface DemoSettings {
  baseUrl: string
  appKey: string
  appSecret: string
  corpId: string
  agentId: number
  callbackToken: string
  callbackAesKey: string
  suite: { suiteKey: string; suiteSecret: string; token: string; aesKey: string }
}

/** An example app as the demo drives it: the same routes in NestJS, Koa and Hono. */
export interface DemoApp {
  name: string
  url: string
  /** Registers `{url}/dingtalk/callback` with DingTalk (which checks it with check_url). */
  registerCallback(): Promise<void>
  close(): Promise<void>
}

export async function startExampleApps(settings: DemoSettings): Promise<DemoApp[]> {
  const started: DemoApp[] = []
  try {
    const koa = await startKoa({ dingtalk: settings, port: 0, registerCallback: false })
    started.push({ name: 'Koa', url: koa.url, registerCallback: koa.registerCallback, close: koa.close })
  } catch (error) {
    await Promise.all(started.map((app) => app.close()))
    throw error
  }
  return started
}
