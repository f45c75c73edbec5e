// What to compile, at which tier, and when — behind one interface, so that a learned policy
// (MlGuidedJit) can replace the thresholds without touching the runtime.

/** 0: interpreter, 1: fast (Cranelift opt_level none), 2: optimised. */
export type Tier = 0 | 1 | 2

/** What the runtime knows about one block when it asks the policy. */
export interface BlockProfile {
  pc: bigint
  /** The tier it runs at now (undefined before its first execution). */
  tier: Tier | undefined
  /** Executions so far (from the native counters). */
  executions: number
  /** Executions in the last decision epoch. */
  recent: number
  /** The hot-spot detector's smoothed rate (executions per epoch). */
  rate: number
  /** Whether the detector calls it hot. */
  hot: boolean
  opCount: number
  /** Bytes of machine code at the current tier (0 when interpreted). */
  codeSize: number
  /** A compile to a higher tier is already under way. */
  pending: boolean
}

export interface CompilePolicy {
  /** The first code for a block seen for the first time: interpret it, or compile it now. */
  firstTier(profile: BlockProfile): Tier
  /**
   * At a decision point: blocks to move to another tier (compiled in the background for 2).
   * `profiles` lists the blocks that can still move — below tier 2, with no compile under way —
   * and that ran since they were last offered (or are new, or their compile just finished): a
   * block that has not run since has the same counts and a lower detector rate, and is not
   * offered again until it runs.
   */
  promotions(profiles: Iterable<BlockProfile>): Array<{ pc: bigint; tier: Tier }>
}

export interface ThresholdPolicyConfig {
  /** Executions before a block gets tier-1 code (1: compile on first execution). */
  fastPathThreshold: number
  /** Executions before a block is compiled optimised. */
  optimizedThreshold: number
}

/**
 * The seed's policy: tier 1 after `fastPathThreshold` executions, tier 2 after
 * `optimizedThreshold` executions or when the hot-spot detector calls the block hot.
 */
export class ThresholdPolicy implements CompilePolicy {
  constructor(readonly config: ThresholdPolicyConfig) {}

  firstTier(_profile: BlockProfile): Tier {
    return this.config.fastPathThreshold <= 1 ? 1 : 0
  }

  promotions(profiles: Iterable<BlockProfile>): Array<{ pc: bigint; tier: Tier }> {
    const out: Array<{ pc: bigint; tier: Tier }> = []
    for (const p of profiles) {
      if (p.pending || p.tier === undefined || p.tier === 2) continue
      if (p.executions >= this.config.optimizedThreshold || (p.hot && p.executions >= this.config.fastPathThreshold)) {
        out.push({ pc: p.pc, tier: 2 })
      } else if (p.tier === 0 && p.executions >= this.config.fastPathThreshold) {
        out.push({ pc: p.pc, tier: 1 })
      }
    }
    return out
  }
}
