import { createHash, randomBytes } from 'node:crypto'
import { type Store, storeKey } from '@dingtalk-kit/core'

export interface LedgerOptions {
  store: Store
  /** The clientId: keys are namespaced per app (`dingtalk:<owner>:-:stream_<hash>`). */
  owner: string
  dedupeTtlMs: number
  inflightTtlMs: number
  pollMs: number
}

export type LedgerOutcome =
  | { kind: 'ack'; result: unknown; duplicate: boolean }
  | { kind: 'retry'; cause: unknown; stage: 'handler' | 'store' }

const DONE = 'done'

function encode(result: unknown): string {
  if (result === undefined) return DONE
  try {
    const json = JSON.stringify(result)
    return json === undefined ? DONE : `${DONE}:${json}`
  } catch {
    return DONE
  }
}

function decode(value: string): unknown {
  if (value === DONE) return undefined
  try {
    return JSON.parse(value.slice(DONE.length + 1))
  } catch {
    return undefined
  }
}

function isDone(value: string | undefined): value is string {
  return value === DONE || (value?.startsWith(`${DONE}:`) ?? false)
}

/**
 * The de-duplication ledger on the business id (§13.4: redeliveries come with a new `messageId`, so the
 * id is the event's `eventId`, the robot message's `msgId`, …). One in-flight lease per id in the shared
 * store, so N instances sharing a Redis handle each id once; the outcome of a finished id is kept for
 * `dedupeTtlMs`, with the handler's result so a redelivered CALLBACK gets the same answer.
 */
export class Ledger {
  private readonly local = new Map<string, Promise<void>>()

  constructor(private readonly options: LedgerOptions) {}

  keyOf(id: string): string {
    return storeKey({
      owner: this.options.owner,
      kind: `stream_${createHash('sha256').update(id).digest('hex')}`,
    })
  }

  async run(id: string, work: () => Promise<unknown>): Promise<LedgerOutcome> {
    const { store } = this.options
    const key = this.keyOf(id)
    const lockKey = `${key}:lock`
    for (;;) {
      let state: string | undefined
      try {
        state = await store.get(key)
      } catch (cause) {
        return { kind: 'retry', cause, stage: 'store' }
      }
      if (isDone(state)) return { kind: 'ack', result: decode(state), duplicate: true }
      const local = this.local.get(key)
      if (local) {
        await local
        continue
      }
      const token = randomBytes(12).toString('hex')
      let won: boolean
      try {
        won = await store.setIfAbsent(lockKey, token, this.options.inflightTtlMs)
      } catch (cause) {
        return { kind: 'retry', cause, stage: 'store' }
      }
      if (!won) {
        // Another instance is on it: wait until it is done, or its lease ends (it failed or died).
        await new Promise((resolve) => setTimeout(resolve, this.options.pollMs))
        continue
      }
      if (this.local.has(key)) {
        // A local run started while we were taking the lease (the lease was free again): give it back.
        await store.deleteIfEquals(lockKey, token).catch(() => false)
        continue
      }
      let release: () => void = () => {}
      this.local.set(
        key,
        new Promise<void>((resolve) => {
          release = resolve
        }),
      )
      try {
        const again = await store.get(key)
        if (isDone(again)) return { kind: 'ack', result: decode(again), duplicate: true }
        let result: unknown
        try {
          result = await work()
        } catch (cause) {
          return { kind: 'retry', cause, stage: 'handler' }
        }
        try {
          await store.set(key, encode(result), this.options.dedupeTtlMs)
        } catch {
          // The work is done and is acknowledged; only a later redelivery could run it again.
        }
        return { kind: 'ack', result, duplicate: false }
      } catch (cause) {
        return { kind: 'retry', cause, stage: 'store' }
      } finally {
        this.local.delete(key)
        release()
        await store.deleteIfEquals(lockKey, token).catch(() => false)
      }
    }
  }
}
