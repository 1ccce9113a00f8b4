import { benchClient, benchClientFigures } from './client.ts'
import { formatOps } from './lib.ts'

const quick = process.argv.includes('--quick')
for (const c of await benchClient({ quick }))
  console.log(
    c.group,
    formatOps(c.candidate.opsPerSec),
    'vs',
    formatOps(c.baseline.opsPerSec),
    'ratio',
    c.ratio.toFixed(3),
    c.goal ?? '',
  )
const f = await benchClientFigures({ quick })
console.log(
  formatOps(f.cachedToken.opsPerSec),
  f.calls.map((m) => `${m.name} ${formatOps(m.opsPerSec)}`),
  f.memory,
)
