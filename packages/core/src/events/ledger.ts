import { hashes } from '../hash/index'
import { isLiveLease, type Lease, pollUntil, takeLease } from '../store/lease'
import { type Store, storeKey } from '../store/store'
import { untilDeadline } from './deadline'
import type { ParsedEvent } from './types'

const DONE = 'done'
const BUILTIN_DONE = 'builtin'

/**
 * Options of {@link createDedupeLedger}.
 *
 * @example
 * ```ts
 * const ledger = createDedupeLedger({ store: redisStore({ client }), doneTtlMs: 24 * 3600_000 })
 * ```
 */
export interface DedupeLedgerOptions {
  /** Where the marks live; share one across instances (and transports) to handle each event once. */
  store: Store
  /** How long a handled event is remembered. Default 24 h. */
  doneTtlMs?: number
  /** How long an in-flight mark lives if its process dies mid-event. Default 60 s. */
  inflightTtlMs?: number
  /** How often a waiter looks at the store while another instance handles the event. Default 50 ms. */
  pollIntervalMs?: number
  /** Told when a mark could not be written or released (the event may then be handled again). */
  onStoreError?: (message: string, cause: unknown) => void
  /** Clock, epoch ms. */
  now?: () => number
}

/**
 * The right to handle one event, from {@link DedupeLedger.claim}. Exactly one caller across every instance
 * sharing the store holds it at a time.
 *
 * @example
 * ```ts
 * const claim = await ledger.claim(key, deadlineAt)
 * if (typeof claim === 'object') {
 *   const ok = await runHandlers().then(() => true, () => false)
 *   await claim.finish(ok)
 * }
 * ```
 */
export interface LedgerClaim {
  readonly key: string
  /** Whether the built-in step (e.g. storing a suite_ticket) already ran for this event (one store read). */
  builtinDone(): Promise<boolean>
  /** Records that the built-in step ran, so a redelivery skips it. */
  markBuiltinDone(): Promise<void>
  /** `true`: the event is handled (remembered, redeliveries acknowledged); `false`: released for a retry. */
  finish(done: boolean): Promise<void>
}

/**
 * Remembers which events were handled, on a {@link Store} shared by every transport and instance (ARCHITECTURE
 * "one event pipeline, many transports"): an event is claimed before its handlers run, and marked done after.
 *
 * @example
 * ```ts
 * const key = ledger.keyFor(appKey, `id:${eventId}`)
 * const claim = await ledger.claim(key, Date.now() + 1200)
 * if (claim === 'done') ack()
 * else if (claim === 'busy') askForRedelivery()
 * else handle(claim)
 * ```
 */
export interface DedupeLedger {
  /** The store key for an event's business id within a namespace (the app's key). */
  keyFor(namespace: string, id: string): string
  /**
   * `'done'`: handled before (acknowledge it); `'busy'`: another holder was still at it when `deadlineAt`
   * passed; otherwise the claim. A holder that gives up (`finish(false)`) or dies hands the claim to a waiter.
   */
  claim(key: string, deadlineAt: number): Promise<LedgerClaim | 'done' | 'busy'>
}

/**
 * The business id that identifies one event whichever transport delivered it (R5: never the ciphertext or
 * nonce, which change on every re-push): `eventId` (also a Stream frame's header, §13.4), then `BizId`, then
 * the payload itself.
 *
 * @example
 * ```ts
 * eventIdOf(parsed, message) // 'id:3f2a…' for a payload with an eventId
 * ```
 */
export function eventIdOf(parsed: ParsedEvent, message?: string): string {
  const payload = parsed.raw as Record<string, unknown> | null
  if (parsed.sync) return `sync:${JSON.stringify(parsed.sync.item)}`
  if (typeof payload?.eventId === 'string' && payload.eventId) return `id:${payload.eventId}`
  if (typeof payload?.BizId === 'string' && payload.BizId) return `biz:${payload.BizId}`
  return `msg:${message ?? JSON.stringify(payload)}`
}

