import type { Store } from '../store/store'
import { createTokenCache, type FetchedToken, type TokenCache, type TokenCacheOptions } from './token-cache'

// Shared by the token-cache unit tests (not shipped: package.json leaves out src/**/*.test-helpers.ts).

export const KEY = 'dingtalk:app:-:access_token'

export function deferred<T>(): {
  promise: Promise<T>
  resolve: (v: T) => void
  reject: (e: unknown) => void
} {
  let resolve!: (v: T) => void
  let reject!: (e: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

export function counter(values: FetchedToken[] | ((n: number) => FetchedToken | Promise<FetchedToken>)): {
  state: { calls: number }
  fetch: () => Promise<FetchedToken>
} {
  const state = { calls: 0 }
  const fetch = async (): Promise<FetchedToken> => {
    const n = state.calls++
    if (typeof values === 'function') return values(n)
    const value = values[Math.min(n, values.length - 1)]
    if (value === undefined) throw new Error('no value')
    return value
  }
  return { state, fetch }
}

export function countingStore(inner: Store): Store & { gets: number } {
  const wrapped = {
    gets: 0,
    get: (key: string) => {
      wrapped.gets++
      return inner.get(key)
    },
    set: inner.set,
    delete: inner.delete,
    setIfAbsent: inner.setIfAbsent,
    deleteIfEquals: inner.deleteIfEquals,
  }
  return wrapped
}

export const base = (
  store: Store,
  fetch: TokenCacheOptions['fetch'],
  extra: Partial<TokenCacheOptions> = {},
): TokenCache => createTokenCache({ store, key: KEY, fetch, jitterMs: 0, pollIntervalMs: 2, ...extra })
