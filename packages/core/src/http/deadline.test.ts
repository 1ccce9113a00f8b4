import { describe, expect, it } from 'vitest'
import { DeadlineControllers, undiciTimeouts, within } from './deadline'

describe('deadline controllers', () => {
  it('a controller whose timer did not fire serves the next attempt; concurrent attempts get their own', () => {
    const deadlines = new DeadlineControllers()
    const a = deadlines.acquire()
    const b = deadlines.acquire()
    expect(b.controller).not.toBe(a.controller)
    deadlines.release(a)
    expect(deadlines.acquire().controller).toBe(a.controller)
  })

  it('a fired controller is never handed out again', () => {
    const deadlines = new DeadlineControllers()
    const lease = deadlines.acquire()
    lease.controller.abort(new Error('timeout'))
    deadlines.release(lease)
    const next = deadlines.acquire()
    expect(next.controller).not.toBe(lease.controller)
    expect(next.controller.signal.aborted).toBe(false)
  })

  it('retires a controller after maxUses attempts, and keeps at most maxIdle', () => {
    const deadlines = new DeadlineControllers(3, 2)
    const first = deadlines.acquire()
    for (let i = 0; i < 2; i++) {
      deadlines.release(first)
      expect(deadlines.acquire()).toBe(first)
    }
    deadlines.release(first)
    expect(deadlines.acquire()).not.toBe(first)
    const leases = [deadlines.acquire(), deadlines.acquire(), deadlines.acquire()]
    for (const lease of leases) deadlines.release(lease)
    const again = [deadlines.acquire(), deadlines.acquire(), deadlines.acquire()]
    expect(again.filter((lease) => leases.includes(lease))).toHaveLength(2)
  })
})

describe('within', () => {
  it("is the work's value when it comes first, and clears its timer", async () => {
    const attempt = { timedOut: false }
    expect(await within(Promise.resolve(7), 50, attempt)).toBe(7)
    await new Promise((resolve) => setTimeout(resolve, 80))
    expect(attempt.timedOut).toBe(false)
  })

  it("is the work's rejection when it comes first", async () => {
    const attempt = { timedOut: false }
    await expect(within(Promise.reject(new Error('reset')), 50, attempt)).rejects.toThrow('reset')
    expect(attempt.timedOut).toBe(false)
  })

  it('rejects with a TimeoutError when the time comes first; a later settling of the work is absorbed', async () => {
    const attempt = { timedOut: false }
    let fail: (error: Error) => void = () => {}
    const work = new Promise<never>((_, reject) => {
      fail = reject
    })
    const error = await within(work, 20, attempt).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DOMException)
    expect((error as DOMException).name).toBe('TimeoutError')
    expect(attempt.timedOut).toBe(true)
    fail(new Error('late')) // handled by within: no unhandled rejection fails this run
  })
})

describe('undiciTimeouts', () => {
  it('one dispatcher per timeout, none for a timeout undici cannot take', () => {
    expect(undiciTimeouts(10_000)).toBe(undiciTimeouts(10_000))
    expect(undiciTimeouts(5000)).not.toBe(undiciTimeouts(10_000))
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY])
      expect(undiciTimeouts(bad)).toBeUndefined()
  })

  it('keeps at most 64 of them', () => {
    const first = undiciTimeouts(1)
    for (let ms = 2; ms <= 100; ms++) undiciTimeouts(ms)
    expect(undiciTimeouts(1)).not.toBe(first)
  })
})
