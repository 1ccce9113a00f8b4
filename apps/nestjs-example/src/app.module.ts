import {
  createDingTalkClient,
  createSuiteClient,
  DingTalkModule,
  type DingTalkModuleOptions,
  memoryStore,
} from '@dingtalk-kit/nestjs'
import { type DynamicModule, Module } from '@nestjs/common'
import { ApiController } from './api.controller'
import { DirectoryService } from './directory.service'
import { Sessions, SignedIn } from './session'
import { type ResolvedSettings, SETTINGS } from './settings'

/** The resolved settings as a provider, for `forRootAsync` and the session cookie. */
@Module({})
class SettingsModule {
  static register(settings: ResolvedSettings): DynamicModule {
    return {
      module: SettingsModule,
      global: true,
      providers: [{ provide: SETTINGS, useValue: settings }],
      exports: [SETTINGS],
    }
  }
}

/** Builds the DingTalk options from the settings: clients, the callbacks, the `dd.config` allow-list. */
export function dingTalkOptions({ dingtalk, allowedOrigins }: ResolvedSettings): DingTalkModuleOptions {
  const baseUrl = dingtalk.baseUrl ? { baseUrl: dingtalk.baseUrl } : {}
  const client = createDingTalkClient(
    { appKey: dingtalk.appKey, appSecret: dingtalk.appSecret, corpId: dingtalk.corpId },
    { ...baseUrl, ...(dingtalk.agentId === undefined ? {} : { agentId: dingtalk.agentId }) },
  )
  const suiteClient = dingtalk.suite
    ? createSuiteClient(dingtalk.suite, { ...baseUrl, store: memoryStore() })
    : undefined
  return {
    client,
    ...(suiteClient ? { suiteClient } : {}),
    callback: { token: dingtalk.callbackToken, aesKey: dingtalk.callbackAesKey },
    jsapi: { allowedOrigins, jsApiList: ['biz.chat.pickConversation'] },
  }
}

/** The example's root module. */
@Module({})
export class AppModule {
  static register(settings: ResolvedSettings): DynamicModule {
    return {
      module: AppModule,
      imports: [
        SettingsModule.register(settings),
        DingTalkModule.forRootAsync({ isGlobal: true, inject: [SETTINGS], useFactory: dingTalkOptions }),
      ],
      controllers: [ApiController],
      providers: [DirectoryService, Sessions, SignedIn],
    }
  }
}
