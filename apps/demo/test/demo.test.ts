import { expect, it } from 'vitest'
import { runDemo } from '../src/demo'

it('pnpm demo: every step of the story passes against the emulator and the example apps', async () => {
  const seen: string[] = []
  const result = await runDemo({ onStep: (event) => event.phase === 'end' && seen.push(event.result.name) })
  const failed = result.steps.filter((s) => !s.ok).map((s) => `${s.name}: ${s.detail}`)
  expect(failed).toEqual([])
  expect(result.ok).toBe(true)
  expect(seen).toEqual(result.steps.map((s) => s.name))
  expect(result.steps.length).toBeGreaterThanOrEqual(12)
  expect(result.steps.filter((s) => s.name.startsWith('Stream:')).map((s) => s.ok)).toEqual([true, true])
  expect(result.steps.filter((s) => s.name.startsWith('Robot:')).map((s) => s.ok)).toEqual([
    true,
    true,
    true,
    true,
  ])
}, 120_000)
