import { readFileSync, writeFileSync } from 'node:fs'
import { availableParallelism, loadavg } from 'node:os'
import { benchCards } from './cards'
import { type StableFacts, stableProblems } from './check'
import { benchCrypto } from './crypto'
import { isolated } from './isolated'
import { formatOps } from './lib'
import { benchCallbackMemory } from './memory'
import { benchPeers, interop } from './peers'
import { benchRedis } from './redis'
import { renderReport, type Section, spliceSection, verdict } from './report'
import { benchSizes, sizeSection } from './sizes'
import { benchTokenConcurrency } from './tokens'

// --check: a quick run that then fails on any broken count or correctness fact (never on a speed).
const check = process.argv.includes('--check')
const quick = check || process.argv.includes('--quick')
// `--only stream` (or another section's key): measure that section alone and replace it in REPORT.md.
const onlyAt = process.argv.indexOf('--only')
const only = onlyAt >= 0 ? process.argv[onlyAt + 1] : undefined
const SECTIONS = [
  'crypto',
  'peers',
  'client',
  'tokens',
  'adapters',
  'memory',
  'store',
  'redis',
  'sizes',
  'stream',
  'otel',
  'robots',
  'cards',
]
if (only !== undefined && (check || !SECTIONS.includes(only))) {
  throw new Error(`--only takes one of ${SECTIONS.join(', ')}, and not with --check`)
}
const want = (key: string): boolean => only === undefined || only === key
const options = { quick }
const sections: Section[] = []

const log = (message: string): void => {
  process.stderr.write(`${message}\n`)
}

log(`dingtalk-kit benchmarks (${check ? 'check' : quick ? 'quick' : 'full'} mode)`)
// What --check asserts besides the comparisons, filled in by the sections that measure it.
const facts: Partial<StableFacts> = {}

if (want('crypto')) {
  log('· callback crypto and JSAPI signing')
  sections.push({
    title: 'Callback crypto and JSAPI signing (core)',
    comparisons: await benchCrypto(options),
    notes: [
      'Candidate: `createCallbackCrypto()` with every strict check on (canonical Base64, ciphertext length, every ' +
        'padding byte, length field, exact receive-id, UTF-8). Baseline: the same work straight on `node:crypto`, ' +
        'one cipher and one hash object per message, as the npm libraries and the official samples do it.',
    ],
  })
}

if (want('peers')) {
  log('· the npm peers')
  const compat = await interop()
  facts.interop = compat
  sections.push({
    title: 'Against the npm packages that do this crypto today',
    comparisons: await benchPeers(options),
    notes: [
      'Goal: dingtalk-kit ahead of every peer (ratio ≥ 1) while doing more work. Each peer is measured as a user ' +
        'would have to call it (signature compared, receive-id compared where the package leaves it to the caller).',
    ],
    markdown: [
      '| peer | our decrypt of its ciphertext | its decrypt of ours | where it does less (or different) work |',
      '|---|---|---|---|',
      ...compat.map((c) => `| ${c.peer} | ${c.oursDecryptsTheirs} | ${c.theyDecryptOurs} | ${c.lessWork} |`),
    ],
  })
}

if (want('client')) {
  log('· HTTP client and token cache')
  const clientComparisons = await isolated('client', options)
  const figures = await isolated('clientFigures', options)
  sections.push({
    title: 'HTTP client and token cache (core)',
    comparisons: clientComparisons,
    figures: [
      {
        label: figures.cachedToken.name,
        value: formatOps(figures.cachedToken.opsPerSec),
        goal: `≥ ${formatOps(figures.cachedToken.goal)}`,
        met: figures.cachedToken.opsPerSec >= figures.cachedToken.goal,
      },
      ...figures.calls.map((m) => ({ label: m.name, value: formatOps(m.opsPerSec) })),
      {
        label: `heap over ${figures.memory.calls.toLocaleString('en')} calls (${figures.memory.name})`,
        value: `${(figures.memory.heapBeforeBytes / 2 ** 20).toFixed(1)} MiB → ${(figures.memory.heapAfterBytes / 2 ** 20).toFixed(1)} MiB (${figures.memory.bytesPerCall.toFixed(1)} B/call${figures.memory.gcForced ? ', after forced GC' : ''})`,
      },
    ],
  })
}

