/**
 * The part of a Node `http.Server` (also what `@hono/node-server`'s `serve` returns) that
 * {@link drainServer} uses.
 */
export interface DrainableServer {
  close(callback?: (error?: Error) => void): unknown
  /** Node ≥ 18.2: closes keep-alive connections that carry no request. */
  closeIdleConnections?(): void
  /** Node ≥ 18.2: closes every connection, in flight or not. */
  closeAllConnections?(): void
}

/** Options of {@link drainServer}. */
export interface DrainOptions {
  /**
   * Work still running after its reply, awaited once the server is closed: `routes.idle()` (the adapters'
   * `dt.dingtalk.idle()`), a Stream client's `close()`…
   */
  idle?: () => Promise<unknown>
  /** How long the requests in flight and `idle` may take, in all; then the connections are cut. Default 10 000. */
  timeoutMs?: number
}

/**
 * Shuts a server down without cutting callbacks off: stops accepting connections at once, closes keep-alive
 * connections as soon as they carry no request, lets every request in flight finish and reply (DingTalk
 * re-pushes a callback that gets no reply), then waits for `idle`. After `timeoutMs` the remaining connections
 * are cut. Resolves `true` when everything finished in time, `false` when connections were cut.
 *
 * @example
 * ```ts
 * process.once('SIGTERM', () => {
 *   void drainServer(server, { idle: () => dt.dingtalk.idle(), timeoutMs: 10_000 }).then(() => process.exit(0))
 * })
 * ```
 */
export async function drainServer(server: DrainableServer, options: DrainOptions = {}): Promise<boolean> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000)
  let timer: ReturnType<typeof setTimeout> | undefined
  const expired = (): Promise<false> =>
    new Promise((resolve) => {
      timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()))
    })
  const closed = new Promise<true>((resolve) => {
    server.close(() => resolve(true))
  })
  // A keep-alive connection whose reply went out is closed as soon as it is idle, not when the client leaves.
  server.closeIdleConnections?.()
  const sweeper = setInterval(() => server.closeIdleConnections?.(), 25)
  try {
    const drained = await Promise.race([closed, expired()])
    clearTimeout(timer)
    if (!drained) {
      server.closeAllConnections?.()
      return false
    }
    if (options.idle === undefined) return true
    const done = await Promise.race([options.idle().then(() => true as const), expired()])
    return done
  } finally {
    clearInterval(sweeper)
    clearTimeout(timer)
  }
}
