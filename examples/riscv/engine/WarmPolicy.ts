// WarmPolicy: the tiered engine's compile policy — the package's thresholds (tier 1 after
// `fastPathThreshold` executions, tier 2 after `optimizedThreshold` or when the hot-spot detector
// says so), except that a block leaving the interpreter is not compiled from its first
// translation: it is queued (`due`) for the engine, which translates it again "warm" (with the
// translator's learning traps, see translate/indirect.ts) and compiles that. Cold code, most of a
// short run, never pays for learning; a warm pc keeps being translated warm (after an
// invalidation it starts at tier 1 again).

import type { BlockProfile, CompilePolicy } from 'vm-jit-native'

type Level = 0 | 1 | 2

export class WarmPolicy implements CompilePolicy {
  /** Pcs translated warm so far. */
  readonly warm = new Set<bigint>()
  /** Interpreted blocks to translate warm and compile at `tier` (the engine drains this). */
  readonly due: Array<{ pc: bigint; tier: Level }> = []

  constructor(readonly fastPathThreshold: number, readonly optimizedThreshold: number) {}

  firstTier(p: BlockProfile): Level {
    return this.warm.has(p.pc) ? 1 : 0
  }

  promotions(profiles: Iterable<BlockProfile>): Array<{ pc: bigint; tier: Level }> {
    const out: Array<{ pc: bigint; tier: Level }> = []
    for (const p of profiles) {
      if (p.pending || p.tier === undefined || p.tier === 2) continue
      const hot = p.executions >= this.optimizedThreshold || (p.hot && p.executions >= this.fastPathThreshold)
      if (p.tier === 0) {
        if (hot || p.executions >= this.fastPathThreshold) this.due.push({ pc: p.pc, tier: hot ? 2 : 1 })
      } else if (hot) out.push({ pc: p.pc, tier: 2 })
    }
    return out
  }
}
