import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

const free = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen(port, () => server.close(() => resolve(true)))
  })

/**
 * Takes the machine-wide lock for `port` (the quickstarts listen on 3000, as the README shows them), so two
 * checkouts running this test at once take turns instead of failing; a lock whose holder died is taken over.
 * Then fails loudly if something else holds the port. Returns the release function.
 */
export async function lockPort(port: number, waitMs = 15 * 60_000): Promise<() => void> {
  const dir = join(tmpdir(), `dingtalk-kit-consumers-port-${port}.lock`)
  const deadline = Date.now() + waitMs
  for (;;) {
    try {
      mkdirSync(dir)
      writeFileSync(join(dir, 'pid'), String(process.pid))
      break
    } catch {
      let holder = Number.NaN
      try {
        holder = Number(readFileSync(join(dir, 'pid'), 'utf8'))
      } catch {
        // Written a moment after the directory: look again.
      }
      if (Number.isInteger(holder) && !alive(holder)) rmSync(dir, { recursive: true, force: true })
      else if (Date.now() > deadline) throw new Error(`port ${port}: ${dir} is held by process ${holder}`)
      else await new Promise((resolve) => setTimeout(resolve, 500))
    }
  }
  const release = (): void => rmSync(dir, { recursive: true, force: true })
  if (!(await free(port))) {
    release()
    throw new Error(
      `port ${port} is in use by another program: the quickstarts listen on ${port} exactly as the README shows them; stop it and run again`,
    )
  }
  return release
}
