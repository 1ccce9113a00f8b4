import { type CallbackCrypto, createCallbackCrypto } from '../crypto/callback-crypto'
import type { EventContext, EventHandler, SuiteCallbackClient, WaitUntilContext } from '../events/context'
import { createEventDispatcher, type EventDispatcher } from '../events/dispatcher'
import { eventIdOf } from '../events/ledger'
import { parseEvents } from '../events/parse'
import type { DingTalkEventType, EventOf, ParsedEvent } from '../events/types'
import { storeKey } from '../store/store'
import type { CallbackHandler, CallbackHandlerOptions, CallbackTuning } from './handler-types'
import type { CallbackRequest } from './request'
import { type CallbackResponse, encryptedReply, errorResponse } from './responses'
import { type CallbackLimits, type CallbackRejection, verifyCallbackRequest } from './verify'

export type { CallbackHandler, CallbackHandlerOptions, CallbackTuning } from './handler-types'
export type { CallbackResponse } from './responses'

const PLACEHOLDER = 'suite4xxxxxxxxxxxxxxx'
const URL_CHECKS: ReadonlySet<string> = new Set([
  'check_url',
  'check_create_suite_url',
  'check_update_suite_url',
])

type Outcome = { kind: 'ack'; message?: string } | { kind: 'retry' }

function positive(value: number | undefined, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : fallback
}

/**
 * Creates the framework-free callback endpoint (reference §1.6–§1.7, §2; ARCHITECTURE "A callback, end
 * to end"): verifies, decrypts, checks the receive-id, types the event, de-duplicates re-pushes, runs the
 * built-in ISV steps (persisting before it acknowledges), runs your handlers, and answers with the
 * encrypted reply. Adapters only translate requests and responses.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http'
 * import { createCallbackHandler } from '@dingtalk-kit/core'
 *
 * const callback = createCallbackHandler({ token, aesKey, receiveId: corpId })
 * callback.on('user_add_org', async (event) => {
 *   await syncUsers(event.UserId)
 * })
 * createServer(async (req, res) => {
 *   const reply = await callback.handle({ method: req.method ?? '', url: req.url, headers: req.headers, body: req })
 *   res.writeHead(reply.status, reply.headers).end(reply.body)
 * }).listen(3000)
 *
 * // Web-standard hosts: export default { fetch: (request, env, ctx) => callback.fetch(request, ctx) }
 * ```
 */
export function createCallbackHandler<S extends SuiteCallbackClient = SuiteCallbackClient>(
  options: CallbackHandlerOptions<S>,
): CallbackHandler<S> {
  const setup = setUp(options)
  const { dispatcher, limits, deadlineMs, windowMs } = setup
  const { reporter } = dispatcher
  const reject = (rejection: CallbackRejection): CallbackResponse => {
    const { status, reason, cause } = rejection
    reporter.report('CALLBACK_REJECTED', `Callback rejected (${status}): ${reason}`, {
      status,
      transport: 'callback',
      ...(cause === undefined ? {} : { cause }),
    })
    return errorResponse(status)
  }
  const failed = (message: string, cause: unknown): CallbackResponse => {
    reporter.report('CALLBACK_STORE_FAILED', message, { status: 503, cause, transport: 'callback' })
    return errorResponse(503)
  }

  const processRequest = async (request: CallbackRequest, context: WaitUntilContext | undefined) => {
    const deadlineAt = deadlineMs === false ? Number.POSITIVE_INFINITY : limits.now() + deadlineMs
    const checked = await verifyCallbackRequest(request, setup.crypto, limits, reporter.listening())
    if ('status' in checked) return reject(checked)
    // With a timestamp window, an already-answered request is answered again without handling (R4).
    const replayKey =
      windowMs === false
        ? undefined
        : storeKey({ owner: setup.receiveId, kind: `callback_replay_${checked.query.signature}` })
    if (replayKey !== undefined) {
      try {
        if ((await dispatcher.store.get(replayKey)) !== undefined)
          return encryptedReply(await setup.crypto.reply())
      } catch (cause) {
        return failed('The store failed; asking DingTalk to re-push', cause)
      }
    }
    let opened: { message: string; receiveId: string }
    try {
      opened = await setup.crypto.decrypt(checked.encrypt, { receiveIds: [PLACEHOLDER] })
    } catch (cause) {
      return reject({ status: 401, reason: 'verification failed', cause })
    }
    const parsed = parseEvents(opened.message, { suiteKey: options.suiteClient?.suiteKey ?? setup.receiveId })
    // §1.1: the placeholder receive-id is only ever used for check_create_suite_url.
    if (
      opened.receiveId !== setup.receiveId &&
      (parsed.length !== 1 || parsed[0]?.event.EventType !== 'check_create_suite_url')
    ) {
      return reject({ status: 401, reason: 'verification failed (placeholder receive-id)' })
    }
    const delivery = {
      ...context,
      transport: 'callback',
      receiveId: opened.receiveId,
      deadlineAt,
      retryStatus: 503,
    }
    const outcome = await decide(setup, parsed, opened.message, delivery)
    if (outcome.kind === 'retry') return errorResponse(503)
    let response: CallbackResponse
    try {
      response = encryptedReply(await setup.replyCrypto(opened.receiveId).reply(outcome.message ?? 'success'))
    } catch (cause) {
      return failed('Could not encrypt the reply', cause)
    }
    if (replayKey !== undefined) {
      await dispatcher.store
        .set(replayKey, '1', 2 * (windowMs as number))
        .catch((cause: unknown) =>
          reporter.report('CALLBACK_STORE_FAILED', 'Could not remember an answered request', { cause }),
        )
    }
    return response
  }

  const handle = async (request: CallbackRequest, context?: WaitUntilContext): Promise<CallbackResponse> => {
    try {
      return await processRequest(request, context)
    } catch (cause) {
      // Unreachable by design; still never a 500 nor a crash.
      return failed('Unexpected failure; asking DingTalk to re-push', cause)
    }
  }

  return {
    handle,
    async fetch(request, context) {
      const out = await handle(
        {
          method: request.method,
          url: request.url,
          headers: request.headers,
          body: request.body ?? undefined,
        },
        context,
      )
      return new Response(out.body, { status: out.status, headers: out.headers })
    },
    on: dispatcher.on,
    onAny: dispatcher.onAny,
    onError: dispatcher.onError,
    idle: dispatcher.idle,
    dispatcher,
  }
}

