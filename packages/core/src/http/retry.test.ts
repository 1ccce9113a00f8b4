import { describe, expect, it } from 'vitest'
import { backoffDelay, retryPolicy } from './retry'

describe('retry policy', () => {
  it('fills in the defaults of §10 (3 retries, 1 s doubling, at most 8 s)', () => {
    expect(retryPolicy(undefined)).toEqual({ maxRetries: 3, baseDelayMs: 1000, maxDelayMs: 8000 })
    expect(retryPolicy({ maxRetries: 0 })).toEqual({ maxRetries: 0, baseDelayMs: 1000, maxDelayMs: 8000 })
  })

  it('doubles the delay per retry, half of it jitter, never above maxDelayMs', () => {
    const policy = retryPolicy(undefined)
    for (let i = 0; i < 200; i++) {
      for (const [index, ceiling] of [
        [0, 1000],
        [1, 2000],
        [2, 4000],
        [3, 8000],
        [6, 8000],
      ] as const) {
        const delay = backoffDelay(policy, index)
        expect(delay).toBeGreaterThanOrEqual(ceiling / 2)
        expect(delay).toBeLessThanOrEqual(ceiling)
      }
    }
  })
})
