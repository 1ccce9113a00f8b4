/**
 * The attribute keys of the spans and metrics `instrument()` records: OpenTelemetry's semantic conventions
 * where one fits (`http.request.method`, `url.path`, `http.response.status_code`, `error.type`), `dingtalk.*`
 * for the rest. Values are DingTalk's codes, paths and counts: never a secret, token, ticket, code, query
 * string or body.
 *
 * @example
 * ```ts
 * const errcode = span.attributes[ATTRIBUTES.errcode] // e.g. 0, 60121
 * ```
 */
export const ATTRIBUTES = {
  /** `oapi` (oapi.dingtalk.com, the legacy API) or `v1` (api.dingtalk.com). */
  api: 'dingtalk.api',
  method: 'http.request.method',
  /** The API path without query string, e.g. `/topapi/v2/user/get`. */
  path: 'url.path',
  status: 'http.response.status_code',
  errcode: 'dingtalk.errcode',
  subCode: 'dingtalk.sub_code',
  apiCode: 'dingtalk.api_code',
  requestId: 'dingtalk.request_id',
  attempts: 'dingtalk.attempts',
  retries: 'dingtalk.retries',
  /** `true` when DingTalk rejected the token and the call was replayed with a fresh one (§4.5). */
  replayed: 'dingtalk.token.replayed',
  /** The error's code (`API_ERROR`, `TIMEOUT`, `STORE_TIMEOUT`, …), or its name. */
  errorType: 'error.type',
  /** `access_token`, `jsapi_ticket`, `suite_access_token`. */
  tokenKind: 'dingtalk.token.kind',
  /** `fetched`, `shared`, `stale`, `failed`. */
  tokenOutcome: 'dingtalk.token.outcome',
  /** `held` (this instance held the refresh lease), `waited` (for another instance), `none`. */
  tokenLease: 'dingtalk.token.lease',
  /** `callback` or `stream`. */
  transport: 'dingtalk.transport',
  eventType: 'dingtalk.event.type',
  eventTypes: 'dingtalk.event.types',
  eventCount: 'dingtalk.event.count',
  /** Events of the delivery that had been handled before (re-pushes), acknowledged without handlers. */
  duplicates: 'dingtalk.event.duplicates',
  /** `ack`, `retry` (DingTalk delivers again), `duplicate` (every event handled before), `late`. */
  outcome: 'dingtalk.delivery.outcome',
  /**
   * The time left to answer when the delivery reached the pipeline, in ms: the callback's deadline (1200 ms
   * by default) less what reading, verifying and decrypting took. HTTP callbacks only (Stream has none).
   */
  deadlineMs: 'dingtalk.deadline_ms',
  /** `ok` or `error`, for handlers. */
  handlerOutcome: 'dingtalk.handler.outcome',
  /** Where a store failed: `token` (the token/ticket cache) or `events` (de-duplication). */
  storeUse: 'dingtalk.store.use',
  streamType: 'dingtalk.stream.type',
  streamStatus: 'dingtalk.stream.ack_status',
  streamSent: 'dingtalk.stream.ack_sent',
  byServer: 'dingtalk.stream.by_server',
} as const

/**
 * The metric names `instrument()` records. Durations are histograms in seconds; counters count calls,
 * refreshes, deliveries and events.
 *
 * @example
 * ```ts
 * const calls = resourceMetrics.scopeMetrics[0]?.metrics.find((m) => m.descriptor.name === METRICS.apiCalls)
 * ```
 */
export const METRICS = {
  /** Counter: API calls by `dingtalk.api`, method, `url.path`, `dingtalk.errcode`/`dingtalk.api_code`, `error.type`. */
  apiCalls: 'dingtalk.api.calls',
  /** Counter: failed API calls, same attributes. */
  apiErrors: 'dingtalk.api.errors',
  /** Histogram (s): API call duration, all attempts included, same attributes. */
  apiDuration: 'dingtalk.api.duration',
  /** Counter: attempts repeated after transient failures or rate limits, by path. */
  apiRetries: 'dingtalk.api.retries',
  /** Counter: token and ticket refreshes by kind, outcome and lease. */
  tokenRefreshes: 'dingtalk.token.refreshes',
  /** Histogram (s): refresh duration (waiting for another instance included). */
  tokenRefreshDuration: 'dingtalk.token.refresh.duration',
  /** Counter: deliveries (callbacks, Stream events) by transport and outcome. */
  deliveries: 'dingtalk.event.deliveries',
  /** Histogram (s): from reaching the pipeline to the answer, by transport and outcome. */
  deliveryDuration: 'dingtalk.event.delivery.duration',
  /** Histogram (ratio): delivery duration over the time the transport allowed (1 = at the deadline). */
  deadlineUsage: 'dingtalk.event.deadline.usage',
  /** Counter: re-pushed events acknowledged without running handlers, by transport. */
  duplicates: 'dingtalk.event.duplicates',
  /** Histogram (s): handler duration by event type, transport and outcome. */
  handlerDuration: 'dingtalk.event.handler.duration',
  /** Counter: pipeline failures reported by code (`CALLBACK_REJECTED`, `CALLBACK_HANDLER_FAILED`, …). */
  eventErrors: 'dingtalk.event.errors',
  /** Counter: store failures (errors and timeouts) by `error.type` and `dingtalk.store.use`. */
  storeErrors: 'dingtalk.store.errors',
  /** Counter: Stream reconnects scheduled. */
  streamReconnects: 'dingtalk.stream.reconnects',
  /** Counter: Stream connections lost or handed over, by `dingtalk.stream.by_server`. */
  streamDisconnects: 'dingtalk.stream.disconnects',
  /** Counter: Stream ACKs by frame type, status and whether they could be sent. */
  streamAcks: 'dingtalk.stream.acks',
  /** Counter: Stream redeliveries of frames handled before, by frame type. */
  streamRedeliveries: 'dingtalk.stream.redeliveries',
} as const
