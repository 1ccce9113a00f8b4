import { describe, expect, it } from 'vitest'
import { memoryStore } from '../store/store'
import type { Store } from '../store/types'
import { createSharedQpsLimiter } from './qps-limiter'

const WINDOW = 200

describe('createSharedQpsLimiter', () => {
  it('3 limiters on one store hand out at most `limit` slots per window between them', async () => {
    // The window a slot belongs to is the one it was claimed in, read from the claims the store granted: the
    // clock when `acquire()` resumes can be a window later on a loaded machine (the last slot opens 150 ms
    // into a 200 ms window), which once counted 5 in a window that granted 4.
    const memory = memoryStore()
    const claimed: number[] = []
    const store: Store = {
      ...memory,
      async setIfAbsent(key, value, ttlMs) {
        const won = await memory.setIfAbsent(key, value, ttlMs)
        if (won) claimed.push(Number(key.split(':')[1]))
        return won
      },
    }
    const limiters = [0, 1, 2].map(() =>
      createSharedQpsLimiter({ store, key: 'k', limit: 4, windowMs: WINDOW }),
    )
    let granted = 0
    await Promise.all(
      Array.from({ length: 24 }, async (_, i) => {
        await limiters[i % 3]!.acquire()
        granted++
      }),
    )
    const perWindow = new Map<number, number>()
    for (const w of claimed) perWindow.set(w, (perWindow.get(w) ?? 0) + 1)
    expect(granted).toBe(24)
    expect(claimed.length).toBeGreaterThanOrEqual(24)
    expect(Math.max(...perWindow.values())).toBeLessThanOrEqual(4)
    expect(perWindow.size).toBeGreaterThanOrEqual(6)
  })

  it('a pause set by one instance holds the others back until it ends', async () => {
    const store = memoryStore()
    const a = createSharedQpsLimiter({ store, key: 'p', limit: 100 })
    const b = createSharedQpsLimiter({ store, key: 'p', limit: 100 })
    const until = Date.now() + 150
    await a.pause(150)
    await b.acquire()
    expect(Date.now()).toBeGreaterThanOrEqual(until)
  })

  it('a failing store lets the call through instead of blocking it', async () => {
    const broken = memoryStore()
    const failing: Store = {
      ...broken,
      get: () => Promise.reject(new Error('down')),
      setIfAbsent: () => Promise.reject(new Error('down')),
    }
    const limiter = createSharedQpsLimiter({ store: failing, key: 'f', limit: 1 })
    await limiter.acquire()
    await limiter.acquire()
    await limiter.pause(10)
  })

  it('an aborted acquire rejects with the signal reason', async () => {
    const store = memoryStore()
    const limiter = createSharedQpsLimiter({ store, key: 'a', limit: 1, windowMs: 60_000 })
    await limiter.acquire()
    const controller = new AbortController()
    const waiting = limiter.acquire(controller.signal)
    controller.abort(new Error('stop'))
    await expect(waiting).rejects.toThrow('stop')
  })

  it('refuses a limit that is not a positive integer', () => {
    expect(() => createSharedQpsLimiter({ store: memoryStore(), key: 'x', limit: 0 })).toThrow(TypeError)
  })
})
