import type { Store } from './types'

/**
 * An event being handled in this process: when a holder that never finishes loses it, and who waits for it.
 * Waiters are told `true` (handled) or `false` (given back).
 */
export interface LocalHold {
  readonly expiresAt: number
  waiters: ((done: boolean) => void)[] | undefined
}

/**
 * Internal: what a store living in this process (`memoryStore`) offers the de-duplication ledger. No other
 * process sees such a store, so an event in flight needs no lease written to it: the ledgers on the store
 * share its `holds` instead, and read and write it synchronously.
 */
export interface InProcessStore {
  readonly holds: Map<string, LocalHold>
  read(key: string): string | undefined
  write(key: string, value: string, ttlMs?: number): void
}

// A registered symbol, so two copies of core in one process (its ESM and CJS builds) find the same state.
const IN_PROCESS = Symbol.for('dingtalk-kit.store.in-process.v1')

/** Internal: makes `store` offer `state` to the ledgers on it (not enumerable: a `{ ...store }` copy is foreign). */
export function offerInProcess<T extends Store>(store: T, state: InProcessStore): T {
  Object.defineProperty(store, IN_PROCESS, { value: state })
  return store
}

/** Internal: the in-process state of `store`, when it is one that lives in this process. */
export function inProcessOf(store: Store): InProcessStore | undefined {
  return (store as { [IN_PROCESS]?: InProcessStore })[IN_PROCESS]
}
