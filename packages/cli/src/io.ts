/**
 * Where the command writes: `process.stdout`, `process.stderr` or anything with `write`.
 *
 * @example
 * ```ts
 * let text = ''
 * const stdout: OutputStream = { write: (chunk) => (text += chunk), isTTY: false }
 * ```
 */
export interface OutputStream {
  write(chunk: string): unknown
  /** Colour and live progress are used only when this is `true`. */
  isTTY?: boolean
}

/**
 * Everything a command touches outside itself, injectable for tests. Missing members default to the
 * current process (`process.stdout`, `process.env`, …).
 *
 * @example
 * ```ts
 * const controller = new AbortController()
 * const running = run(['emulator'], { env: {}, signal: controller.signal, progressDelayMs: 0 })
 * controller.abort() // stops the emulator; `running` resolves with 0
 * ```
 */
export interface CliIo {
  stdout: OutputStream
  stderr: OutputStream
  env: Record<string, string | undefined>
  /** Read when a command is given `-` (or no input at all while stdin is piped). */
  stdin: AsyncIterable<string | Uint8Array> & { isTTY?: boolean }
  /** Relative paths (`--fixture`, `--config`, input files) resolve against this. */
  cwd: string
  fetch: typeof fetch
  /** The local clock in ms (doctor's clock-skew check). */
  now: () => number
  /**
   * Stops long-running commands (`emulator`, `trigger`) when aborted. By default SIGINT and SIGTERM abort
   * it, but only while such a command runs.
   */
  signal: AbortSignal | undefined
  /** How long an operation runs before a progress line appears (default 1000 ms). */
  progressDelayMs: number
}

export function resolveIo(io: Partial<CliIo> = {}): CliIo {
  return {
    stdout: io.stdout ?? process.stdout,
    stderr: io.stderr ?? process.stderr,
    env: io.env ?? process.env,
    stdin: io.stdin ?? process.stdin,
    cwd: io.cwd ?? process.cwd(),
    fetch: io.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    now: io.now ?? Date.now,
    signal: io.signal,
    progressDelayMs: io.progressDelayMs ?? 1000,
  }
}

/** A stop signal for long-running commands: the injected one, or SIGINT/SIGTERM of this process. */
export function stopSignal(io: CliIo): { signal: AbortSignal; dispose(): void } {
  if (io.signal) return { signal: io.signal, dispose: () => {} }
  const controller = new AbortController()
  const stop = (): void => controller.abort()
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
    },
  }
}

const CODES = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
} as const

export type Style = keyof typeof CODES

/** Colour only on a TTY and only when NO_COLOR is unset (https://no-color.org). */
export function colourEnabled(stream: OutputStream, env: CliIo['env']): boolean {
  return stream.isTTY === true && (env.NO_COLOR === undefined || env.NO_COLOR === '')
}

/**
 * Writes lines to stdout/stderr with optional colour, replacing every known secret value by `***` first:
 * secrets given on the command line or in the environment can never reach the terminal or a log file.
 */
export class Output {
  private readonly secrets = new Set<string>()
  private readonly colourOut: boolean
  private readonly colourErr: boolean

  constructor(readonly io: CliIo) {
    this.colourOut = colourEnabled(io.stdout, io.env)
    this.colourErr = colourEnabled(io.stderr, io.env)
  }

  /** Values never to print. Short values (under 4 characters) are ignored: masking them would garble text. */
  secret(...values: (string | undefined)[]): void {
    for (const value of values) if (value !== undefined && value.length >= 4) this.secrets.add(value)
  }

  redact(text: string): string {
    let out = text
    for (const secret of [...this.secrets].sort((a, b) => b.length - a.length)) {
      out = out.split(secret).join('***')
    }
    return out
  }

  /** Styles `text` for stdout (`err` false) or stderr. */
  paint(style: Style, text: string, err = false): string {
    if (!(err ? this.colourErr : this.colourOut)) return text
    const [open, close] = CODES[style]
    return `\u001b[${open}m${text}\u001b[${close}m`
  }

  out(line = ''): void {
    this.io.stdout.write(`${this.redact(line)}\n`)
  }

  err(line = ''): void {
    this.io.stderr.write(`${this.redact(line)}\n`)
  }

  ok(text: string, err = false): string {
    return `${this.paint('green', '✓', err)} ${text}`
  }

  fail(text: string, err = false): string {
    return `${this.paint('red', '✗', err)} ${text}`
  }

  warn(text: string, err = false): string {
    return `${this.paint('yellow', '!', err)} ${text}`
  }

  /**
   * Shows `label` on stderr if `work` is still running after `progressDelayMs` (a spinner on a TTY, one
   * line otherwise) and clears it when `work` settles.
   */
  async progress<T>(label: string, work: Promise<T>): Promise<T> {
    const tty = this.io.stderr.isTTY === true
    let shown = false
    let frame = 0
    let spinner: NodeJS.Timeout | undefined
    const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']
    const draw = (): void => {
      this.io.stderr.write(
        `\r${this.paint('cyan', frames[frame++ % frames.length]!, true)} ${this.redact(label)}`,
      )
    }
    const timer = setTimeout(() => {
      shown = true
      if (tty) {
        draw()
        spinner = setInterval(draw, 100)
      } else {
        this.io.stderr.write(`… ${this.redact(label)}\n`)
      }
    }, this.io.progressDelayMs)
    try {
      return await work
    } finally {
      clearTimeout(timer)
      if (spinner) clearInterval(spinner)
      if (shown && tty) this.io.stderr.write('\r\u001b[2K')
    }
  }
}
