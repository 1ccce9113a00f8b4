// `@dingtalk-kit/core/testing`: helpers that need no test runner. The vitest suites are in
// `@dingtalk-kit/core/vitest`.
export type { ConformanceApp, ConformanceStart } from './conformance'
export { type ConformanceLog, type ConformanceSetup, conformanceRoutesOptions } from './conformance-options'
export {
  BASE_EVENT,
  type CallbackSecrets,
  type HostileCase,
  type HostileGroup,
  hostileCorpus,
} from './hostile'
export type { HostileTarget } from './hostile-tests'
export { chunkedPost, post, type RawResponse, rawHttp } from './http'
export { type SignCallbackInput, type SignedCallback, signCallback } from './sign-callback'
