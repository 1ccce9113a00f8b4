import { DingTalkApiError, type DingTalkClient } from '@dingtalk-kit/core'
import { startApp as startHono } from 'dingtalk-kit-hono-example/src/app'
import { type RunningApp, startApp as startKoa } from 'dingtalk-kit-koa-example/src/app'
import { startApp as startNest } from 'dingtalk-kit-nestjs-example/src/app'

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
  name: 'NestJS' | 'Koa' | 'Hono'
  url: string
  /** Registers `{url}/dingtalk/callback` with DingTalk (which checks it with check_url). */
  registerCallback(): Promise<void>
  close(): Promise<void>
}

async function register(client: DingTalkClient, settings: DemoSettings, url: string): Promise<void> {
  const registration = {
    tags: ['user_add_org', 'user_modify_org', 'user_leave_org', 'bpms_instance_change', 'bpms_task_change'],
    token: settings.callbackToken,
    aesKey: settings.callbackAesKey,
    url: `${url}/dingtalk/callback`,
  }
  try {
    await client.callbacks.register(registration)
  } catch (error) {
    // §2.4: 71006 = this corp already has a callback; point it at this app instead.
    if (!(error instanceof DingTalkApiError) || error.errcode !== 71006) throw error
    await client.callbacks.update(registration)
  }
}

/** Starts the three example apps in this process, each on a free port, all against the same DingTalk. */
export async function startExampleApps(settings: DemoSettings): Promise<DemoApp[]> {
  const started: DemoApp[] = []
  const config = { dingtalk: settings, port: 0, registerCallback: false }
  try {
    const nest = await startNest(config)
    started.push({
      name: 'NestJS',
      url: nest.url,
      registerCallback: nest.registerCallback,
      close: nest.close,
    })
    const koa = await startKoa(config)
    started.push({ name: 'Koa', url: koa.url, registerCallback: koa.registerCallback, close: koa.close })
    const hono = await startHono(config)
    started.push({
      name: 'Hono',
      url: hono.url,
      registerCallback: () => register(hono.client, settings, hono.url),
      close: hono.close,
    })
  } catch (error) {
    await Promise.all(started.map((app) => app.close()))
    throw error
  }
  return started
}

/**
 * The Koa example once more, started as `DINGTALK_MODE=stream pnpm dev` would: no callback, its directory
 * handler fed over a Stream connection to the same DingTalk (`apiBaseUrl`).
 */
export function startStreamApp(settings: DemoSettings, apiBaseUrl: string): Promise<RunningApp> {
  return startKoa({ dingtalk: { ...settings, apiBaseUrl }, port: 0, mode: 'stream', registerCallback: false })
}
