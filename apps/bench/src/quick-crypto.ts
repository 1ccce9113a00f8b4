import { benchCrypto } from './crypto'
import { formatOps } from './lib'

const results = await benchCrypto({ quick: process.argv.includes('--quick') })
for (const r of results) {
  console.log(
    `${r.group.padEnd(36)} ${formatOps(r.candidate.opsPerSec).padStart(12)} vs ${formatOps(r.baseline.opsPerSec).padStart(12)}  ratio ${r.ratio.toFixed(2)}${r.goal ? ` (goal ${r.goal})` : ''}`,
  )
}
