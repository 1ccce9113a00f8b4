// The emulator in a process of its own for the Stream benchmark (src/stream.ts): it pushes a round of events
// to one client and times it from the first frame to the last ACK, on its own core.
import { defaultFixture, type Fixture, startEmulator } from '@dingtalk-kit/emulator'

/** What the benchmark asks of this process. */
export type GatewayCommand = { cmd: 'round'; clientId: string; events: number } | { cmd: 'exit' }

/** What this process answers. */
export type GatewayReport =
  | { type: 'ready'; url: string }
  | { type: 'round'; eventsPerSec: number; cpuMicrosPerEvent: number; failed: number; redelivered: number }

/** The apps the three consumers connect as: one each, so every push goes to the consumer under test. */
export const STREAM_APPS = ['ours', 'bare', 'official'].map((name, i) => ({
  name: `bench-${name}`,
  agentId: 900_001 + i,
  appKey: `dingbenchstream${name}`,
  appSecret: `bench-stream-secret-${name}`,
}))

const send = (report: GatewayReport): void => {
  process.send?.(report)
}

const org = defaultFixture.orgs[0]!
const fixture: Fixture = {
  ...defaultFixture,
  orgs: [{ ...org, apps: [...(org.apps ?? []), ...STREAM_APPS] }, ...defaultFixture.orgs.slice(1)],
}

export async function runGateway(): Promise<void> {
  const emu = await startEmulator({
    fixture,
    suiteTicketIntervalMs: 0,
    // No SYSTEM pings, and no redelivery while a backlog is worked through: every event is pushed once.
    stream: { pingIntervalMs: 0, ackTimeoutMs: { EVENT: 600_000 } },
  })
  process.on('message', (message: GatewayCommand) => {
    if (message.cmd === 'exit') {
      void emu.close().then(() => process.exit(0))
      return
    }
    void (async () => {
      await emu.stream.waitForConnections(1, message.clientId)
      const started = performance.now()
      const cpu = process.cpuUsage()
      const deliveries = Array.from({ length: message.events }, (_, i) =>
        emu.stream.event(message.clientId, 'user_modify_org', {
          userId: [`user${i}`],
          timeStamp: Date.now(),
        }),
      )
      const results = await Promise.all(deliveries.map((d) => d.done))
      const seconds = (performance.now() - started) / 1000
      const used = process.cpuUsage(cpu)
      send({
        type: 'round',
        eventsPerSec: message.events / seconds,
        cpuMicrosPerEvent: (used.user + used.system) / message.events,
        failed: results.filter((r) => !r.ok).length,
        redelivered: deliveries.reduce((n, d) => n + d.redeliveries, 0),
      })
    })()
  })
  send({ type: 'ready', url: emu.url })
}

if (process.env.DINGTALK_KIT_BENCH_GATEWAY === '1') await runGateway()