// A short business id of safe characters (an eventId, a msgId: `id:…`, `msg:…`) is the key as it is, readable
// in Redis and without a hash per event; anything else is hashed. The colon it must contain (escaped `%3A` by
// storeKey) keeps the two forms apart: a hash is hex only.
const PLAIN_ID = /^[\w.-]{1,16}:[\w.:-]{1,112}$/

function plainId(id: string): string | undefined {
  return PLAIN_ID.test(id) ? id : undefined
}

/**
 * Creates the de-duplication ledger (claim / wait for another holder / release / mark done) on one store
 * lease (`store/lease.ts`, shared with the token cache).
 *
 * @example
 * ```ts
 * const ledger = createDedupeLedger({ store })
 * ```
 */
export function createDedupeLedger(options: DedupeLedgerOptions): DedupeLedger {
  const { store } = options
  const now = options.now ?? Date.now
  const doneTtl = options.doneTtlMs ?? 24 * 3600_000
  const inflightTtl = options.inflightTtlMs ?? 60_000
  const pollMs = options.pollIntervalMs ?? 50
  const sha256 = hashes().sha256Hex
  // Claims held by this process: a waiter here is told at once instead of polling the store.
  const local = new Map<string, Promise<boolean>>()

  const storeFailed = (message: string, cause: unknown): void => {
    try {
      options.onStoreError?.(message, cause)
    } catch {
      // Reporting must not change the outcome.
    }
  }

  // The event's key holds its lease while a holder runs it, then `done`: claiming is one write, finishing one.
  const hold = (key: string, lease: Lease): LedgerClaim => {
    let settle: (done: boolean) => void = () => {}
    local.set(key, new Promise<boolean>((resolve) => (settle = resolve)))
    return {
      key,
      builtinDone: async () => (await store.get(`${key}:builtin`)) === BUILTIN_DONE,
      markBuiltinDone: () => store.set(`${key}:builtin`, BUILTIN_DONE, doneTtl),
      async finish(done) {
        // `done` replaces the lease; if it cannot be written the lease is released, so a redelivery is
        // handled again rather than blocked until the lease runs out.
        const marked =
          done &&
          (await store.set(key, DONE, doneTtl).then(
            () => true,
            (cause) => {
              storeFailed('Could not mark an event as done', cause)
              return false
            },
          ))
        settle(done)
        local.delete(key)
        if (!marked)
          await lease.release().catch((cause) => storeFailed('Could not release an in-flight marker', cause))
      },
    }
  }

  /** `done`, `free` (the holder gave up or vanished) or `late` (still held at the deadline). */
  const waitForHolder = async (key: string, deadlineAt: number): Promise<'done' | 'free' | 'late'> => {
    const mine = local.get(key)
    if (mine) {
      const outcome = await untilDeadline(mine, deadlineAt, now)
      if (outcome.late) return 'late'
      return outcome.value || (await store.get(key)) === DONE ? 'done' : 'free'
    }
    const seen = await pollUntil(
      async () => {
        const held = await store.get(key)
        if (held === DONE) return 'done' as const
        return held === undefined || !isLiveLease(held, now()) ? ('free' as const) : undefined
      },
      { intervalMs: pollMs, deadlineAt, now },
    )
    return seen ?? 'late'
  }

  return {
    keyFor: (namespace, id) => storeKey({ owner: namespace, kind: `event_${plainId(id) ?? sha256(id)}` }),
    async claim(key, deadlineAt) {
      for (;;) {
        const taken = await takeLease(store, key, { ttlMs: inflightTtl, now, keep: (held) => held === DONE })
        if ('lease' in taken) return hold(key, taken.lease)
        if (taken.held === DONE) return 'done'
        const seen = await waitForHolder(key, deadlineAt)
        if (seen !== 'free') return seen === 'done' ? 'done' : 'busy'
      }
    },
  }
}
