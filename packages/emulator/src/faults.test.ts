import { describe, expect, it } from 'vitest'
import { createFaults, faultPage } from './faults'

describe('fault injection', () => {
  it('a request takes every latency fault of its route and the first other one, each once', () => {
    const { controller, take } = createFaults()
    controller.inject({ kind: 'latency', ms: 30, times: 2 })
    controller.inject({ route: '/gettoken', kind: 'latency' })
    controller.inject({ route: '/gettoken', kind: 'busy' })
    controller.inject({ kind: 'reset' })
    expect(take('/gettoken')).toEqual({ latencyMs: 130, action: expect.objectContaining({ kind: 'busy' }) })
    expect(controller.list()).toEqual([
      { kind: 'latency', ms: 30, times: 1 },
      { kind: 'reset', times: 1 },
    ])
    expect(take('/user/get')).toEqual({ latencyMs: 30, action: expect.objectContaining({ kind: 'reset' }) })
    expect(take('/user/get')).toEqual({ latencyMs: 0 })
    expect(controller.list()).toEqual([])
  })

  it('Infinity keeps a fault armed; clear() disarms everything; times must be positive', () => {
    const { controller, take } = createFaults()
    controller.inject({ kind: 'busy', times: Number.POSITIVE_INFINITY })
    for (let i = 0; i < 5; i++) expect(take('/x').action?.kind).toBe('busy')
    controller.clear()
    expect(take('/x')).toEqual({ latencyMs: 0 })
    expect(() => controller.inject({ kind: 'busy', times: 0 })).toThrow(TypeError)
  })

  it('canned pages: 5xx HTML, an HTML 200, and the punish page without errcode (§10)', () => {
    expect(faultPage({ kind: 'http5xx', status: 503 })).toMatchObject({
      status: 503,
      contentType: 'text/html',
    })
    expect(faultPage({ kind: 'nonJson' })?.body).toContain('<html>')
    const punish = faultPage({ kind: 'punish' })!
    expect(JSON.parse(punish.body)).toMatchObject({ status: 1111, punish: 'deny' })
    expect(JSON.parse(punish.body).errcode).toBeUndefined()
    expect(faultPage({ kind: 'busy' })).toBeUndefined()
  })
})
