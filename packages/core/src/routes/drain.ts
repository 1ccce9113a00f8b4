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
 * connections as soon as they carry no request (and, on Node, connections that never sent one: a browser's
 * preconnect), lets every request in flight finish and reply (DingTalk re-pushes a callback that gets no
 * reply), then waits for `idle`. After `timeoutMs` the remaining connections are cut. Resolves `true` when
 * everything finished in time, `false` when connections were cut.
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
  // A keep-alive connection whose reply went out is closed as soon as it is idle, not when the client leaves;
  // so is one that never carried a request (see nodeConnections).
  const connections = nodeConnections(server)
  const sweep = (): void => {
    server.closeIdleConnections?.()
    for (const { socket } of connections?.all() ?? []) if (socket?.bytesRead === 0) socket.destroy()
  }
  sweep()
  const sweeper = setInterval(sweep, 25)
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

/** Node's list of a server's connections, as far as {@link drainServer} reads it. */
interface ConnectionList {
  all(): { socket?: { bytesRead: number; destroy(): void } | null }[]
}

/**
 * Node's own list of `server`'s connections (the one `closeAllConnections()` walks, under the symbol
 * `http.server.connections`), or `undefined` on a server without it (another runtime). drainServer closes
 * the connections in it that have not sent a byte: a browser's preconnect (Chromium opens a spare socket beside
 * the page's own), a load balancer's warm pool. Node's `closeIdleConnections()` leaves them open — it counts a
 * fresh connection as busy from the moment it opens, so that `headersTimeout` applies to it — and `close()`
 * would then wait for the whole drain timeout. Cutting one is as safe as cutting an idle keep-alive
 * connection: no request has begun on it, and clients retry a request on a connection closed before any reply.
 */
function nodeConnections(server: DrainableServer): ConnectionList | undefined {
  const key = Object.getOwnPropertySymbols(server).find((s) => s.description === 'http.server.connections')
  const list = key === undefined ? undefined : (server as unknown as Record<symbol, unknown>)[key]
  return typeof (list as Partial<ConnectionList> | undefined)?.all === 'function'
    ? (list as ConnectionList)
    : undefined
}