interface Setup<S extends SuiteCallbackClient> {
  receiveId: string
  crypto: CallbackCrypto
  replyCrypto(receiveId: string): CallbackCrypto
  dispatcher: EventDispatcher<S>
  limits: CallbackLimits
  deadlineMs: number | false
  windowMs: number | false
  checkLicenseCode: CallbackHandlerOptions<S>['checkLicenseCode']
}

function setUp<S extends SuiteCallbackClient>(options: CallbackHandlerOptions<S>): Setup<S> {
  const tuning = options.options ?? {}
  const given = options.dispatcher
  const suiteClient = options.suiteClient ?? given?.suiteClient
  const receiveId =
    options.receiveId ??
    options.suiteClient?.suiteKey ??
    options.client?.corpId ??
    given?.suiteClient?.suiteKey ??
    given?.client?.corpId
  if (typeof receiveId !== 'string' || receiveId.length === 0) {
    throw new TypeError(
      'createCallbackHandler needs a receiveId: the corpId, appKey or suiteKey the callback is registered for',
    )
  }
  const backend = tuning.backend === undefined || tuning.backend === 'auto' ? {} : { backend: tuning.backend }
  const cryptoFor = (id: string): CallbackCrypto =>
    createCallbackCrypto({ token: options.token, aesKey: options.aesKey, receiveId: id, ...backend })
  const crypto = cryptoFor(receiveId)
  let placeholder: CallbackCrypto | undefined
  const windowMs = windowOf(tuning)
  const dispatcher =
    given ?? createCallbackDispatcher({ ...options, ...(suiteClient ? { suiteClient } : {}) })
  if (given) {
    for (const [type, handler] of Object.entries(options.handlers ?? {})) {
      if (typeof handler === 'function')
        given.on(type as DingTalkEventType, handler as EventHandler<DingTalkEventType, S>)
    }
    if (options.onError) given.onError(options.onError)
  }
  return {
    receiveId,
    crypto,
    replyCrypto: (id) => {
      if (id !== PLACEHOLDER) return crypto
      placeholder ??= cryptoFor(PLACEHOLDER)
      return placeholder
    },
    dispatcher,
    limits: {
      maxBodyBytes: positive(tuning.maxBodyBytes, 1024 * 1024),
      nonceFormat: tuning.nonceFormat ?? /^[A-Za-z0-9]{1,64}$/,
      windowMs,
      now: tuning.now ?? Date.now,
    },
    deadlineMs: tuning.deadlineMs === false ? false : positive(tuning.deadlineMs, 1200),
    windowMs,
    checkLicenseCode: options.checkLicenseCode,
  }
}

