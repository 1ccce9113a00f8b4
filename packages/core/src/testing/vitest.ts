// `@dingtalk-kit/core/vitest`: the conformance suites, as vitest tests (with everything of `/testing`).

export { runAdapterConformance } from './conformance'
export { hostileCorpusTests } from './hostile-tests'
export * from './index'
export { runStoreContract, type StoreContractOptions } from './store-contract'
