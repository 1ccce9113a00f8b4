import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { benchHonoAdapter } from './adapter-hono'
import { benchKoaAdapter } from './adapter-koa'
import { benchNestjsAdapter } from './adapter-nestjs'
import { benchClient, benchClientFigures } from './client'
import type { BenchOptions } from './lib'
import { benchOtel } from './otel'
import { benchRobots } from './robots'
import { benchStoreWrites } from './store-writes'
import { benchStream } from './stream'

const CHILD_FLAG = 'DINGTALK_KIT_BENCH_SECTION'
const SECTIONS = {
  nestjs: benchNestjsAdapter,
  koa: benchKoaAdapter,
  hono: benchHonoAdapter,
  client: benchClient,
  clientFigures: benchClientFigures,
  stream: benchStream,
  otel: benchOtel,
  robots: benchRobots,
  store: benchStoreWrites,
} as const

/** A benchmark that runs in a process of its own. */
export type IsolatedSection = keyof typeof SECTIONS

type Result<K extends IsolatedSection> = Awaited<ReturnType<(typeof SECTIONS)[K]>>

/**
 * Runs one benchmark in a process of its own, as an app runs one framework. In a process shared with the
 * others, the core's code, already run with other request shapes (Node streams and header objects, Web bodies
 * and `Headers`, the emulator's traffic), is measured polymorphic, while the hand-written baselines, which share
 * nothing, are not; and each section's garbage lands on the next one.
 */
export async function isolated<K extends IsolatedSection>(
  name: K,
  options: BenchOptions,
): Promise<Result<K>> {
  const child = fork(fileURLToPath(import.meta.url), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, [CHILD_FLAG]: JSON.stringify({ name, options }) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  return new Promise<Result<K>>((resolve, reject) => {
    let result: { value: Result<K> } | undefined
    child.on('message', (message: Result<K>) => {
      result = { value: message }
    })
    child.on('error', reject)
    child.on('exit', (code) => {
      if (code === 0 && result) resolve(result.value)
      else reject(new Error(`the ${name} benchmark exited with ${code}`))
    })
  })
}

async function child(spec: string): Promise<void> {
  const { name, options } = JSON.parse(spec) as { name: IsolatedSection; options: BenchOptions }
  const result = await SECTIONS[name](options)
  await new Promise<void>((resolve, reject) =>
    process.send?.(result, (e: Error | null) => (e ? reject(e) : resolve())),
  )
  process.exit(0)
}

const spec = process.env[CHILD_FLAG]
if (spec !== undefined) await child(spec)
