import type { IncomingMessage, ServerResponse } from 'node:http'
import { type FaultKind, type FaultSpec, faultPage } from './faults'
import type { RequestLogEntry } from './request-log'
import { redactQuery } from './request-log'
import { type BodyRead, readBody, send, type Timers } from './server'

/** One request on its way to an endpoint, after the faults that do not depend on the API have been applied. */
export interface Exchange {
  req: IncomingMessage
  res: ServerResponse
  url: URL
  /** The path without trailing slashes. */
  path: string
  method: string
  entry: RequestLogEntry
  body: BodyRead
  /** A fault the API answers in its own shape: `busy` or `truncated`. */
  fault: FaultKind | undefined
}

/** One of the APIs the emulator serves on its port. */
export interface Api {
  /** Largest body read for a request to `path`. */
  bodyLimit(method: string, path: string): number
  dispatch(exchange: Exchange): Promise<void>
}

/**
 * The server side of every request: logs it, applies injected faults (reset, latency, canned pages), reads
 * the body and hands it to the API that serves the path.
 */
export function createRequestHandler(deps: {
  log: RequestLogEntry[]
  now: () => number
  takeFaults: (path: string) => { latencyMs: number; action?: FaultSpec }
  timers: Timers
  /** The API serving a path. */
  apiFor: (path: string) => Api
}): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://emulator')
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname
    const method = req.method ?? 'GET'
    const entry: RequestLogEntry = {
      time: deps.now(),
      method,
      path,
      query: redactQuery(url.searchParams),
      body: undefined,
      status: 0,
      ip: req.socket.remoteAddress ?? '',
    }
    deps.log.push(entry)
    const hit = deps.takeFaults(path)
    if (hit.action?.kind === 'reset') {
      entry.fault = 'reset'
      req.socket.destroy()
      return
    }
    const api = deps.apiFor(path)
    const body = await readBody(req, api.bodyLimit(method, path))
    if (hit.latencyMs > 0) {
      entry.fault = 'latency'
      await deps.timers.sleep(hit.latencyMs)
    }
    const action = hit.action
    if (action) entry.fault = action.kind
    const page = action && faultPage(action)
    if (page) return send(res, entry, page.status, { 'Content-Type': page.contentType }, page.body)
    await api.dispatch({ req, res, url, path, method, entry, body, fault: action?.kind })
  }
}
