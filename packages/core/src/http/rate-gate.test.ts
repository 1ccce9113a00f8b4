import { describe, expect, it } from 'vitest'
import { type Admission, RateLimitGate } from './rate-gate'

const policy = { maxRetries: 3, baseDelayMs: 1, maxDelayMs: 4 }

describe('RateLimitGate (§10)', () => {
  it('admits at once while a path is open, and keeps other paths open while one is limited', async () => {
    const gate = new RateLimitGate(policy)
    expect(gate.admit('/a')).toEqual({ epoch: 0 })
    gate.settle('/a', { epoch: 0 }, true)
    expect(gate.admit('/a')).toBeInstanceOf(Promise)
    expect(gate.admit('/b')).toEqual({ epoch: 0 })
    expect(gate.waitMs('/b')).toBe(0)
  })

  it('after a limit, waiting callers go one at a time; the path opens once nobody waits', async () => {
    const gate = new RateLimitGate(policy)
    gate.settle('/a', { epoch: 0 }, true)
    const order: number[] = []
    const admitted: Admission[] = []
    const waiting = [1, 2, 3].map(async (n) => {
      const admission = await gate.admit('/a')
      order.push(n)
      admitted.push(admission)
      return admission
    })
    const first = await waiting[0]!
    // The second is not let through while the first is in flight.
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(order).toEqual([1])
    gate.settle('/a', first, false)
    const second = await waiting[1]!
    expect(order).toEqual([1, 2])
    gate.settle('/a', second, false)
    gate.settle('/a', await waiting[2]!, false)
    expect(order).toEqual([1, 2, 3])
    expect(admitted.every((a) => a.epoch === 1)).toBe(true)
    expect(gate.admit('/a')).toEqual({ epoch: 0 })
  })

  it('answers to attempts sent before the last closing do not close it again', async () => {
    const gate = new RateLimitGate({ maxRetries: 3, baseDelayMs: 1000, maxDelayMs: 8000 }, () => 0)
    gate.settle('/a', { epoch: 0 }, true)
    const closedFor = gate.waitMs('/a')
    expect(closedFor).toBeGreaterThanOrEqual(500)
    // 99 more limited answers from the same burst: still the first closing.
    for (let i = 0; i < 99; i++) gate.settle('/a', { epoch: 0 }, true)
    expect(gate.waitMs('/a')).toBeLessThanOrEqual(closedFor)
    // A probe sent after the closing and limited again: closed for longer (the backoff doubles).
    gate.settle('/a', { epoch: 1 }, true)
    expect(gate.waitMs('/a')).toBeGreaterThan(closedFor)
  })

  it('a path limited through every backoff gives up: the limited callers in line fail unsent', async () => {
    const gate = new RateLimitGate({ maxRetries: 2, baseDelayMs: 1, maxDelayMs: 2 })
    expect(gate.settle('/a', { epoch: 0 }, true)).toBe(true)
    const first = await gate.admit('/a')
    const second = gate.admit('/a') as Promise<Admission>
    const third = gate.admit('/a') as Promise<Admission>
    expect(gate.settle('/a', first, true)).toBe(true)
    const probe = await second
    expect(probe.gaveUp).toBeUndefined()
    // The third closing in a row: the prober gives up, and so does everyone still in line.
    expect(gate.settle('/a', probe, true)).toBe(false)
    expect((await third).gaveUp).toBe(true)
    expect(gate.admit('/a')).toEqual({ epoch: 0 })
  })

  // A burst's answers arrive over several windows when the machine is busy: its successes show the path serves.
  it('a success of a request sent before the closing counts as progress: the limited callers keep retrying', async () => {
    const gate = new RateLimitGate({ maxRetries: 2, baseDelayMs: 1, maxDelayMs: 2 })
    gate.settle('/a', { epoch: 0 }, true)
    const first = await gate.admit('/a')
    const second = gate.admit('/a') as Promise<Admission>
    expect(gate.settle('/a', first, true)).toBe(true)
    // A request of the first burst, answered only now, got through.
    expect(gate.settle('/a', { epoch: 0 }, false)).toBe(true)
    const probe = await second
    // Without that success this would be the third closing in a row, and the end of the line.
    expect(gate.settle('/a', probe, true)).toBe(true)
    expect(gate.admit('/a')).toBeInstanceOf(Promise)
  })

  it('a caller whose signal aborts while it waits leaves the line; the next one still goes', async () => {
    const gate = new RateLimitGate({ maxRetries: 3, baseDelayMs: 50, maxDelayMs: 50 })
    gate.settle('/a', { epoch: 0 }, true)
    const controller = new AbortController()
    const leaving = gate.admit('/a', controller.signal) as Promise<Admission>
    const staying = gate.admit('/a') as Promise<Admission>
    controller.abort(new Error('user went away'))
    await expect(leaving).rejects.toThrow('user went away')
    const next = await staying
    expect(next.epoch).toBe(1)
    gate.settle('/a', next, false)
    expect(gate.admit('/a')).toEqual({ epoch: 0 })
  })
})
