import { describe, expect, it } from 'vitest'
import { DeadlineControllers } from './deadline'

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
