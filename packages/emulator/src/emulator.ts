import { createApprovalsController } from './approvals'
import { createCardsController } from './cards'
import { actorControls, tokenControls } from './controls'
import { createRequestHandler } from './exchange'
import { createFaults } from './faults'
import { loadFixture } from './fixture'
import { createInternals } from './internals'
import { createLimits } from './limits'
import { oapiApi } from './oapi'
import { PushManager } from './pushes'
import type { RequestLogEntry } from './request-log'
import { isRobotPath, robotApi } from './robot/api'
import { createRobotController } from './robot/controller'
import { createWebLoginController } from './routes/sns'
import { closeServer, listen, Timers } from './server'
import { buildState } from './state'
import { STREAM_OPEN_PATH, StreamGateway } from './stream/gateway'
import { streamOpenApi } from './stream/open-api'
import { v1Api } from './v1/dispatch'

export type { FaultController, FaultKind, FaultSpec } from './faults'
export type { RateLimitRule } from './limits'
export type { RequestLogEntry } from './request-log'

import type { Emulator, EmulatorOptions } from './emulator-types'

export type { AuthorizeResult, Emulator, EmulatorOptions, TokenFilter } from './emulator-types'

/**
 * Starts a local DingTalk (`oapi.dingtalk.com`, the `api.dingtalk.com` v1.0 endpoints it knows, and the
 * callback pusher) on a free loopback port.
 *
 * @example
 * ```ts
 * const emu = await startEmulator()
 * const app = defaultFixture.orgs[0]!.apps![0]!
 * const res = await fetch(`${emu.url}/gettoken?appkey=${app.appKey}&appsecret=${app.appSecret}`)
 * console.log(await res.json()) // { errcode: 0, errmsg: 'ok', access_token: '…', expires_in: 7200 }
 * await emu.close()
 * ```
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const now = options.now ?? Date.now
  const state = buildState(loadFixture(options.fixture), now())
  if (options.cardQps !== undefined) state.cards.qps = options.cardQps
  const log: RequestLogEntry[] = []
  const faults = createFaults()
  const timers = new Timers()
  const pushes = new PushManager(state, now, options.push ?? {})
  const internals = createInternals(
    state,
    now,
    (options.tokenTtlSeconds ?? 7200) * 1000,
    pushes,
    options.corpTokens,
  )
  const check = createLimits(state, options, now)
  const apiDeps = {
    emu: internals,
    check,
    maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024,
    strictEscapes: options.strictEscapes === true,
  }
  const oapi = oapiApi(apiDeps)
  const v1 = v1Api(apiDeps)
  // Stream mode (stream/): corp events go over Stream to apps that take them there.
  const stream = new StreamGateway(state, now, options.stream)
  pushes.streamRoute = (corpId, event, receiveId) => stream.routeCorpEvent(corpId, event, receiveId)
  const gateway = streamOpenApi(stream)
  let baseUrl = ''
  const robot = createRobotController({
    state,
    now,
    stream: stream.api,
    url: () => baseUrl,
    sessionTtlMs: options.robotSessionTtlMs ?? 90 * 60 * 1000,
  })
  const robots = robotApi({ state, now, robot: () => robot })
  const apiFor = (path: string) =>
    path === STREAM_OPEN_PATH ? gateway : path.startsWith('/v1.0/') ? v1 : isRobotPath(path) ? robots : oapi
  const handle = createRequestHandler({ log, now, takeFaults: faults.take, timers, apiFor })
  const { server, url } = await listen(handle, options.port ?? 0, options.host ?? '127.0.0.1')
  server.on('upgrade', stream.upgrade)
  stream.listenOn(url)
  baseUrl = url

  const intervalMs = options.suiteTicketIntervalMs ?? 20 * 60 * 1000
  let ticketTimer: NodeJS.Timeout | undefined
  if (intervalMs > 0) {
    ticketTimer = setInterval(() => {
      for (const suite of state.suites.values()) pushes.suiteTicket(suite)
    }, intervalMs)
    ticketTimer.unref()
  }

  let closed: Promise<void> | undefined
  return {
    url,
    state,
    log,
    faults: faults.controller,
    push: pushes.settings,
    close() {
      closed ??= (async () => {
        if (ticketTimer) clearInterval(ticketTimer)
        timers.clear()
        await pushes.close()
        await stream.close()
        await closeServer(server)
      })()
      return closed
    },
    ...tokenControls(state, now, log),
    ...actorControls(internals, pushes),
    approvals: createApprovalsController(internals), // #19
    webLogin: createWebLoginController(internals), // #19
    stream: stream.api,
    robot,
    cards: createCardsController(state.cards, (id, topic, data) => stream.api.callback(id, topic, data), now), // #16
  }
}
