export * from '@dingtalk-kit/core'
export * from './events'
export * from './module'
// The token classes shadow the core's interfaces of the same names.
export { DingTalkClient, DingTalkRoutes, DingTalkStore, DingTalkSuiteClient } from './tokens'
