import { DingTalkStoreError } from '@dingtalk-kit/core'
import { describe, expect, it } from 'vitest'
import { commandGuard } from './guard'

const replyError = (message: string): Error => Object.assign(new Error(message), { name: 'ReplyError' })
const never = (): Promise<never> => new Promise<never>(() => {})

async function failure(promise: Promise<unknown>): Promise<DingTalkStoreError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(DingTalkStoreError)
  return error as DingTalkStoreError
}

describe('Redis command guard', () => {
  it('bounds a command by timeoutMs and hands the late command to `abandoned`', async () => {
    const errors: string[] = []
    const guard = commandGuard({ timeoutMs: 20, breaker: false, onError: (e) => errors.push(e.code) })
    const late: Promise<unknown>[] = []
    const error = await failure(guard.run('get', never, (pending) => late.push(pending)))
    expect(error).toMatchObject({ code: 'STORE_TIMEOUT', store: 'redis', operation: 'get' })
    expect(late).toHaveLength(1)
    expect(errors).toEqual(['STORE_TIMEOUT'])
    expect(await guard.run('get', async () => 'v')).toBe('v')
  })

  it('a wrong command is STORE_ERROR and does not open the breaker; an unavailable reply counts', async () => {
    const guard = commandGuard({ timeoutMs: 1000, breaker: { failures: 2, cooldownMs: 60_000 } })
    for (let i = 0; i < 3; i++) {
      expect(
        (await failure(guard.run('set', () => Promise.reject(replyError('ERR syntax error'))))).code,
      ).toBe('STORE_ERROR')
    }
    expect(guard.available).toBe(true)
    const loading = await failure(
      guard.run('get', () => Promise.reject(replyError('LOADING Redis is loading'))),
    )
    expect(loading.code).toBe('STORE_UNAVAILABLE')
    expect(loading.message).toBe('Redis get failed: LOADING Redis is loading')
    await failure(guard.run('get', () => Promise.reject(new Error('connect ECONNREFUSED'))))
    expect(guard.available).toBe(false)
    let called = false
    const skipped = await failure(
      guard.run('get', async () => {
        called = true
        return 'v'
      }),
    )
    expect(skipped).toMatchObject({ code: 'STORE_UNAVAILABLE' })
    expect(skipped.message).toContain('breaker open')
    expect(called).toBe(false)
  })

  it('after the cooldown one probe goes through; its success closes the breaker', async () => {
    const guard = commandGuard({ timeoutMs: 1000, breaker: { failures: 1, cooldownMs: 30 } })
    await failure(guard.run('get', () => Promise.reject(new Error('socket closed'))))
    expect(guard.available).toBe(false)
    await new Promise((resolve) => setTimeout(resolve, 40))
    expect(guard.available).toBe(true)
    let release: (value: string) => void = () => {}
    const probe = guard.run('get', () => new Promise<string>((resolve) => (release = resolve)))
    expect((await failure(guard.run('get', async () => 'second'))).message).toContain('breaker open')
    release('first')
    expect(await probe).toBe('first')
    expect(await guard.run('get', async () => 'after')).toBe('after')
  })

  it('a listener that throws does not change the error', async () => {
    const guard = commandGuard({
      timeoutMs: 1000,
      breaker: false,
      onError: () => {
        throw new Error('broken listener')
      },
    })
    expect((await failure(guard.run('delete', () => Promise.reject(new Error('down'))))).code).toBe(
      'STORE_UNAVAILABLE',
    )
  })
})
