export * from '@dingtalk-kit/core'
export {
  type DingTalkEventBinding,
  type DingTalkEventMethod,
  type DingTalkEventSource,
  dingTalkEventBindings,
  OnDingTalkEvent,
  type OnDingTalkEventOptions,
} from './events'
export {
  DINGTALK_MODULE_OPTIONS,
  DingTalkModule,
  type DingTalkModuleExtras,
  type DingTalkModuleForRoot,
  type DingTalkModuleForRootAsync,
  type DingTalkModuleOptions,
} from './module'
export { DingTalkClient, DingTalkRoutes, DingTalkStore, DingTalkSuiteClient } from './tokens'
