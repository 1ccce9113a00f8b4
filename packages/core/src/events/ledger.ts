import { hashes } from '../hash/index'
import { type InProcessStore, inProcessOf, type LocalHold } from '../store/in-process'
import { isLiveLease, type Lease, pollUntil, takeLease } from '../store/lease'
import { type Store, storeKey } from '../store/store'
import { LATE, untilDeadline } from './deadline'
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
  /**
   * How long an in-flight mark lives if its process dies mid-event (or, on an in-process store, its handler
   * never ends): then a redelivery is handled again. Default 60 s.
   */
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

/** What every claim of one ledger shares. */
interface LedgerState {
  readonly store: Store
  readonly inProcess: InProcessStore | undefined
  readonly holds: Map<string, LocalHold>
  readonly doneTtl: number
  storeFailed(message: string, cause: unknown): void
}

const SETTLED = Promise.resolve()

/** Ends a hold: forgets it (unless a taker replaced it) and tells its waiters. */
function endHold(state: LedgerState, key: string, hold: LocalHold, done: boolean): void {
  if (state.holds.get(key) === hold) state.holds.delete(key)
  const waiters = hold.waiters
  hold.waiters = undefined
  if (waiters !== undefined) for (const wake of waiters) wake(done)
}

// A class, not a literal of closures: one small object per claimed event.
class Claim implements LedgerClaim {
  constructor(
    private readonly state: LedgerState,
    readonly key: string,
    private readonly hold: LocalHold,
    // The lease written to a shared store; none on an in-process store.
    private readonly lease: Lease | undefined,
  ) {}

  async builtinDone(): Promise<boolean> {
    return (await this.state.store.get(`${this.key}:builtin`)) === BUILTIN_DONE
  }

  markBuiltinDone(): Promise<void> {
    return this.state.store.set(`${this.key}:builtin`, BUILTIN_DONE, this.state.doneTtl)
  }

  finish(done: boolean): Promise<void> {
    const { inProcess } = this.state
    if (inProcess === undefined || this.lease !== undefined) return this.finishShared(done)
    if (done) {
      try {
        inProcess.write(this.key, DONE, this.state.doneTtl)
      } catch (cause) {
        this.state.storeFailed('Could not mark an event as done', cause)
      }
    }
    endHold(this.state, this.key, this.hold, done)
    return SETTLED
  }

  // `done` replaces the lease; if it cannot be written the lease is released, so a redelivery is handled again
  // rather than blocked until the lease runs out.
  private async finishShared(done: boolean): Promise<void> {
    const { state } = this
    const marked =
      done &&
      (await state.store.set(this.key, DONE, state.doneTtl).then(
        () => true,
        (cause) => {
          state.storeFailed('Could not mark an event as done', cause)
          return false
        },
      ))
    endHold(state, this.key, this.hold, done)
    if (!marked && this.lease !== undefined) {
      await this.lease
        .release()
        .catch((cause) => state.storeFailed('Could not release an in-flight marker', cause))
    }
  }
}

/**
 * Creates the de-duplication ledger (claim / wait for another holder / release / mark done). On a shared store
 * (Redis) an event in flight holds a lease (`store/lease.ts`, shared with the token cache), so one instance of
 * many handles it; on an in-process store (`memoryStore`) no other process can look, and the ledgers on the
 * store share its in-flight holds instead: one write per event, when it is done.
 *
 * @example
 * ```ts
 * const ledger = createDedupeLedger({ store })
 * ```
 */
export function createDedupeLedger(options: DedupeLedgerOptions): DedupeLedger {
  const { store } = options
  const now = options.now ?? Date.now
  const inflightTtl = options.inflightTtlMs ?? 60_000
  const pollMs = options.pollIntervalMs ?? 50
  const sha256 = hashes().sha256Hex
  const inProcess = inProcessOf(store)
  const state: LedgerState = {
    store,
    inProcess,
    // Events in flight in this process: a waiter here is told at once instead of polling the store.
    holds: inProcess?.holds ?? new Map<string, LocalHold>(),
    doneTtl: options.doneTtlMs ?? 24 * 3600_000,
    storeFailed(message, cause) {
      try {
        options.onStoreError?.(message, cause)
      } catch {
        // Reporting must not change the outcome.
      }
    },
  }
  // The key prefix of the last namespace (an app has one): escaped once, not on every event.
  let prefixed = { namespace: '', prefix: storeKey({ owner: '', kind: '' }) }

  const hold = (key: string, lease: Lease | undefined): LedgerClaim => {
    const held: LocalHold = { expiresAt: now() + inflightTtl, waiters: undefined }
    state.holds.set(key, held)
    return new Claim(state, key, held, lease)
  }

  const isDone = async (key: string): Promise<boolean> =>
    (inProcess ? inProcess.read(key) : await store.get(key)) === DONE

  /** `done`, `free` (given back, or its holder ran out of time) or `late` (still held at the deadline). */
  const waitForHold = async (
    key: string,
    held: LocalHold,
    deadlineAt: number,
  ): Promise<'done' | 'free' | 'late'> => {
    const settled = new Promise<boolean>((wake) => {
      held.waiters ??= []
      held.waiters.push(wake)
    })
    const outcome = await untilDeadline(settled, Math.min(deadlineAt, held.expiresAt), now)
    if (outcome === LATE) return now() >= deadlineAt ? 'late' : 'free'
    return outcome || (await isDone(key)) ? 'done' : 'free'
  }

  /** The same, for a holder in another process: the store is polled. */
  const pollHolder = async (key: string, deadlineAt: number): Promise<'done' | 'free' | 'late'> => {
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
    keyFor(namespace, id) {
      if (prefixed.namespace !== namespace) {
        prefixed = { namespace, prefix: storeKey({ owner: namespace, kind: '' }) }
      }
      // A plain id has no `%` to escape; its colons are escaped as storeKey does (`%3A`).
      const plain = plainId(id)
      return `${prefixed.prefix}event_${plain === undefined ? sha256(id) : plain.replaceAll(':', '%3A')}`
    },
    async claim(key, deadlineAt) {
      for (;;) {
        const held = state.holds.get(key)
        if (held !== undefined && held.expiresAt > now()) {
          const seen = await waitForHold(key, held, deadlineAt)
          if (seen === 'free') continue
          return seen === 'done' ? 'done' : 'busy'
        }
        if (inProcess !== undefined) {
          const value = inProcess.read(key)
          if (value === DONE) return 'done'
          // A live lease was written by a ledger that sees this store as shared (another copy of core): it is
          // waited for as any other process's.
          if (value === undefined || !isLiveLease(value, now())) return hold(key, undefined)
        }
        const taken = await takeLease(store, key, {
          ttlMs: inflightTtl,
          now,
          keep: (value) => value === DONE,
        })
        if ('lease' in taken) return hold(key, taken.lease)
        if (taken.held === DONE) return 'done'
        const seen = await pollHolder(key, deadlineAt)
        if (seen !== 'free') return seen === 'done' ? 'done' : 'busy'
      }
    },
  }
}