if (want('tokens')) {
  log('· getAccessToken() under concurrency')
  const concurrency = await benchTokenConcurrency(options)
  facts.tokens = concurrency
  sections.push({
    title: 'getAccessToken() under 1, 100 and 1,000 concurrent callers',
    comparisons: [],
    figures: concurrency.flatMap((c) => [
      {
        label: `${c.callers} caller(s), cold cache: time until every caller has the token`,
        value: `p50 ${c.coldP50Ms.toFixed(1)} ms, max ${c.coldMaxMs.toFixed(1)} ms`,
      },
      {
        label: `${c.callers} caller(s), cold cache: gettoken calls per round`,
        value: c.gettokenPerColdRound.join(', '),
        goal: '1 per round',
        met: c.gettokenPerColdRound.every((n) => n === 1),
      },
      { label: `${c.callers} caller(s), cached`, value: formatOps(c.cachedCallsPerSec) },
    ]),
  })
}

if (want('adapters')) {
  log('· the callback route through each adapter (autocannon on loopback)')
  sections.push({
    title: 'Callback route through each adapter vs the same route hand-written on the bare framework',
    comparisons: [
      ...(await isolated('nestjs', options)),
      ...(await isolated('koa', options)),
      ...(await isolated('hono', options)),
    ],
    notes: [
      'Requests/s of POST …/callback (verify + decrypt + typed event + de-duplication + encrypted reply) under ' +
        'autocannon on loopback, against a route on the same framework that does verify + decrypt + reply with ' +
        '`node:crypto` and nothing else. p50/p99 latency in the notes of each row. Each adapter is measured in a ' +
        'process of its own (as an app runs one framework), both of its routes in that process.',
    ],
  })
}

