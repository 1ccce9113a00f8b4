import { runDemo, type StepResult } from './demo'

// `pnpm demo`: the whole story with visible progress, a summary table, exit 0 only when every step passed.
const tty = process.stdout.isTTY === true && !process.env.NO_COLOR
const paint = (code: number, text: string): string => (tty ? `\x1b[${code}m${text}\x1b[0m` : text)
const ms = (r: StepResult): string => `${Math.round(r.durationMs)} ms`

process.stdout.write(
  `${paint(1, 'dingtalk-kit demo')} — a DingTalk integration, end to end, against the bundled emulator\n\n`,
)
const result = await runDemo({
  onStep(event) {
    if (event.phase === 'start') {
      process.stdout.write(`${paint(36, '▶')} ${event.name} …\n`)
      return
    }
    const r = event.result
    const mark = r.ok ? paint(32, '✔') : paint(31, '✘')
    process.stdout.write(
      `${mark} ${r.name} ${paint(2, `(${ms(r)})`)}\n  ${r.ok ? r.detail : paint(31, r.detail)}\n`,
    )
  },
})

// East Asian characters take two terminal columns.
const columns = (text: string): number =>
  [...text].reduce((n, ch) => n + (ch.codePointAt(0)! >= 0x2e80 ? 2 : 1), 0)
const pad = (text: string, width: number): string => text + ' '.repeat(Math.max(0, width - columns(text)))
const width = Math.max(...result.steps.map((s) => columns(s.name)))
process.stdout.write(`\n${paint(1, 'Summary')}\n`)
for (const [i, s] of result.steps.entries()) {
  const status = s.ok ? paint(32, 'passed') : paint(31, 'FAILED')
  process.stdout.write(
    `${String(i + 1).padStart(2)}. ${pad(s.name, width)}  ${status}  ${ms(s).padStart(8)}\n`,
  )
}
const passed = result.steps.filter((s) => s.ok).length
process.stdout.write(`\n${passed} of ${result.steps.length} steps passed\n`)
process.exitCode = result.ok ? 0 : 1
