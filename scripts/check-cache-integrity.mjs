#!/usr/bin/env node
// Proves that turbo's cache cannot replay a pass that a change has made false (issue #14).
//
// 1. Cache keys (dry runs, nothing executed): a one-line change in packages/core/src gives a new hash to the
//    typecheck and test of every package that depends on core, apps included, and to no other package's;
//    a change to each root config in turbo.json's globalDependencies gives every task a new hash.
// 2. The real thing, on a warm cache: un-exporting `createDingTalkClient` in core (apps/koa-example imports it)
//    must make koa-example's typecheck and test FAIL, not replay their cached passes.
//
// Every file it touches is restored (also on Ctrl-C or a crash); the tree is left as it was found.
// Run after `pnpm test` (CI does), or alone: it warms the cache it needs first. Exit 1 on any broken proof.
import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const APP = 'dingtalk-kit-koa-example'
const EXPORT = 'createDingTalkClient'
const CORE = '@dingtalk-kit/core'

const touched = new Map() // path → original text
function change(path, edit) {
  const original = readFileSync(path, 'utf8')
  if (!touched.has(path)) touched.set(path, original)
  writeFileSync(path, edit(original))
}
function restore() {
  for (const [path, text] of touched) writeFileSync(path, text)
  touched.clear()
}
process.on('exit', restore)
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'])
  process.on(signal, () => {
    restore()
    process.exit(130)
  })

function fail(message) {
  restore()
  console.error(`\ncache integrity: FAILED — ${message}`)
  process.exit(1)
}

function turbo(args) {
  const result = spawnSync('pnpm', ['exec', 'turbo', ...args], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 256 * 2 ** 20,
    env: { ...process.env, FORCE_COLOR: '0', TURBO_UI: 'false' },
  })
  if (result.error) fail(`could not run turbo: ${result.error.message}`)
  return { status: result.status, output: `${result.stdout}\n${result.stderr}`, stdout: result.stdout }
}

function hashes() {
  const run = turbo(['run', 'typecheck', 'test', 'build', 'lint', '--dry=json'])
  if (run.status !== 0) fail(`turbo --dry=json exited ${run.status}:\n${run.output}`)
  const tasks = JSON.parse(run.stdout).tasks
  return {
    hash: new Map(tasks.map((t) => [t.taskId, t.hash])),
    tasks,
  }
}

// ---- 1. cache keys -------------------------------------------------------------------------------------------

function sourceFile(dir) {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) {
      const found = sourceFile(path)
      if (found) return found
    } else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) return path
  }
  return undefined
}

const gitStatus = () =>
  spawnSync('git', ['status', '--porcelain', '--', 'packages/core', ...touchedRoots()], {
    cwd: root,
    encoding: 'utf8',
  }).stdout
const touchedRoots = () => [
  'tsconfig.base.json',
  'biome.json',
  'vitest.config.ts',
  'pnpm-lock.yaml',
  'pnpm-workspace.yaml',
]
const statusAtStart = gitStatus()

const before = hashes()
const deps = new Map(before.tasks.map((t) => [t.taskId, t.dependencies]))
// Whether a task reads core: core's own task, or one that depends (through transit tasks) on a core task.
const readsCore = (taskId, seen = new Set()) =>
  taskId.startsWith(`${CORE}#`) ||
  (deps.get(taskId) ?? []).some((dep) => !seen.has(dep) && seen.add(dep) && readsCore(dep, seen))
const checked = before.tasks.filter((t) => t.task === 'typecheck' || t.task === 'test')
const dependents = checked.filter((t) => readsCore(t.taskId))
const others = checked.filter((t) => !dependents.includes(t))
if (!dependents.some((t) => t.package === APP)) fail(`${APP} does not depend on ${CORE} in turbo's graph`)

const coreFile = sourceFile(join(root, 'packages/core/src'))
if (!coreFile) fail('no source file in packages/core/src')
change(coreFile, (text) => `${text}\n// cache-integrity probe\n`)
const afterCore = hashes()
restore()
const stale = dependents.filter((t) => afterCore.hash.get(t.taskId) === t.hash).map((t) => t.taskId)
if (stale.length > 0)
  fail(`a change in ${relative(root, coreFile)} left these hashes unchanged: ${stale.join(', ')}`)