if (want('memory')) {
  log('· heap over many callbacks through an adapter')
  const memory = await benchCallbackMemory(options)
  facts.memory = memory
  const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`
  sections.push({
    title: 'Memory: callbacks through an adapter',
    comparisons: [],
    figures: [
      {
        label: `heap after ${memory.callbacks.toLocaleString('en')} distinct callbacks through ${memory.adapter}`,
        value: `${mib(memory.heapBeforeBytes)} → ${mib(memory.heapAfterBytes)} (+${mib(memory.heapAfterBytes - memory.heapBeforeBytes)}${memory.gcForced ? ', after forced GC' : ''}); ${memory.handled.toLocaleString('en')} handled, ${memory.failures} failed`,
        goal: `growth ≤ ${mib(memory.boundBytes)}`,
        met: memory.heapAfterBytes - memory.heapBeforeBytes <= memory.boundBytes && memory.failures === 0,
      },
    ],
    notes: [
      `Every callback is a new event, so each leaves a de-duplication mark; the store keeps at most ${memory.dedupeEntries.toLocaleString('en')} (oldest evicted), which is what bounds the heap.`,
    ],
  })
}

if (want('store')) {
  log('· memory store: write cost when full')
  sections.push({
    title: 'Memory store: write cost at 10,000 and 100,000 entries',
    comparisons: await isolated('store', options),
    notes: [
      'Candidate: a new de-duplication mark (`setIfAbsent`, 24 h TTL) into a `memoryStore` at its bound of 10,000 ' +
        'or 100,000 (each write evicts the oldest entry); baseline: the same write into a store at its bound of ' +
        '1,000. Both are made once and written the same way, so the ratio (ops/s ÷ ops/s) says what the size ' +
        'costs: 1 means nothing. Eviction first scanned every entry (≈ 80 µs at 10,000, callbacks 8–9× slower), ' +
        'then took the Map’s first key, which walks the slots V8 keeps for deleted keys (0.06× at 10,000, 0.03× at ' +
        '100,000 against an empty store); now it takes the oldest item of the store’s own write order, and marks ' +
        'written in expiry order (one TTL) queue for expiry in O(1). No scan is left: 10,000 entries cost about what ' +
        '1,000 do, and what 100,000 cost more grows with the memory the store takes, not with a walk over it.',
      'The baseline was an empty store, replaced every 1,000 writes. Its speed depended on how V8 compiled that ' +
        'call (1.3 M/s or 3.0 M/s, about one run in four, with the same code), which moved the 100,000 ratio between ' +
        '0.18× and 0.42×; in a process of its own too, as now.',
    ],
  })
}

if (want('redis')) {
  log('· Redis store, 8 processes')
  const redis = await benchRedis(options)
  const c = redis.contention
  facts.redis = c
  sections.push({
    title: 'Redis store: one token for many instances (@dingtalk-kit/redis)',
    comparisons: redis.comparisons,
    figures: [
      {
        label: `cold refresh under ${c.processes}-process contention (lease lock, ${c.rounds} rounds, ${c.samples} callers)`,
        value: `p50 ${c.p50Ms.toFixed(0)} ms, p99 ${c.p99Ms.toFixed(0)} ms, max ${c.maxMs.toFixed(0)} ms`,
      },
      {
        label: '/gettoken calls per round (goal: exactly 1)',
        value: c.gettokenPerRound.join(', '),
        goal: '1 per round',
        met: c.gettokenPerRound.every((n) => n === 1),
      },
    ],
    notes: [
      `Redis: ${redis.redis}. The waiters poll the store every ${c.pollIntervalMs} ms, which sets most of the p50.`,
    ],
  })
}

if (want('sizes')) {
  log('· install and runtime size')
  sections.push(sizeSection(await benchSizes()))
}

if (want('stream')) {
  log('· Stream mode: events/s through three clients on one emulator')
  const stream = await isolated('stream', options)
  sections.push({
    title: 'Stream mode: events/s through the client (@dingtalk-kit/stream)',
    comparisons: stream.comparisons,
    figures: stream.cpuMicrosPerEvent.map((c) => ({
      label: `CPU per event: ${c.name}`,
      value: `${c.value.toFixed(1)} µs`,
    })),
    notes: [
      'A round pushes a backlog of `user_modify_org` events from the emulator (in a process of its own, on its own ' +
        'core) to one client and times it from the first frame to the last ACK; the three clients take turns. Ours ' +
        'runs a trivial handler through the whole pipeline: frame checks, the typed event, de-duplication on the ' +
        'eventId (memory store: in-flight in the process, one write when done), the ACK after the handler, within its concurrency ' +
        'gate (32); the ACKs of frames handled in one turn of the event loop leave in one socket write. The bare loop ' +
        'parses each frame and sends its ACK (one write each), nothing else. The official `dingtalk-stream` 2.1.5 ' +
        'calls a synchronous listener and ACKs what it returns (its HTTP calls redirected to the emulator).',
      'Each round checks that every event was handled once and ACKed once (no redelivery), for every client.',
      'Events/s is what the pair achieves together: the emulator shares the machine, so a client that needs more CPU ' +
        'per event leaves less to the emulator. The CPU figures (user + system time of each process over its rounds, ' +
        'per event, median) say where it goes: what a client costs on its own, whatever the producer.',
    ],
  })
}

if (want('robots')) {
  log('· robots: message → handler → reply through the session webhook')
  const robots = await isolated('robots', options)
  if (robots.replies !== robots.sent) {
    throw new Error(`robots: ${robots.sent} messages sent, ${robots.replies} replies recorded`)
  }
  sections.push({
    title: 'Robots: message → handler → reply via the session webhook (core)',
    comparisons: robots.comparisons,
    figures: [
      {
        label: 'replies recorded by the session webhook / messages sent (goal: equal)',
        value: `${robots.replies.toLocaleString('en')} / ${robots.sent.toLocaleString('en')}`,
        goal: 'equal',
        met: robots.replies === robots.sent,
      },
    ],
    notes: [
      'Candidate: the robot message as its JSON text arrives → `parseRobotMessage` → `dispatcher.deliver` ' +
        "(de-duplication on `msgId`, memory store) → an `on('robot_message')` handler → `message.reply()`, which " +
        "posts to the session webhook and checks DingTalk's errcode. Baseline: `JSON.parse` and a `fetch` POST of " +
        'the same text reply, reading the JSON answer. Both post to the same session webhook of the emulator, which ' +
        'runs in a process of its own; 16 messages in flight, interleaved rounds of 1,500 messages, the ratio the median of the per-round ratios.',
    ],
  })
}

if (want('otel')) {
  log('· OpenTelemetry: a client call with instrumentation on vs off')
  const { comparisons, cpu } = await isolated('otel', options)
  const [load] = loadavg()
  const us = (n: number): string => `${n.toFixed(1)} µs`
  sections.push({
    title: 'OpenTelemetry overhead: a client call instrumented vs not (@dingtalk-kit/otel)',
    comparisons,
    figures: cpu.map((c) => ({
      label: `CPU per call (${c.name}): instrumented vs not`,
      value: `${us(c.onMicros)} vs ${us(c.offMicros)}: +${us(c.onMicros - c.offMicros)} (${(c.offMicros / c.onMicros).toFixed(2)}×)`,
    })),
    notes: [
      'The same `client.request()` POST with `instrument({ client })` on and without it, interleaved round by round in ' +
        'one process: a span per call (and its token-less attributes), the call counter and duration histogram, ' +
        'through the OpenTelemetry SDK 2.x as a production app registers it (batch span processor, periodic metric ' +
        'reader, the AsyncLocalStorage context manager) with exporters that drop what they are given (no network). ' +
        'Against the emulator, then against a `fetch` answered in-process, where the network and the emulator no ' +
        'longer hide the cost: the second ratio is the upper bound of the overhead.',
      `CPU per call: user + system time of the process over alternating rounds of each side, median; less ` +
        `sensitive to other work on the machine than the rates above (load average ${load?.toFixed(1)} on ` +
        `${availableParallelism()} cores during this run). The emulator runs in the same process, so its CPU is in ` +
        'both sides of the emulator row. "Observer alone": the observer `instrument()` adds, around a call that does ' +
        'nothing, against that call: the whole cost of one instrumented call (span, attributes, two metric records).',
    ],
  })
}

if (want('cards')) {
  log('· cards: streaming at the card QPS limit from 3 processes on one Redis')
  const cards = await benchCards(options)
  facts.cards = cards
  const sum = (rounds: typeof cards.candidate, pick: (r: (typeof rounds)[number]) => number): number =>
    rounds.reduce((n, r) => n + pick(r), 0)
  // Goals belong to the candidate; the baseline's rows show what happens without the limiter.
  const goal = (judged: boolean, text: string, met: boolean) => (judged ? { goal: text, met } : {})
  const row = (name: string, rounds: typeof cards.candidate, judged: boolean) => [
    {
      label: `${name}: QpsLimit errors surfaced to the caller (${rounds.length} round(s))`,
      value: String(sum(rounds, (r) => r.surfaced)),
      ...goal(judged, '0', sum(rounds, (r) => r.surfaced) === 0),
    },
    {
      label: `${name}: accepted updates per second of wall time, per round (vs the limit)`,
      value: rounds
        .map((r) => `${r.qps.toFixed(1)}/s (${((100 * r.qps) / cards.limit).toFixed(0)}%)`)
        .join(', '),
    },
    {
      label: `${name}: busiest second at the emulator, accepted / attempted, per round`,
      value: rounds.map((r) => `${r.maxAccepted} / ${r.maxAttempted}`).join(', '),
      ...goal(
        judged,
        `attempted ≤ ${cards.limit} + 5%`,
        rounds.every((r) => r.maxAttempted <= cards.limit * 1.05),
      ),
    },
    {
      label: `${name}: QpsLimit answers from the emulator (retried or surfaced)`,
      value: rounds.map((r) => String(r.refused)).join(', '),
    },
  ]
  sections.push({
    title: 'Cards: streaming at the card QPS limit from 3 processes on one Redis (core)',
    comparisons: cards.comparisons,
    figures: [
      ...row('client.cards', cards.candidate, true),
      ...row('requestV1 baseline', cards.baseline, false),
    ],
    notes: [
      `${cards.processes} Node processes, each with a client on one Redis (${cards.redis}), each sending ` +
        `${cards.framesPerProcess} \`PUT /v1.0/card/streaming\` frames over 12 cards with 20 in flight: demand far ` +
        `above the emulator's per-app card limit of ${cards.limit}/s (§14.4: about 40), which answers ` +
        'HTTP 403 `QpsLimit` above it. Candidate: `client.cards.streamingUpdate`, whose limiter hands out the ' +
        "second's slots through the shared store, spread over the second, and retries a `QpsLimit` behind a pause " +
        'every instance observes. Baseline: the same frames through `client.requestV1` (retries `QpsLimit` 3 times, ' +
        '1 s, 2 s, 4 s backoff), no limiter. Rounds alternate; each starts on a fresh second. The emulator runs in ' +
        'the benchmark process, on the same 2 cores as the 3 clients and Redis. The rate per second of wall time can ' +
        'read a little above the limit (a round spans parts of its first and last seconds); what DingTalk counts is ' +
        'the busiest second, where the emulator accepts at most the limit and the attempted figure shows how many ' +
        'calls the limiter let through.',
    ],
  })
}

