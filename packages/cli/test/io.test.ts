import { describe, expect, it } from 'vitest'
import { Output, resolveIo } from '../src/io'
import { stream, until } from './helpers'

describe('Output', () => {
  it('spins a progress line on a terminal and clears it when the work is done', async () => {
    const stderr = stream(true)
    const out = new Output(resolveIo({ stdout: stream(), stderr, env: {}, progressDelayMs: 0 }))
    let finish = (): void => {}
    const work = new Promise<string>((resolve) => {
      finish = () => resolve('done')
    })
    const result = out.progress('fetching the-secret-value', work)
    out.secret('the-secret-value')
    await until(() => stderr.text.includes('fetching ***'), 'the spinner')
    finish()
    expect(await result).toBe('done')
    expect(stderr.text.endsWith('\r\u001b[2K')).toBe(true)
    expect(stderr.text).not.toContain('the-secret-value')
  })

  it('prints nothing when the work is quicker than the delay', async () => {
    const stderr = stream(true)
    const out = new Output(resolveIo({ stdout: stream(), stderr, env: {}, progressDelayMs: 60_000 }))
    expect(await out.progress('quick', Promise.resolve(1))).toBe(1)
    expect(stderr.text).toBe('')
  })
})
