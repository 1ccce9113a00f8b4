/** A step's check failed: its message is the step's detail line. */
export class StepFailed extends Error {}

export function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new StepFailed(message)
}

/** Polls `probe` until it gives a value; a step that waits longer than `timeoutMs` fails. */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new StepFailed(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}