// A quick run (CI) must not overwrite the committed report of a full run; `--only` replaces its sections in it.
const target = new URL(quick ? '../REPORT.quick.md' : '../REPORT.md', import.meta.url)
if (only !== undefined && !quick) {
  let report = readFileSync(target, 'utf8')
  for (const section of sections) report = spliceSection(report, section, `pnpm bench --only ${only}`)
  writeFileSync(target, report)
} else {
  writeFileSync(target, `${renderReport(sections, options)}\n`)
}
for (const section of sections) {
  for (const c of section.comparisons) log(`  ${c.group}: ${c.ratio.toFixed(2)}× ${verdict(c)}`)
}
log(`report written to apps/bench/${quick ? 'REPORT.quick.md' : 'REPORT.md'}`)

if (check) {
  const { interop: compat, tokens, memory, redis, cards } = facts
  if (!compat || !tokens || !memory || !redis || !cards) throw new Error('--check needs every section')
  const comparisons = sections.flatMap((s) => s.comparisons)
  const problems = stableProblems({ comparisons, interop: compat, tokens, memory, redis, cards })
  for (const problem of problems) log(`✗ ${problem}`)
  if (problems.length > 0) {
    log(
      `bench check: ${problems.length} broken fact(s); speeds and ratios are reported above, never asserted`,
    )
    process.exit(1)
  }
  log(
    `bench check: ${comparisons.length} comparisons measured both sides; interop, 1 gettoken per cold round ` +
      `(${tokens.length} caller counts, ${redis.processes} Redis processes), ${memory.handled.toLocaleString('en')} ` +
      'callbacks handled without a failure, every Stream event handled and ACKed once, and no card QPS error ' +
      'surfaced with the limit kept all hold (speeds and ' +
      'ratios are reported, never asserted)',
  )
}
