import type { CardsBenchResult } from './cards'
import type { Comparison } from './lib'
import type { CallbackMemory } from './memory'
import type { Interop } from './peers'
import type { RedisContention } from './redis'
import type { TokenConcurrency } from './tokens'

/** What one run measured that does not depend on the machine's speed. */
export interface StableFacts {
  comparisons: Comparison[]
  interop: Interop[]
  tokens: TokenConcurrency[]
  memory: CallbackMemory
  redis: RedisContention
  cards: CardsBenchResult
}

/** The peers that follow DingTalk's byte layout, so they and we must read each other's ciphertext both ways. */
const SPEC_PEERS = ['wechat-crypto', '@wecom/crypto']

/**
 * The assertions `pnpm bench:check` makes on a quick run: counts and correctness only, never a speed. A
 * ratio or a rate depends on the machine and its load; these hold on any machine or they are bugs.
 * Returns one line per broken fact (none when everything holds).
 */
export function stableProblems(facts: StableFacts): string[] {
  const problems: string[] = []
  for (const c of facts.comparisons) {
    const ran = [c.candidate, c.baseline].every((m) => Number.isFinite(m.opsPerSec) && m.opsPerSec > 0)
    if (!ran || !Number.isFinite(c.ratio) || c.ratio <= 0)
      problems.push(`${c.group}: did not measure both sides`)
  }
  if (facts.comparisons.length === 0) problems.push('no comparison ran')
  for (const peer of facts.interop) {
    if (!peer.theyDecryptOurs.includes('ASCII: yes'))
      problems.push(`${peer.peer} cannot decrypt our ASCII ciphertext: ${peer.theyDecryptOurs}`)
    if (SPEC_PEERS.some((name) => peer.peer.startsWith(`${name} `))) {
      const both = `${peer.oursDecryptsTheirs}; ${peer.theyDecryptOurs}`
      if (both.includes(': no')) problems.push(`${peer.peer} does not interoperate both ways: ${both}`)
    }
  }
  for (const name of SPEC_PEERS)
    if (!facts.interop.some((peer) => peer.peer.startsWith(`${name} `)))
      problems.push(`peer ${name} was not checked`)
  for (const t of facts.tokens) {
    if (t.gettokenPerColdRound.length === 0 || t.gettokenPerColdRound.some((n) => n !== 1))
      problems.push(
        `${t.callers} caller(s): gettoken calls per cold round ${t.gettokenPerColdRound.join(', ')} (want 1 each)`,
      )
  }
  const m = facts.memory
  if (m.failures !== 0 || m.handled !== m.callbacks)
    problems.push(`memory run: ${m.handled} of ${m.callbacks} callbacks handled, ${m.failures} failed`)
  const r = facts.redis
  if (r.gettokenPerRound.length === 0 || r.gettokenPerRound.some((n) => n !== 1))
    problems.push(
      `Redis, ${r.processes} processes: gettoken calls per round ${r.gettokenPerRound.join(', ')} (want 1 each)`,
    )
  for (const [i, r] of facts.cards.candidate.entries()) {
    if (r.surfaced !== 0 || r.other.length > 0 || r.maxAccepted > facts.cards.limit)
      problems.push(
        `cards round ${i + 1}: ${r.surfaced} QpsLimit error(s) surfaced, ${r.other.length} other error(s), ` +
          `busiest second ${r.maxAccepted} (limit ${facts.cards.limit})`,
      )
  }
  if (facts.cards.candidate.length === 0) problems.push('the cards rounds did not run')
  return problems
}
