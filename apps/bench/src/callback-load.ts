import { buildPush, checkReply } from '@dingtalk-kit/emulator'
import autocannon from 'autocannon'
import { type BenchOptions, type Comparison, type Measurement, median } from './lib'

/** One autocannon run against a callback route. */
export interface Run {
  rps: number
  p50: number
  p99: number
}

/** The callback credentials both routes under comparison are configured with. */
export interface CallbackSecrets {
  token: string
  aesKey: string
  receiveId: string
}

/**
 * Checks that `url` answers a signed push correctly (the encrypted reply DingTalk expects), then loads it
 * with autocannon (16 connections, in a worker thread, off the event loop of the server it measures) after an
 * uncounted warm-up.
 */
export async function loadCallback(url: string, secrets: CallbackSecrets, durationS: number): Promise<Run> {
  const push = buildPush({
    url,
    ...secrets,
    event: { EventType: 'user_add_org', UserId: ['bench'], CorpId: secrets.receiveId, TimeStamp: '1' },
  })
  const headers = { 'content-type': 'application/json' }
  const probe = await fetch(push.url, { method: 'POST', headers, body: push.body })
  const check = checkReply({ status: probe.status, body: await probe.text(), ...secrets })
  if (!check.ok) throw new Error(`the route under test does not answer correctly: ${check.reason}`)
  const request = {
    url: push.url,
    method: 'POST' as const,
    headers,
    body: push.body,
    connections: 16,
    workers: 1,
  }
  await autocannon({ ...request, amount: durationS > 1 ? 1000 : 300 })
  const result = await autocannon({ ...request, duration: durationS })
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`${result.non2xx} non-2xx answers and ${result.errors} errors under load`)
  }
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 }
}

const middle = (runs: Run[]): Run => [...runs].sort((a, b) => a.rps - b.rps)[runs.length >> 1]!

function measurement(name: string, runs: Run[]): Measurement {
  const rates = runs.map((r) => r.rps)
  return { name, opsPerSec: middle(runs).rps, min: Math.min(...rates), max: Math.max(...rates) }
}

/**
 * The adapter's callback route against the hand-written one in rounds of one run each, back to back, the
 * order alternating from round to round (so neither side always gets the warmer or the noisier slot). The
 * ratio is the median of the per-round ratios: each compares two runs a few seconds apart, which cancels the
 * slow drift of a shared machine that a ratio of the two sides' medians would keep. Full mode: nine rounds
 * of 3 s per side; quick mode: two of 1 s. p50/p99 of each side's median run go in the note.
 */
export async function compareCallbackRoutes(
  options: BenchOptions,
  group: string,
  adapter: { name: string; run: (durationS: number) => Promise<Run> },
  handWritten: { name: string; run: (durationS: number) => Promise<Run> },
  note: string,
): Promise<Comparison> {
  const rounds = options.quick ? 2 : 9
  const durationS = options.quick ? 1 : 3
  const ours: Run[] = []
  const theirs: Run[] = []
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) ours.push(await adapter.run(durationS))
    theirs.push(await handWritten.run(durationS))
    if (r % 2 === 1) ours.push(await adapter.run(durationS))
  }
  const a = middle(ours)
  const h = middle(theirs)
  return {
    group,
    candidate: measurement(adapter.name, ours),
    baseline: measurement(handWritten.name, theirs),
    ratio: median(ours.map((run, r) => run.rps / theirs[r]!.rps)),
    goal: 0.9,
    note: `ratio: median of ${rounds} paired rounds; adapter p50 ${a.p50} ms, p99 ${a.p99} ms; hand-written p50 ${h.p50} ms, p99 ${h.p99} ms. ${note}`,
  }
}
