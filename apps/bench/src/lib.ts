import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

/**
 * A tiny, dependency-free benchmark harness. Every figure is measured in rounds that alternate between
 * the candidate and its baseline, so both see the same machine noise; we report the median of the
 * per-round ops/s and the spread (min–max), and the ratio of the medians.
 */
export interface Measurement {
  name: string
  opsPerSec: number
  min: number
  max: number
}

export interface Comparison {
  group: string
  candidate: Measurement
  baseline: Measurement
  ratio: number
  goal?: number
  note?: string
}

export interface BenchOptions {
  quick: boolean
}

type Fn = () => unknown | Promise<unknown>

/** The median of `values` (the mean of the middle two for an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

async function timeRound(fn: Fn, iterations: number, isAsync: boolean): Promise<number> {
  const start = process.hrtime.bigint()
  if (isAsync) {
    for (let i = 0; i < iterations; i++) await fn()
  } else {
    for (let i = 0; i < iterations; i++) fn()
  }
  const ns = Number(process.hrtime.bigint() - start)
  return (iterations * 1e9) / ns
}

async function calibrate(fn: Fn, isAsync: boolean, roundMs: number): Promise<number> {
  let n = 1
  for (;;) {
    const start = performance.now()
    await timeRound(fn, n, isAsync)
    const elapsed = performance.now() - start
    if (elapsed >= roundMs / 4 || n >= 1 << 24)
      return Math.max(1, Math.round((n * roundMs) / Math.max(elapsed, 0.01)))
    n *= 4
  }
}

/** How long a comparison runs, where the defaults (1 s of warm-up, 15 rounds) are too short. */
export interface RoundsOptions {
  /** Timed rounds of about 200 ms each side (full run; a quick run keeps 3). */
  rounds?: number
  /** Untimed warm-up, both sides by turns (full run). */
  warmupMs?: number
}

/**
 * For calls over loopback to the emulator, which shares the process: a few hundred calls a round, whose
 * per-round ratio spreads by ±15% (GC, the VM's scheduling), and a process that keeps warming up for seconds
 * (rates climbed from 1.1 k/s to 4 k/s over the first rounds). With the defaults the median of 15 ratios moved
 * by ±5% from one run to the next on the same build (client GET: 0.84–0.97×); 41 rounds after 3 s of warm-up
 * narrow that by about √(41/15), without moving it (A/A runs of a bare fetch against itself: 0.96–1.02×).
 */
export const LOOPBACK_ROUNDS: RoundsOptions = { rounds: 41, warmupMs: 3000 }

/**
 * Runs the functions by turns, in slices of `roundMs / 4`, for `totalMs` before anything is timed, so that
 * what is measured is code V8 has compiled for the job. Calibration alone runs each function for about a
 * quarter of a round: too little for a call that goes through many functions (a client request: the
 * pipeline, undici and the emulator), which then spends its first timed rounds being tiered up while its
 * thin baseline does not (first comparison in a fresh process, 4 runs: 0.82–0.88× without, 0.92–0.98× with).
 */
async function warmUp(fns: readonly Fn[], totalMs: number, roundMs: number): Promise<void> {
  const end = performance.now() + totalMs
  while (performance.now() < end) {
    for (const fn of fns) {
      const sliceEnd = performance.now() + roundMs / 4
      while (performance.now() < sliceEnd) {
        const result = fn()
        if (result instanceof Promise) await result
      }
    }
  }
}

function summarise(name: string, samples: number[]): Measurement {
  return { name, opsPerSec: median(samples), min: Math.min(...samples), max: Math.max(...samples) }
}

/**
 * Measures `candidate` against `baseline` in interleaved rounds (same run, same payloads). The side that goes
 * first alternates each round (a round's garbage is collected in the next one, whichever side that is), and the
 * ratio is the median of the per-round ratios: each pairs two rounds a moment apart, so the load of the machine
 * drifting over the run cancels out instead of landing on one side (a ratio of medians swung ±15% between runs
 * on the same build). Functions that return a promise are awaited one call at a time.
 */
export async function compare(
  group: string,
  candidate: { name: string; fn: Fn },
  baseline: { name: string; fn: Fn },
  options: BenchOptions & RoundsOptions & { goal?: number; note?: string },
): Promise<Comparison> {
  const isAsync = (f: Fn): boolean => f() instanceof Promise
  const candAsync = isAsync(candidate.fn)
  const baseAsync = isAsync(baseline.fn)
  const roundMs = options.quick ? 20 : 200
  const rounds = options.quick ? 3 : (options.rounds ?? 15)
  await warmUp([candidate.fn, baseline.fn], options.quick ? 40 : (options.warmupMs ?? 1000), roundMs)
  const nc = await calibrate(candidate.fn, candAsync, roundMs)
  const nb = await calibrate(baseline.fn, baseAsync, roundMs)
  const cs: number[] = []
  const bs: number[] = []
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) {
      cs.push(await timeRound(candidate.fn, nc, candAsync))
      bs.push(await timeRound(baseline.fn, nb, baseAsync))
    } else {
      bs.push(await timeRound(baseline.fn, nb, baseAsync))
      cs.push(await timeRound(candidate.fn, nc, candAsync))
    }
  }
  const c = summarise(candidate.name, cs)
  const b = summarise(baseline.name, bs)
  const ratio = median(cs.map((rate, r) => rate / bs[r]!))
  const result: Comparison = { group, candidate: c, baseline: b, ratio }
  if (options.goal !== undefined) result.goal = options.goal
  if (options.note !== undefined) result.note = options.note
  return result
}

/** Measures a single function (no baseline), e.g. a cached read whose goal is an absolute rate. */
export async function measure(name: string, fn: Fn, options: BenchOptions): Promise<Measurement> {
  const isAsync = fn() instanceof Promise
  const roundMs = options.quick ? 20 : 200
  const rounds = options.quick ? 3 : 15
  await warmUp([fn], options.quick ? 20 : 500, roundMs)
  const n = await calibrate(fn, isAsync, roundMs)
  const samples: number[] = []
  for (let r = 0; r < rounds; r++) samples.push(await timeRound(fn, n, isAsync))
  return summarise(name, samples)
}

export function formatOps(ops: number): string {
  if (ops >= 1e6) return `${(ops / 1e6).toFixed(2)} M/s`
  if (ops >= 1e3) return `${(ops / 1e3).toFixed(1)} k/s`
  return `${ops.toFixed(1)} /s`
}

/** `gc()` for heap figures: the global one under --expose-gc, else one exposed at run time. */
export function gcFunction(): (() => void) | undefined {
  const existing = (globalThis as { gc?: () => void }).gc
  if (existing) return existing
  try {
    setFlagsFromString('--expose-gc')
    return runInNewContext('gc') as () => void
  } catch {
    return undefined
  }
}
