export * from './events'
export * from './exports'
export * from './module'
export type * from './options'
// The token classes shadow the core's interfaces of the same names.
export { DingTalkClient, DingTalkRoutes, DingTalkStore, DingTalkStream, DingTalkSuiteClient } from './tokens'