const spurious = others.filter((t) => afterCore.hash.get(t.taskId) !== t.hash).map((t) => t.taskId)
if (spurious.length > 0) fail(`a change in core changed tasks that do not read core: ${spurious.join(', ')}`)
console.log(
  `cache keys: a one-line change in ${relative(root, coreFile)} gives new hashes to all ${dependents.length} typecheck/test tasks of core and its dependents (apps included), and to none of the other ${others.length}`,
)

const turboJson = JSON.parse(readFileSync(join(root, 'turbo.json'), 'utf8'))
const globals = (turboJson.globalDependencies ?? []).filter((f) => {
  try {
    return statSync(join(root, f)).isFile()
  } catch {
    return false
  }
})
for (const required of [
  'tsconfig.base.json',
  'biome.json',
  'vitest.config.ts',
  'pnpm-lock.yaml',
  'pnpm-workspace.yaml',
])
  if (!globals.includes(required)) fail(`turbo.json's globalDependencies lack ${required}`)
for (const file of globals) {
  change(join(root, file), (text) => `${text}\n`)
  const after = hashes()
  restore()
  const same = before.tasks.filter((t) => after.hash.get(t.taskId) === t.hash).map((t) => t.taskId)
  if (same.length > 0) fail(`a change to ${file} left these hashes unchanged: ${same.join(', ')}`)
}
console.log(
  `cache keys: a change to any of ${globals.join(', ')} gives every one of ${before.tasks.length} tasks a new hash`,
)

// ---- 2. a breaking change in core on a warm cache -------------------------------------------------------------

const appTasks = ['typecheck', 'test'].map((task) => `${APP}#${task}`)
const filter = ['run', 'typecheck', 'test', `--filter=${APP}`, '--continue']
let warm = turbo(filter)
if (warm.status !== 0) fail(`${APP}'s typecheck/test fail before any change:\n${warm.output}`)
if (!appTasks.every((id) => new RegExp(`${id.replace('#', ':')}: cache hit`).test(warm.output))) {
  warm = turbo(filter) // the first run filled the cache; now both must be hits
  if (!appTasks.every((id) => new RegExp(`${id.replace('#', ':')}: cache hit`).test(warm.output)))
    fail(`a second identical run of ${APP}'s typecheck/test was not a cache hit:\n${warm.output}`)
}

const declaration = new RegExp(`export (async )?function ${EXPORT}\\b`)
const declaring = (function find(dir) {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) {
      const found = find(path)
      if (found) return found
    } else if (name.endsWith('.ts') && declaration.test(readFileSync(path, 'utf8'))) return path
  }
  return undefined
})(join(root, 'packages/core/src'))
if (!declaring)
  fail(`no "export function ${EXPORT}" in packages/core/src: point this check at an export ${APP} uses`)
change(declaring, (text) => text.replace(declaration, (m) => m.replace('export ', '')))
const broken = turbo(filter)
restore()
if (broken.status === 0)
  fail(`${APP} still passes with ${EXPORT} no longer exported by core:\n${broken.output}`)
for (const id of appTasks) {
  const label = id.replace('#', ':')
  if (new RegExp(`${label}: cache hit`).test(broken.output))
    fail(`turbo replayed a cached ${id}:\n${broken.output}`)
}
const failedLine = broken.output.split('\n').find((l) => /^\s*Failed:/.test(l)) ?? ''
const notFailed = appTasks.filter((id) => !failedLine.includes(id))
if (notFailed.length > 0)
  fail(`expected ${notFailed.join(' and ')} to fail, turbo says "${failedLine.trim()}":\n${broken.output}`)
if (!broken.output.includes(EXPORT)) fail(`the failure does not name ${EXPORT}:\n${broken.output}`)

if (gitStatus() !== statusAtStart) fail(`the tree is not as it was found:\n${gitStatus()}`)
console.log(
  `cache integrity: un-exporting ${EXPORT} in ${relative(root, declaring)} made ${appTasks.join(' and ')} fail on a warm cache (no replay); core restored`,
)
