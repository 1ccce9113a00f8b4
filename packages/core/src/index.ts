export * from './crypto/index'
export { DingTalkError } from './errors'
export * from './signing/index'