/**
 * The event pipeline a callback handler creates when it is given none: from the handler's client, suite
 * client, store, handlers, logger and de-duplication tuning (dedupe TTL at least twice the timestamp window).
 *
 * @example
 * ```ts
 * const events = createCallbackDispatcher({ client, options: { dedupeTtlMs: 3600_000 } })
 * const callback = createCallbackHandler({ token, aesKey, dispatcher: events })
 * ```
 */
export function createCallbackDispatcher<S extends SuiteCallbackClient = SuiteCallbackClient>(
  options: Omit<CallbackHandlerOptions<S>, 'token' | 'aesKey' | 'dispatcher'>,
): EventDispatcher<S> {
  const tuning = options.options ?? {}
  const windowMs = windowOf(tuning)
  const { suiteClient } = options
  return createEventDispatcher<S>({
    ...(options.client ? { client: options.client } : {}),
    ...(suiteClient ? { suiteClient } : {}),
    ...(options.store ? { store: options.store } : {}),
    ...(options.handlers ? { handlers: options.handlers } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.onError ? { onError: options.onError } : {}),
    ...(options.receiveId && !options.client && !suiteClient ? { namespace: options.receiveId } : {}),
    dedupeTtlMs: Math.max(positive(tuning.dedupeTtlMs, 24 * 3600_000), windowMs === false ? 0 : 2 * windowMs),
    inflightTtlMs: positive(tuning.inflightTtlMs, 60_000),
    pollIntervalMs: positive(tuning.pollIntervalMs, 50),
    ...(tuning.now ? { now: tuning.now } : {}),
  })
}

function windowOf(tuning: CallbackTuning): number | false {
  return tuning.timestampWindowMs === undefined || tuning.timestampWindowMs === false
    ? false
    : positive(tuning.timestampWindowMs, 300_000)
}

/** URL and licence checks are answered every time; everything else goes through the ledger. */
async function decide<S extends SuiteCallbackClient>(
  setup: Setup<S>,
  parsed: ParsedEvent[],
  message: string,
  delivery: Parameters<EventDispatcher<S>['deliver']>[1],
): Promise<Outcome> {
  const { dispatcher } = setup
  const first = parsed[0]
  if (parsed.length === 1 && first) {
    const { event } = first
    if (URL_CHECKS.has(event.EventType)) {
      // §1.7, §2.3: URL checks are answered every time (no de-duplication); handlers are best effort.
      await dispatcher.announce(first, delivery)
      return event.EventType === 'check_url'
        ? { kind: 'ack' }
        : { kind: 'ack', message: (event as { Random: string }).Random }
    }
    if (event.EventType === 'check_suite_license_code') {
      const valid = await checkLicense(setup, first, event, delivery)
      await dispatcher.announce(first, delivery)
      // §2.3: only `success` means valid; anything else means invalid.
      return { kind: 'ack', message: valid ? 'success' : 'invalid' }
    }
  }
  const single = parsed.length === 1
  const outcome = await dispatcher.deliver(
    parsed.map((p) => ({ parsed: p, id: eventIdOf(p, single ? message : undefined) })),
    delivery,
  )
  return outcome.kind === 'ack' ? { kind: 'ack' } : outcome
}

async function checkLicense<S extends SuiteCallbackClient>(
  setup: Setup<S>,
  parsed: ParsedEvent,
  event: EventOf<'check_suite_license_code'>,
  delivery: Parameters<EventDispatcher<S>['deliver']>[1],
): Promise<boolean> {
  const { reporter } = setup.dispatcher
  if (!setup.checkLicenseCode) {
    reporter.report('CALLBACK_LICENSE_CODE', 'No checkLicenseCode option; licence code answered as invalid', {
      eventType: event.EventType,
    })
    return false
  }
  const context: EventContext<S> = {
    receiveId: delivery.receiveId,
    dedupeKey: undefined,
    raw: parsed.raw,
    sync: parsed.sync,
    client: setup.dispatcher.client,
    suiteClient: setup.dispatcher.suiteClient,
    locals: delivery.locals,
    transport: delivery.transport,
    frame: undefined,
  }
  try {
    return (await setup.checkLicenseCode(event, context)) === true
  } catch (cause) {
    reporter.report('CALLBACK_LICENSE_CODE', 'checkLicenseCode failed; answered as invalid', {
      eventType: event.EventType,
      cause,
    })
    return false
  }
}
